"""Loans under concurrency, on PostgreSQL with real concurrent transactions:
twenty threads released together by a barrier, each sending through the same
in-process app, whose event loop interleaves their database round trips. Every
money write of a club takes the club's lock first, so the cash a loan checks and
what a repayment finds owed cannot change under it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import httpx
import pytest

from tests.finance.conftest import VL, Finance
from tests.finance.integration.loans_support import (
    check_books,
    club_with_funds,
    lend,
    loan_body,
    outbox,
    snapshot,
)

pytestmark = pytest.mark.integration

RACERS = 20


def race[R](call: Callable[[int], R], n: int = RACERS) -> list[R]:
    """Send n requests at once (threads released together) and return the replies."""
    barrier = threading.Barrier(n)

    def one(i: int) -> R:
        barrier.wait()
        return call(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def codes(replies: list[httpx.Response]) -> list[int]:
    return sorted(r.status_code for r in replies)


def test_concurrent_loans_take_only_the_cash_there_is(pg_finance: Finance) -> None:
    # 7,500,000 VND of cash and twenty loans of 1,000,000 asked at once: seven fit.
    club = club_with_funds(pg_finance, cash_vnd=7_500_000)
    url = f"/v1/funds/{club.income}/loans"

    replies = race(
        lambda i: pg_finance.http.post(
            url, json=loan_body(club.member, principal_vnd=1_000_000), headers=VL
        )
    )

    assert codes(replies) == [201] * 7 + [422] * 13, [r.text for r in replies]
    for refused in (r for r in replies if r.status_code == 422):
        [error] = refused.json()["errors"]
        assert error["field"] == "principal_vnd"
        assert error["cash_available_vnd"] == 500_000
    books = check_books(pg_finance, club)
    assert books["income"]["cash"] == 500_000
    assert books["income"]["loans_receivable"] == 7_000_000
    counts = snapshot(pg_finance)["counts"]
    assert (counts["loan"], counts["loan_instalment"]) == (7, 7 * 12)
    disbursed = [o for o in outbox(pg_finance) if o["type"].endswith("loan.disbursed.v1")]
    assert len(disbursed) == 7


def test_concurrent_repayments_never_overpay_a_loan(pg_finance: Finance) -> None:
    # 2,000,000 flat over 4 months owes 2,064,000; twenty payments of 200,000 at
    # once: ten fit (2,000,000), then 64,000 is left and the rest are refused.
    club = club_with_funds(pg_finance)
    loan = lend(pg_finance, club, principal_vnd=2_000_000, term_months=4)
    url = f"/v1/loans/{loan['id']}/repayments"

    replies = race(
        lambda i: pg_finance.http.post(
            url, json={"amount_vnd": 200_000, "paid_on": "2026-04-10"}, headers=VL
        )
    )

    assert codes(replies) == [201] * 10 + [422] * 10, [r.text for r in replies]
    owed = sorted({r.json()["errors"][0]["owed_vnd"] for r in replies if r.status_code == 422})
    assert owed == [64_000]
    after = pg_finance.http.get(f"/v1/loans/{loan['id']}", headers=VL).json()
    assert after["owed_vnd"] == 64_000 and after["status"] == "active"
    for instalment in after["schedule"]:
        assert instalment["principal_paid_vnd"] <= instalment["principal_vnd"]
        assert instalment["interest_paid_vnd"] <= instalment["interest_vnd"]
    # Oldest first, interest first: 2,000,000 pays instalments 1–3 whole (3 × 516,000
    # = 1,548,000) and 452,000 of the fourth (its 16,000 interest and 436,000 of its
    # 500,000 principal): 64,000 of principal is left, and all 64,000 of interest paid.
    assert [i["paid_in_full"] for i in after["schedule"]] == [True, True, True, False]
    assert after["outstanding_principal_vnd"] == 64_000
    books = check_books(pg_finance, club)
    assert books["activity"]["cash"] == 64_000


def test_one_idempotency_key_books_one_repayment(pg_finance: Finance) -> None:
    club = club_with_funds(pg_finance)
    loan = lend(pg_finance, club)
    url = f"/v1/loans/{loan['id']}/repayments"
    headers = {**VL, "Idempotency-Key": "momo-2026-04-10-0001"}
    body = {"amount_vnd": 913_333, "paid_on": date(2026, 4, 10).isoformat()}

    replies = race(lambda i: pg_finance.http.post(url, json=body, headers=headers), n=10)

    # The first books it; the others replay its answer, or (still in flight) 409.
    assert {r.status_code for r in replies} <= {201, 409}, [r.text for r in replies]
    booked = {r.json()["id"] for r in replies if r.status_code == 201}
    assert len(booked) == 1
    counts = snapshot(pg_finance)["counts"]
    assert counts["repayment"] == 1
    assert [o["type"] for o in outbox(pg_finance, loan["id"])] == [
        "ishc.finance.loan.disbursed.v1",
        "ishc.finance.repayment.received.v1",
    ]
    books = check_books(pg_finance, club)
    assert books["activity"]["cash"] == 80_000
