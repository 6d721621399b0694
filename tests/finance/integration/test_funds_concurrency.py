"""Money writes under concurrency, on PostgreSQL with real concurrent transactions:
twenty threads released together by a barrier, each sending through the same
in-process app. The club's lock makes each check (the cash on every later day, one
fee per member and month) and its write one step: the fund never goes negative,
exactly the affordable expenses pass, and a month is paid once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import text

from ishc_platform.db import make_sync_engine
from tests.finance.conftest import VL, Finance
from tests.finance.integration.test_funds_api import (
    balances,
    contribute,
    kinds,
    pay_fee,
    setup_club,
    spend,
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


def codes(replies: list[Any]) -> list[int]:
    return sorted(r.status_code for r in replies)


def lowest_cash(finance: Finance, fund_id: str) -> int:
    """The least end-of-day cash of the fund over its whole history."""
    engine = make_sync_engine(finance.database_url)
    try:
        with engine.connect() as connection:
            days = connection.execute(
                text(
                    "SELECT entry_on, SUM(amount_vnd) FROM ledger_line "
                    "WHERE fund_id = :fund AND account = 'cash' GROUP BY entry_on ORDER BY entry_on"
                ),
                {"fund": fund_id},
            ).all()
    finally:
        engine.dispose()
    running, lowest = 0, 0
    for _, amount in days:
        running += int(amount)
        lowest = min(lowest, running)
    return lowest


def test_concurrent_expenses_never_overdraw_the_fund(pg_finance: Finance) -> None:
    club = setup_club(pg_finance)
    contribute(pg_finance, club.activity, 100_000, "2026-01-01")

    replies = race(lambda i: spend(pg_finance, club.activity, 7_000, "2026-11-30"))

    assert codes(replies) == [201] * 14 + [422] * 6, [r.text for r in replies]
    for refused in (r for r in replies if r.status_code == 422):
        assert refused.json()["errors"][0]["field"] == "amount_vnd"
    assert balances(pg_finance, club.activity)["cash_vnd"] == 2_000
    assert balances(pg_finance, club.activity)["expenses_vnd"] == 98_000
    assert lowest_cash(pg_finance, club.activity) == 0
    assert kinds(pg_finance).count("expense.recorded") == 14


def test_concurrent_backdated_expenses_keep_every_day_covered(pg_finance: Finance) -> None:
    """100,000 VND in January, 50,000 more in September; ten expenses of 10,000 in
    March and ten in November race: whatever the order, exactly 15 pass and no
    day's cash goes below zero (the March ones may not spend September's money)."""
    club = setup_club(pg_finance)
    contribute(pg_finance, club.activity, 100_000, "2026-01-01")
    contribute(pg_finance, club.activity, 50_000, "2026-09-01")

    replies = race(
        lambda i: spend(pg_finance, club.activity, 10_000, "2026-03-01" if i % 2 else "2026-11-30")
    )

    assert codes(replies) == [201] * 15 + [422] * 5, [r.text for r in replies]
    assert balances(pg_finance, club.activity)["cash_vnd"] == 0
    assert lowest_cash(pg_finance, club.activity) == 0
    march = balances(pg_finance, club.activity, as_of="2026-08-31")["cash_vnd"]
    assert march >= 0


def test_concurrent_fees_for_one_month_book_one(pg_finance: Finance) -> None:
    club = setup_club(pg_finance)

    replies = race(lambda i: pay_fee(pg_finance, club.activity, club.member, "2026-11", 3000))

    assert codes(replies) == [201] + [409] * (RACERS - 1), [r.text for r in replies]
    for refused in (r for r in replies if r.status_code == 409):
        assert refused.json()["errors"][0]["field"] == "month"
    assert balances(pg_finance, club.activity)["fee_income_vnd"] == 3000
    assert kinds(pg_finance).count("fee.paid") == 1


def test_concurrent_corrections_of_one_entry_reverse_it_once(pg_finance: Finance) -> None:
    club = setup_club(pg_finance)
    gift = contribute(pg_finance, club.activity, 90_000, "2026-11-01")

    replies = race(
        lambda i: pg_finance.http.post(
            f"/v1/funds/{club.activity}/reversals",
            json={"reversed_id": gift["id"], "reason": f"Lần {i}", "reversed_on": "2026-11-30"},
            headers=VL,
        )
    )

    assert codes(replies) == [201] + [409] * (RACERS - 1), [r.text for r in replies]
    assert balances(pg_finance, club.activity)["cash_vnd"] == 0
    assert kinds(pg_finance).count("entry.reversed") == 1
