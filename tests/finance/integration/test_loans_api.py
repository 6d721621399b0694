"""Loans over HTTP, on SQLite and PostgreSQL: schedules, repayments, early settlement,
write-offs and recoveries worked by hand; every refused input names its field and
leaves the books, the loan and the events as they were; the books balance after
every operation.

A 10,000,000 VND loan at 0.8% a month over 12 months, disbursed on 10/03/2026:
instalment k falls due on the 10th, k months later (10/04/2026 … 10/03/2027).
The tests' today is 01/12/2026 in Vietnam (30/11 in UTC)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest

from ishc_finance.domain.regulations import NationalBands
from tests.finance.conftest import DN, DONG_NAI, NATIONAL, OPS, VL, Finance
from tests.finance.integration.loans_support import (
    DISBURSED,
    Club,
    adopt_regulation,
    check_books,
    club_with_funds,
    contribute,
    lend,
    loan_body,
    open_fund,
    outbox,
    pay_fee,
    repay,
    snapshot,
    spend,
)

pytestmark = pytest.mark.integration

DUE = [date(2026, 3 + k, 10) if k <= 9 else date(2027, k - 9, 10) for k in range(1, 13)]


def problem(reply: httpx.Response, status: int, field: str) -> dict[str, Any]:
    """The reply is a problem+json of `status` naming `field`."""
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = reply.json()
    assert [e["field"] for e in body["errors"]] == [field], body
    return body


def rows(loan: dict[str, Any]) -> list[tuple[int, int]]:
    return [(i["principal_vnd"], i["interest_vnd"]) for i in loan["schedule"]]


# --- schedules: each method, by hand ---------------------------------------------


def test_a_flat_loan_is_disbursed_with_its_schedule_and_books(finance: Finance) -> None:
    club = club_with_funds(finance)
    reply = finance.http.post(
        f"/v1/funds/{club.income}/loans",
        json=loan_body(club.member, purpose="Nuôi heo", external_id="VL-L-1"),
        headers=VL,
    )

    assert reply.status_code == 201, reply.text
    loan = reply.json()
    assert reply.headers["location"] == f"/v1/loans/{loan['id']}"
    # 10,000,000 / 12 = 833,333.33: 833,333 × 11, the last 833,337; interest
    # 10,000,000 × 0.008 × 12 = 960,000, 80,000 a month.
    assert rows(loan) == [(833_333, 80_000)] * 11 + [(833_337, 80_000)]
    assert [i["amount_vnd"] for i in loan["schedule"]] == [913_333] * 11 + [913_337]
    assert [date.fromisoformat(i["due_on"]) for i in loan["schedule"]] == DUE
    assert [i["number"] for i in loan["schedule"]] == list(range(1, 13))
    assert {
        k: loan[k]
        for k in (
            "fund_id",
            "activity_fund_id",
            "club_id",
            "province",
            "member_id",
            "principal_vnd",
            "monthly_rate",
            "term_months",
            "method",
            "rounding_unit_vnd",
            "regulation_version",
            "disbursed_on",
            "purpose",
            "external_id",
            "status",
            "outstanding_principal_vnd",
            "owed_vnd",
        )
    } == {
        "fund_id": club.income,
        "activity_fund_id": club.activity,
        "club_id": club.club_id,
        "province": "86",
        "member_id": club.member,
        "principal_vnd": 10_000_000,
        "monthly_rate": "0.008",
        "term_months": 12,
        "method": "flat",
        "rounding_unit_vnd": 1,
        "regulation_version": 1,
        "disbursed_on": "2026-03-10",
        "purpose": "Nuôi heo",
        "external_id": "VL-L-1",
        "status": "active",
        "outstanding_principal_vnd": 10_000_000,
        "owed_vnd": 10_960_000,
    }
    books = check_books(finance, club)
    assert books["income"] == {
        "cash": 40_000_000,
        "loans_receivable": 10_000_000,
        "contributions": -50_000_000,
    }
    assert books["activity"] == {}


def test_a_declining_loan_with_equal_principal(finance: Finance) -> None:
    club = club_with_funds(finance)
    loan = lend(finance, club, method="declining_equal_principal")
    # Interest on the balance before each instalment: 10,000,000 × 0.008 = 80,000;
    # 9,166,667 × 0.008 = 73,333.3 → 73,333; 8,333,334 × 0.008 = 66,666.7 → 66,667 …
    assert rows(loan) == list(
        zip(
            [833_333] * 11 + [833_337],
            [
                *(80_000, 73_333, 66_667, 60_000, 53_333, 46_667),
                *(40_000, 33_333, 26_667, 20_000, 13_333, 6_667),
            ],
            strict=True,
        )
    )
    assert loan["owed_vnd"] == 10_520_000
    check_books(finance, club)


def test_an_annuity_loan_pays_a_level_amount(finance: Finance) -> None:
    club = club_with_funds(finance)
    loan = lend(finance, club, method="declining_equal_instalments")
    # A = 80,000 × 1.008^12 / (1.008^12 − 1) = 80,000 × 1.100339 / 0.100339, the
    # level payment of tests/finance/unit/test_loan_schedules.py: 877,300 a month
    # (80,000 interest and 797,300 principal first), the last 870,333 + 6,963.
    table = rows(loan)
    assert {p + i for p, i in table[:-1]} == {877_300}
    assert table[0] == (797_300, 80_000)
    assert table[-1] == (870_333, 6_963)
    assert sum(p for p, _ in table) == 10_000_000
    check_books(finance, club)


def test_an_interest_only_loan_repays_its_principal_at_the_end(finance: Finance) -> None:
    club = club_with_funds(finance)
    loan = lend(finance, club, method="interest_only")
    assert rows(loan) == [(0, 80_000)] * 11 + [(10_000_000, 80_000)]
    assert loan["owed_vnd"] == 10_960_000
    check_books(finance, club)


def test_a_club_rounding_to_1000_vnd_rounds_every_instalment_but_the_last(
    finance: Finance,
) -> None:
    club = club_with_funds(finance, rounding_unit_vnd=1000)
    flat = lend(finance, club, method="flat")
    assert flat["rounding_unit_vnd"] == 1000
    assert rows(flat) == [(833_000, 80_000)] * 11 + [(837_000, 80_000)]
    declining = lend(finance, club, method="declining_equal_principal")
    # balances 10,000,000, 9,167,000, 8,334,000 …: 73,336 → 73,000, 66,672 → 67,000 …
    assert rows(declining) == list(
        zip(
            [833_000] * 11 + [837_000],
            [
                *(80_000, 73_000, 67_000, 60_000, 53_000, 47_000),
                *(40_000, 33_000, 27_000, 20_000, 13_000, 7_000),
            ],
            strict=True,
        )
    )
    annuity = lend(finance, club, method="declining_equal_instalments")
    # A = 877,296.6 → 877,000. Balance 10,000,000: interest 80,000, principal 797,000;
    # 9,203,000 × 0.008 = 73,624 → 74,000, principal 803,000; 8,400,000: 67,200 →
    # 67,000, 810,000; 7,590,000: 60,720 → 61,000, 816,000; 6,774,000: 54,192 →
    # 54,000, 823,000; 5,951,000: 47,608 → 48,000, 829,000; 5,122,000: 40,976 →
    # 41,000, 836,000; 4,286,000: 34,288 → 34,000, 843,000; 3,443,000: 27,544 →
    # 28,000, 849,000; 2,594,000: 20,752 → 21,000, 856,000; 1,738,000: 13,904 →
    # 14,000, 863,000; the last the balance 875,000 and 7,000 interest.
    assert rows(annuity) == [
        (797_000, 80_000),
        (803_000, 74_000),
        (810_000, 67_000),
        (816_000, 61_000),
        (823_000, 54_000),
        (829_000, 48_000),
        (836_000, 41_000),
        (843_000, 34_000),
        (849_000, 28_000),
        (856_000, 21_000),
        (863_000, 14_000),
        (875_000, 7_000),
    ]
    books = check_books(finance, club)
    assert books["income"]["cash"] == 50_000_000 - 3 * 10_000_000
    assert books["income"]["loans_receivable"] == 30_000_000


# --- repayments ------------------------------------------------------------------


def test_repayments_are_allocated_oldest_instalment_first_interest_first(
    finance: Finance,
) -> None:
    club = club_with_funds(finance)
    loan = lend(finance, club)
    url = f"/v1/loans/{loan['id']}"

    # 1,000,000: instalment 1 whole (80,000 + 833,333), then 86,667 of instalment 2,
    # its interest 80,000 first, then 6,667 of its principal.
    first = repay(finance, club, loan["id"], 1_000_000, date(2026, 4, 10), external_id="MM-1")
    assert first["allocations"] == [
        {"number": 1, "principal_vnd": 833_333, "interest_vnd": 80_000},
        {"number": 2, "principal_vnd": 6_667, "interest_vnd": 80_000},
    ]
    assert (first["principal_vnd"], first["interest_vnd"]) == (840_000, 160_000)
    assert first["activity_fund_id"] == club.activity
    assert first["loan_status"] == "active" and first["settles_loan"] is False
    books = check_books(finance, club)
    assert books["income"]["cash"] == 40_000_000 + 840_000
    assert books["activity"] == {"cash": 160_000, "interest_income": -160_000}

    # 900,000: the 826,666 left of instalment 2's principal, then 73,334 of
    # instalment 3's interest.
    second = repay(finance, club, loan["id"], 900_000, date(2026, 5, 10))
    assert second["allocations"] == [
        {"number": 2, "principal_vnd": 826_666, "interest_vnd": 0},
        {"number": 3, "principal_vnd": 0, "interest_vnd": 73_334},
    ]
    books = check_books(finance, club)
    assert books["income"]["cash"] == 40_000_000 + 840_000 + 826_666
    assert books["income"]["loans_receivable"] == 8_333_334
    assert books["activity"]["cash"] == 233_334

    on_may_10 = finance.http.get(url, params={"as_of": "2026-05-10"}, headers=VL).json()
    assert on_may_10["outstanding_principal_vnd"] == 8_333_334
    assert on_may_10["owed_vnd"] == 10_960_000 - 1_900_000
    assert on_may_10["arrears"] == {
        "days_late": 0,
        "amount_late_vnd": 0,
        "principal_late_vnd": 0,
        "at_risk": False,
    }
    third = on_may_10["schedule"][2]
    assert (third["principal_paid_vnd"], third["interest_paid_vnd"]) == (0, 73_334)
    assert [i["paid_in_full"] for i in on_may_10["schedule"][:3]] == [True, True, False]
    # A day after instalment 3 fell due: 6,666 interest and 833,333 principal late.
    on_june_11 = finance.http.get(url, params={"as_of": "2026-06-11"}, headers=VL).json()
    assert on_june_11["arrears"] == {
        "days_late": 1,
        "amount_late_vnd": 839_999,
        "principal_late_vnd": 833_333,
        "at_risk": False,
    }
    # As of 10/04, the second repayment had not happened yet.
    on_april_10 = finance.http.get(url, params={"as_of": "2026-04-10"}, headers=VL).json()
    assert on_april_10["outstanding_principal_vnd"] == 10_000_000 - 840_000
    assert on_april_10["schedule"][1]["principal_paid_vnd"] == 6_667

    listed = finance.http.get(f"{url}/repayments", headers=VL).json()
    assert [r["id"] for r in listed["items"]] == [first["id"], second["id"]]
    assert listed["items"][0]["external_id"] == "MM-1"
    assert listed["items"][1]["allocations"] == second["allocations"]
    paged = finance.http.get(f"{url}/repayments", params={"limit": 1}, headers=VL).json()
    assert [r["id"] for r in paged["items"]] == [first["id"]]
    rest = finance.http.get(
        f"{url}/repayments", params={"limit": 1, "cursor": paged["next_cursor"]}, headers=VL
    ).json()
    assert [r["id"] for r in rest["items"]] == [second["id"]] and rest["next_cursor"] is None

    # More than is owed (9,060,000) is refused, naming what is owed.
    before = snapshot(finance)
    too_much = finance.http.post(
        f"{url}/repayments", json={"amount_vnd": 9_060_001, "paid_on": "2026-06-01"}, headers=VL
    )
    assert problem(too_much, 422, "amount_vnd")["errors"][0]["owed_vnd"] == 9_060_000
    assert snapshot(finance) == before

    # The rest closes the loan.
    last = repay(finance, club, loan["id"], 9_060_000, date(2026, 6, 1))
    assert last["loan_status"] == "closed"
    closed = finance.http.get(url, headers=VL).json()
    assert closed["status"] == "closed" and closed["closed_on"] == "2026-06-01"
    assert closed["settled_early"] is False
    assert (closed["outstanding_principal_vnd"], closed["owed_vnd"]) == (0, 0)
    books = check_books(finance, club)
    assert books["income"] == {"cash": 50_000_000, "contributions": -50_000_000}
    assert books["activity"] == {"cash": 960_000, "interest_income": -960_000}

    before = snapshot(finance)
    again = finance.http.post(
        f"{url}/repayments", json={"amount_vnd": 1_000, "paid_on": "2026-06-02"}, headers=VL
    )
    problem(again, 409, "loan_id")
    assert snapshot(finance) == before


def test_repayment_dates_and_amounts_are_checked(finance: Finance) -> None:
    club = club_with_funds(finance)
    loan = lend(finance, club)
    repay(finance, club, loan["id"], 913_333, date(2026, 4, 10))
    url = f"/v1/loans/{loan['id']}/repayments"
    before = snapshot(finance)
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"amount_vnd": 1_000, "paid_on": "2026-12-02"}, "paid_on", "future"),
        ({"amount_vnd": 1_000, "paid_on": "2026-03-09"}, "paid_on", "disbursed"),
        ({"amount_vnd": 1_000, "paid_on": "2026-04-09"}, "paid_on", "latest repayment"),
        ({"amount_vnd": 1_000.5, "paid_on": "2026-05-10"}, "amount_vnd", ""),
        ({"amount_vnd": "1000", "paid_on": "2026-05-10"}, "amount_vnd", ""),
        ({"amount_vnd": 0, "paid_on": "2026-05-10"}, "amount_vnd", ""),
        ({"amount_vnd": -913_333, "paid_on": "2026-05-10"}, "amount_vnd", ""),
        ({"amount_vnd": 1_000, "paid_on": "10/05/2026"}, "paid_on", ""),
        ({"amount_vnd": 1_000, "paid_on": "2026-05-10", "settle": "yes"}, "settle", ""),
        ({"amount_vnd": 1_000, "paid_on": "2026-05-10", "note": "x"}, "note", ""),
        (
            {"amount_vnd": 1_000, "paid_on": "2026-05-10", "external_id": "a\x00b"},
            "external_id",
            "",
        ),
    ]
    for body, field, words in cases:
        reply = finance.http.post(url, json=body, headers=VL)
        found = problem(reply, 422, field)
        assert words in found["errors"][0]["message"], found
    assert snapshot(finance) == before
    # Today in Vietnam is 01/12/2026 (UTC still says 30/11): a repayment today is fine.
    today = repay(finance, club, loan["id"], 1_000, date(2026, 12, 1), external_id="MM-2")
    assert today["paid_on"] == "2026-12-01"
    # The same mobile-money reference twice on one loan is a conflict.
    before = snapshot(finance)
    taken = finance.http.post(
        url, json={"amount_vnd": 1_000, "paid_on": "2026-12-01", "external_id": "MM-2"}, headers=VL
    )
    assert problem(taken, 409, "external_id")["errors"][0]["existing_id"] == today["id"]
    assert snapshot(finance) == before
    check_books(finance, club)


# --- early settlement --------------------------------------------------------------


def test_a_declining_loan_settled_mid_period_pays_interest_to_the_day(finance: Finance) -> None:
    club = club_with_funds(finance)
    loan = lend(finance, club, method="declining_equal_principal")
    repay(finance, club, loan["id"], 913_333, date(2026, 4, 10))
    url = f"/v1/loans/{loan['id']}"

    # Settled on 25/04/2026, 15 days into the 30-day period 10/04–10/05: all the
    # unpaid principal 9,166,667, and interest 9,166,667 × 0.008 × 15 / 30 =
    # 36,666.67 → 36,667; the schedule's 520,000 interest less the 80,000 paid and
    # the 36,667 asked is forgiven: 403,333.
    quote = finance.http.get(f"{url}/settlement", params={"on": "2026-04-25"}, headers=VL)
    assert quote.status_code == 200, quote.text
    assert quote.json() == {
        "loan_id": loan["id"],
        "on": "2026-04-25",
        "principal_vnd": 9_166_667,
        "interest_vnd": 36_667,
        "amount_vnd": 9_203_334,
        "forgiven_interest_vnd": 403_333,
        "allocations": [{"number": 2, "principal_vnd": 833_333, "interest_vnd": 36_667}]
        + [{"number": k, "principal_vnd": 833_333, "interest_vnd": 0} for k in range(3, 12)]
        + [{"number": 12, "principal_vnd": 833_337, "interest_vnd": 0}],
    }

    before = snapshot(finance)
    short = finance.http.post(
        f"{url}/repayments",
        json={"amount_vnd": 9_203_333, "paid_on": "2026-04-25", "settle": True},
        headers=VL,
    )
    assert problem(short, 422, "amount_vnd")["errors"][0]["settlement_vnd"] == 9_203_334
    assert snapshot(finance) == before

    settled = repay(finance, club, loan["id"], 9_203_334, date(2026, 4, 25), settle=True)
    assert settled["settles_loan"] is True and settled["loan_status"] == "closed"
    assert (settled["principal_vnd"], settled["interest_vnd"]) == (9_166_667, 36_667)
    after = finance.http.get(url, headers=VL).json()
    assert (after["status"], after["closed_on"], after["settled_early"]) == (
        "closed",
        "2026-04-25",
        True,
    )
    assert after["owed_vnd"] == 0 and after["outstanding_principal_vnd"] == 0
    books = check_books(finance, club)
    assert books["income"] == {"cash": 50_000_000, "contributions": -50_000_000}
    assert books["activity"] == {"cash": 116_667, "interest_income": -116_667}
    # Closed: no settlement to quote any more.
    problem(finance.http.get(f"{url}/settlement", headers=VL), 409, "loan_id")


def test_a_flat_loan_settled_early_pays_all_its_interest(finance: Finance) -> None:
    club = club_with_funds(finance)
    loan = lend(finance, club)
    repay(finance, club, loan["id"], 913_333, date(2026, 4, 10))
    # 9,166,667 principal and the 11 × 80,000 = 880,000 interest still scheduled.
    quote = finance.http.get(
        f"/v1/loans/{loan['id']}/settlement", params={"on": "2026-04-25"}, headers=VL
    ).json()
    assert (quote["amount_vnd"], quote["interest_vnd"], quote["forgiven_interest_vnd"]) == (
        10_046_667,
        880_000,
        0,
    )
    settled = repay(finance, club, loan["id"], 10_046_667, date(2026, 4, 25), settle=True)
    assert (settled["principal_vnd"], settled["interest_vnd"]) == (9_166_667, 880_000)
    books = check_books(finance, club)
    assert books["activity"] == {"cash": 960_000, "interest_income": -960_000}


def test_a_settlement_quote_before_the_disbursement_or_the_last_repayment_is_refused(
    finance: Finance,
) -> None:
    club = club_with_funds(finance)
    loan = lend(finance, club, method="declining_equal_principal")
    url = f"/v1/loans/{loan['id']}/settlement"
    # On 25/03/2026, 15 of the 31 days to 10/04: 10,000,000 × 0.008 × 15 / 31 =
    # 38,709.68 → 38,710.
    quote = finance.http.get(url, params={"on": "2026-03-25"}, headers=VL).json()
    assert (quote["principal_vnd"], quote["interest_vnd"]) == (10_000_000, 38_710)
    problem(finance.http.get(url, params={"on": "2026-03-09"}, headers=VL), 422, "on")
    repay(finance, club, loan["id"], 913_333, date(2026, 4, 10))
    problem(finance.http.get(url, params={"on": "2026-04-09"}, headers=VL), 422, "on")


# --- write-offs and recoveries -----------------------------------------------------


def test_a_write_off_and_its_recoveries(finance: Finance) -> None:
    club = club_with_funds(finance)
    loan = lend(finance, club)
    repay(finance, club, loan["id"], 913_333, date(2026, 4, 10))
    url = f"/v1/loans/{loan['id']}"

    before = snapshot(finance)
    for body, field in [
        ({"written_off_on": "2026-04-09", "reason": "Qua đời"}, "written_off_on"),
        ({"written_off_on": "2026-12-02", "reason": "Qua đời"}, "written_off_on"),
        ({"written_off_on": "2026-09-01", "reason": ""}, "reason"),
        ({"written_off_on": "2026-09-01", "reason": "x" * 501}, "reason"),
        ({"written_off_on": "2026-09-01", "reason": "a\u202eb"}, "reason"),
        ({"written_off_on": "2026-09-01"}, "reason"),
    ]:
        problem(finance.http.post(f"{url}/write-off", json=body, headers=VL), 422, field)
    problem(
        finance.http.post(
            f"{url}/recoveries", json={"amount_vnd": 1, "recovered_on": "2026-09-01"}, headers=VL
        ),
        409,
        "loan_id",
    )
    assert snapshot(finance) == before

    reply = finance.http.post(
        f"{url}/write-off",
        json={"written_off_on": "2026-09-01", "reason": "Người vay qua đời, gia đình khó khăn"},
        headers=VL,
    )
    assert reply.status_code == 200, reply.text
    written = reply.json()
    assert (written["status"], written["written_off_on"], written["written_off_vnd"]) == (
        "written_off",
        "2026-09-01",
        9_166_667,
    )
    assert written["outstanding_principal_vnd"] == 0
    books = check_books(finance, club)
    assert books["income"] == {
        "cash": 40_833_333,
        "write_offs": 9_166_667,
        "contributions": -50_000_000,
    }
    # As of the day before, the loan was still in the portfolio.
    before_write_off = finance.http.get(url, params={"as_of": "2026-08-31"}, headers=VL).json()
    assert before_write_off["status"] == "active"
    assert before_write_off["outstanding_principal_vnd"] == 9_166_667

    before = snapshot(finance)
    problem(
        finance.http.post(
            f"{url}/repayments", json={"amount_vnd": 1_000, "paid_on": "2026-10-01"}, headers=VL
        ),
        409,
        "loan_id",
    )
    assert (
        "recover"
        in finance.http.post(
            f"{url}/repayments", json={"amount_vnd": 1_000, "paid_on": "2026-10-01"}, headers=VL
        ).json()["detail"]
    )
    problem(
        finance.http.post(
            f"{url}/write-off", json={"written_off_on": "2026-10-01", "reason": "x"}, headers=VL
        ),
        409,
        "loan_id",
    )
    for body, field in [
        ({"amount_vnd": 1_000, "recovered_on": "2026-08-31"}, "recovered_on"),
        ({"amount_vnd": 1_000, "recovered_on": "2026-12-02"}, "recovered_on"),
        ({"amount_vnd": 9_166_668, "recovered_on": "2026-10-01"}, "amount_vnd"),
        ({"amount_vnd": 0, "recovered_on": "2026-10-01"}, "amount_vnd"),
        ({"amount_vnd": 1.5, "recovered_on": "2026-10-01"}, "amount_vnd"),
    ]:
        problem(finance.http.post(f"{url}/recoveries", json=body, headers=VL), 422, field)
    assert snapshot(finance) == before

    recovered = finance.http.post(
        f"{url}/recoveries",
        json={"amount_vnd": 1_000_000, "recovered_on": "2026-10-01"},
        headers=VL,
    )
    assert recovered.status_code == 201, recovered.text
    assert {k: v for k, v in recovered.json().items() if k != "id"} == {
        "loan_id": loan["id"],
        "fund_id": club.income,
        "province": "86",
        "recovered_on": "2026-10-01",
        "amount_vnd": 1_000_000,
        "recovered_vnd": 1_000_000,
        "written_off_vnd": 9_166_667,
    }
    books = check_books(finance, club)
    assert books["income"]["cash"] == 41_833_333
    assert books["income"]["recoveries"] == -1_000_000
    # At most the principal written off: 8,166,667 is left to recover.
    before = snapshot(finance)
    over = finance.http.post(
        f"{url}/recoveries",
        json={"amount_vnd": 8_166_668, "recovered_on": "2026-10-02"},
        headers=VL,
    )
    assert problem(over, 422, "amount_vnd")["errors"][0]["recoverable_vnd"] == 8_166_667
    assert snapshot(finance) == before
    rest = finance.http.post(
        f"{url}/recoveries",
        json={"amount_vnd": 8_166_667, "recovered_on": "2026-10-02"},
        headers=VL,
    )
    assert rest.status_code == 201 and rest.json()["recovered_vnd"] == 9_166_667
    assert finance.http.get(url, headers=VL).json()["recovered_vnd"] == 9_166_667
    # With a fee and an expense in the activity fund, the books still add up: cash
    # and outstanding principal are contributions + interest + fees − expenses −
    # write-offs + recoveries.
    pay_fee(finance, club, "2026-10", 3_000, date(2026, 10, 5))
    spend(finance, club, 50_000, date(2026, 10, 6))
    books = check_books(finance, club)
    assert books["income"] == {
        "cash": 50_000_000,
        "write_offs": 9_166_667,
        "recoveries": -9_166_667,
        "contributions": -50_000_000,
    }
    assert books["activity"] == {
        "cash": 33_000,
        "interest_income": -80_000,
        "fee_income": -3_000,
        "expenses": 50_000,
    }


# --- lending: every refused input names its field and changes nothing -------------


def test_a_loan_beyond_the_regulation_or_the_national_band_is_refused(finance: Finance) -> None:
    club = club_with_funds(
        finance,
        rate_min="0.007",
        rate_max="0.009",
        max_loan_vnd=15_000_000,
        max_term_months=18,
        methods=("flat", "declining_equal_principal"),
    )
    url = f"/v1/funds/{club.income}/loans"
    before = snapshot(finance)
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"monthly_rate": "0.0095"}, "monthly_rate", "club's band 0.007–0.009"),
        ({"monthly_rate": "0.0065"}, "monthly_rate", "club's band 0.007–0.009"),
        ({"monthly_rate": 0.008}, "monthly_rate", "decimal string"),
        ({"monthly_rate": "0.0080001"}, "monthly_rate", "6 decimals"),
        ({"monthly_rate": "NaN"}, "monthly_rate", ""),
        ({"principal_vnd": 15_000_001}, "principal_vnd", "largest loan 15000000"),
        ({"principal_vnd": 0}, "principal_vnd", ""),
        ({"principal_vnd": -1_000_000}, "principal_vnd", ""),
        ({"principal_vnd": 1_000_000.5}, "principal_vnd", ""),
        ({"principal_vnd": "1000000"}, "principal_vnd", ""),
        ({"principal_vnd": True}, "principal_vnd", ""),
        ({"term_months": 19}, "term_months", "longest term 18"),
        ({"term_months": 0}, "term_months", ""),
        ({"term_months": 12.5}, "term_months", ""),
        ({"method": "interest_only"}, "method", "not allowed"),
        ({"method": "balloon"}, "method", ""),
        ({"disbursed_on": "2026-12-02"}, "disbursed_on", "future"),
        ({"disbursed_on": "2025-01-01"}, "disbursed_on", "before the fund opened"),
        ({"disbursed_on": "0001-01-01"}, "disbursed_on", ""),
        ({"purpose": "a\x00b"}, "purpose", "control character"),
        ({"purpose": "x" * 501}, "purpose", ""),
        ({"external_id": ""}, "external_id", ""),
        ({"member_id": "not an id!"}, "member_id", ""),
        ({"fund": "x"}, "fund", ""),
    ]
    for overrides, field, words in cases:
        reply = finance.http.post(url, json={**loan_body(club.member), **overrides}, headers=VL)
        found = problem(reply, 422, field)
        assert words in found["errors"][0]["message"], (overrides, found)
    band = finance.http.post(url, json=loan_body(club.member, monthly_rate="0.0095"), headers=VL)
    assert band.json()["errors"][0]["band"] == ["0.007", "0.009"]

    # The national band is a setting and may narrow after the club adopted its own:
    # 0.009 is inside the club's band but outside a national 0.006–0.0085.
    finance.http.app.state.national_bands = NationalBands(
        rate_min=Decimal("0.006"), rate_max=Decimal("0.0085")
    )
    national = finance.http.post(url, json=loan_body(club.member, monthly_rate="0.009"), headers=VL)
    found = problem(national, 422, "monthly_rate")
    assert "national band 0.006–0.0085" in found["errors"][0]["message"]
    assert snapshot(finance) == before


def test_a_loan_to_someone_not_a_member_of_the_club_on_the_day_is_refused(
    finance: Finance,
) -> None:
    club = club_with_funds(finance)
    other_club = finance.club()
    other_province_club = finance.club(province=DONG_NAI)
    borrowers = {
        "another club's member": finance.member(other_club),
        "another province's member": finance.member(other_province_club, province=DONG_NAI),
        "an unknown member": str(uuid.uuid4()),
    }
    url = f"/v1/funds/{club.income}/loans"
    before = snapshot(finance)
    for who, member_id in borrowers.items():
        reply = finance.http.post(url, json=loan_body(member_id), headers=VL)
        found = problem(reply, 422, "member_id")
        assert found["errors"][0]["message"] == "not a member of this club", who
    left = finance.member(club.club_id, left_on=date(2026, 1, 5))
    found = problem(finance.http.post(url, json=loan_body(left), headers=VL), 422, "member_id")
    assert "left the club on 05/01/2026" in found["errors"][0]["message"]
    late = finance.member(club.club_id, joined_on=date(2026, 6, 1))
    found = problem(finance.http.post(url, json=loan_body(late), headers=VL), 422, "member_id")
    assert "joined on 01/06/2026" in found["errors"][0]["message"]
    assert snapshot(finance) == before
    # The member who left could borrow before leaving.
    earlier = lend(finance, club, member_id=left, disbursed_on="2025-12-01")
    assert earlier["member_id"] == left


def test_a_loan_larger_than_the_cash_is_refused_including_cash_a_later_outflow_uses(
    finance: Finance,
) -> None:
    club = club_with_funds(finance, cash_vnd=10_000_000)
    url = f"/v1/funds/{club.income}/loans"
    before = snapshot(finance)
    reply = finance.http.post(
        url, json=loan_body(club.member, principal_vnd=10_000_001), headers=VL
    )
    found = problem(reply, 422, "principal_vnd")
    assert found["errors"][0]["cash_available_vnd"] == 10_000_000
    assert snapshot(finance) == before

    lend(finance, club, principal_vnd=8_000_000, disbursed_on="2026-06-01")
    # Backdated to 10/03, 5,000,000 fits the cash of that day (10,000,000) but the
    # loan of 01/06 already uses 8,000,000 of it: only 2,000,000 can still go out.
    before = snapshot(finance)
    backdated = finance.http.post(
        url, json=loan_body(club.member, principal_vnd=5_000_000), headers=VL
    )
    found = problem(backdated, 422, "principal_vnd")
    assert found["errors"][0]["cash_available_vnd"] == 2_000_000
    assert "2000000 VND" in found["errors"][0]["message"]
    assert snapshot(finance) == before
    lend(finance, club, principal_vnd=2_000_000)
    books = check_books(finance, club)
    assert "cash" not in books["income"]  # all of it lent: 0
    assert books["income"]["loans_receivable"] == 10_000_000


def test_a_loan_needs_the_income_fund_and_an_open_activity_fund(finance: Finance) -> None:
    club = club_with_funds(finance)
    before = snapshot(finance)
    reply = finance.http.post(
        f"/v1/funds/{club.activity}/loans", json=loan_body(club.member), headers=VL
    )
    problem(reply, 422, "fund_id")
    problem(finance.http.get(f"/v1/funds/{club.activity}/portfolio", headers=VL), 422, "fund_id")
    assert snapshot(finance) == before

    lone = finance.club()
    adopt_regulation(finance, lone)
    income = open_fund(finance, lone, "income", date(2025, 1, 2))
    contribute(finance, income, 20_000_000, date(2025, 1, 10))
    member = finance.member(lone)
    before = snapshot(finance)
    reply = finance.http.post(f"/v1/funds/{income}/loans", json=loan_body(member), headers=VL)
    assert "activity fund" in problem(reply, 422, "fund_id")["detail"]
    assert snapshot(finance) == before
    open_fund(finance, lone, "activity", date(2026, 4, 1))
    before = snapshot(finance)
    reply = finance.http.post(f"/v1/funds/{income}/loans", json=loan_body(member), headers=VL)
    assert "activity fund opened on 01/04/2026" in problem(reply, 422, "disbursed_on")["detail"]
    assert snapshot(finance) == before


def test_nothing_is_lent_or_repaid_after_the_club_was_dissolved(finance: Finance) -> None:
    club_id = finance.club(dissolved_on=date(2026, 6, 30))
    adopt_regulation(finance, club_id)
    income = open_fund(finance, club_id, "income", date(2025, 1, 2))
    activity = open_fund(finance, club_id, "activity", date(2025, 1, 2))
    contribute(finance, income, 20_000_000, date(2025, 1, 10))
    club = Club(club_id, "86", income, activity, finance.member(club_id))
    loan = lend(finance, club)
    before = snapshot(finance)
    late = finance.http.post(
        f"/v1/funds/{income}/loans",
        json=loan_body(club.member, disbursed_on="2026-07-01"),
        headers=VL,
    )
    assert "dissolved on 30/06/2026" in problem(late, 422, "disbursed_on")["detail"]
    after = finance.http.post(
        f"/v1/loans/{loan['id']}/repayments",
        json={"amount_vnd": 1_000, "paid_on": "2026-07-01"},
        headers=VL,
    )
    problem(after, 422, "paid_on")
    assert snapshot(finance) == before
    repay(finance, club, loan["id"], 913_333, date(2026, 6, 30))
    check_books(finance, club)


def test_a_loan_disbursed_today_in_vietnam_is_not_in_the_future(finance: Finance) -> None:
    club = club_with_funds(finance)
    loan = lend(finance, club, disbursed_on="2026-12-01")
    assert loan["schedule"][0]["due_on"] == "2027-01-01"
    assert loan["arrears"]["days_late"] == 0


def test_an_external_id_is_one_loan_per_fund(finance: Finance) -> None:
    club = club_with_funds(finance)
    first = lend(finance, club, external_id="VL-L-7")
    before = snapshot(finance)
    reply = finance.http.post(
        f"/v1/funds/{club.income}/loans",
        json=loan_body(club.member, external_id="VL-L-7", principal_vnd=1_000_000),
        headers=VL,
    )
    assert problem(reply, 409, "external_id")["errors"][0]["existing_id"] == first["id"]
    assert snapshot(finance) == before


def test_an_idempotency_key_books_a_loan_and_a_repayment_once(finance: Finance) -> None:
    club = club_with_funds(finance)
    url = f"/v1/funds/{club.income}/loans"
    headers = {**VL, "Idempotency-Key": "loan-2026-03-10-a"}
    first = finance.http.post(url, json=loan_body(club.member), headers=headers)
    assert first.status_code == 201, first.text
    after_first = snapshot(finance)
    replay = finance.http.post(url, json=loan_body(club.member), headers=headers)
    assert replay.status_code == 201 and replay.json() == first.json()
    assert snapshot(finance) == after_first
    other = finance.http.post(
        url, json=loan_body(club.member, principal_vnd=9_000_000), headers=headers
    )
    problem(other, 422, "Idempotency-Key")
    assert snapshot(finance) == after_first
    assert [o["type"] for o in outbox(finance, first.json()["id"])] == [
        "ishc.finance.loan.disbursed.v1"
    ]
    assert after_first["counts"]["loan"] == 1
    # One ledger entry for the contribution, one for the loan.
    assert after_first["counts"]["ledger_entry"] == 2

    loan_id = first.json()["id"]
    pay = f"/v1/loans/{loan_id}/repayments"
    key = {**VL, "Idempotency-Key": "momo-778899"}
    body = {"amount_vnd": 913_333, "paid_on": "2026-04-10"}
    paid = finance.http.post(pay, json=body, headers=key)
    assert paid.status_code == 201
    after_paid = snapshot(finance)
    again = finance.http.post(pay, json=body, headers=key)
    assert again.status_code == 201 and again.json() == paid.json()
    assert snapshot(finance) == after_paid
    changed = finance.http.post(pay, json={**body, "amount_vnd": 913_334}, headers=key)
    problem(changed, 422, "Idempotency-Key")
    assert snapshot(finance) == after_paid
    assert after_paid["counts"]["repayment"] == 1
    check_books(finance, club)


# --- who may do what ----------------------------------------------------------------


def test_access_by_token(finance: Finance) -> None:
    club = club_with_funds(finance)
    loan = lend(finance, club)
    repay(finance, club, loan["id"], 913_333, date(2026, 4, 10))
    loan_url = f"/v1/loans/{loan['id']}"
    before = snapshot(finance)
    writes = [
        (f"/v1/funds/{club.income}/loans", loan_body(club.member)),
        (f"{loan_url}/repayments", {"amount_vnd": 1_000, "paid_on": "2026-05-10"}),
        (f"{loan_url}/write-off", {"written_off_on": "2026-05-10", "reason": "x"}),
        (f"{loan_url}/recoveries", {"amount_vnd": 1_000, "recovered_on": "2026-05-10"}),
    ]
    person_reads = [
        f"/v1/funds/{club.income}/loans",
        loan_url,
        f"{loan_url}/repayments",
        f"{loan_url}/settlement",
    ]
    # Another province: its records do not exist (404).
    for url, body in writes:
        assert finance.http.post(url, json=body, headers=DN).status_code == 404, url
    for url in [*person_reads, f"/v1/funds/{club.income}/portfolio"]:
        assert finance.http.get(url, headers=DN).status_code == 404, url
    # A collection filtered to another province: 403.
    assert (
        finance.http.get("/v1/portfolio", params={"province": "86"}, headers=DN).status_code == 403
    )
    # National: never one person's loans; the fund's portfolio, yes.
    for url, body in writes:
        assert finance.http.post(url, json=body, headers=NATIONAL).status_code == 403, url
    for url in person_reads:
        assert finance.http.get(url, headers=NATIONAL).status_code == 403, url
    portfolio = finance.http.get(f"/v1/funds/{club.income}/portfolio", headers=NATIONAL)
    assert portfolio.status_code == 200
    assert club.member not in portfolio.text and loan["id"] not in portfolio.text
    province = finance.http.get("/v1/portfolio", params={"province": "86"}, headers=NATIONAL)
    assert province.status_code == 200 and club.member not in province.text
    problem(finance.http.get("/v1/portfolio", headers=NATIONAL), 422, "province")
    # Ops: none of it.
    for url, body in writes:
        assert finance.http.post(url, json=body, headers=OPS).status_code == 403, url
    for url in [*person_reads, f"/v1/funds/{club.income}/portfolio", "/v1/portfolio"]:
        assert finance.http.get(url, headers=OPS).status_code == 403, url
    # No token: 401.
    assert finance.http.get(loan_url).status_code == 401
    # Unknown records: 404.
    assert finance.http.get(f"/v1/loans/{uuid.uuid4()}", headers=VL).status_code == 404
    assert (
        finance.http.post(
            f"/v1/funds/{uuid.uuid4()}/loans", json=loan_body(club.member), headers=VL
        ).status_code
        == 404
    )
    assert snapshot(finance) == before


def test_the_loans_of_a_fund_are_listed_and_filtered(finance: Finance) -> None:
    club = club_with_funds(finance)
    other_member = finance.member(club.club_id)
    a = lend(finance, club, disbursed_on="2026-01-05")
    b = lend(finance, club, member_id=other_member, principal_vnd=2_000_000, term_months=4)
    c = lend(finance, club, principal_vnd=1_000_000, disbursed_on="2026-05-01")
    repay(finance, club, b["id"], 2_064_000, date(2026, 4, 1))  # all of it: closed
    finance.http.post(
        f"/v1/loans/{c['id']}/write-off",
        json={"written_off_on": "2026-11-01", "reason": "Chuyển đi"},
        headers=VL,
    )
    url = f"/v1/funds/{club.income}/loans"

    def ids(**params: Any) -> list[str]:
        reply = finance.http.get(url, params=params, headers=VL)
        assert reply.status_code == 200, reply.text
        return [item["id"] for item in reply.json()["items"]]

    assert ids() == [a["id"], b["id"], c["id"]]
    assert ids(status="active") == [a["id"]]
    assert ids(status="closed") == [b["id"]]
    assert ids(status="written_off") == [c["id"]]
    assert ids(member_id=other_member) == [b["id"]]
    items = finance.http.get(url, headers=VL).json()["items"]
    assert [(i["status"], i["outstanding_principal_vnd"]) for i in items] == [
        ("active", 10_000_000),
        ("closed", 0),
        ("written_off", 0),
    ]
    first = finance.http.get(url, params={"limit": 2}, headers=VL).json()
    assert [i["id"] for i in first["items"]] == [a["id"], b["id"]]
    rest = finance.http.get(
        url, params={"limit": 2, "cursor": first["next_cursor"]}, headers=VL
    ).json()
    assert [i["id"] for i in rest["items"]] == [c["id"]] and rest["next_cursor"] is None
    problem(finance.http.get(url, params={"status": "late"}, headers=VL), 422, "status")
    problem(finance.http.get(url, params={"cursor": "bm9wZQ"}, headers=VL), 422, "cursor")
    problem(finance.http.get(url, params={"limit": 501}, headers=VL), 422, "limit")
    check_books(finance, club)


def test_a_loan_read_before_its_disbursement_is_refused(finance: Finance) -> None:
    club: Club = club_with_funds(finance)
    loan = lend(finance, club)
    reply = finance.http.get(f"/v1/loans/{loan['id']}", params={"as_of": "2026-03-09"}, headers=VL)
    problem(reply, 422, "as_of")
    reply = finance.http.get(f"/v1/loans/{loan['id']}", params={"as_of": "2026-13-01"}, headers=VL)
    problem(reply, 422, "as_of")
    assert DISBURSED.isoformat() == loan["disbursed_on"]
