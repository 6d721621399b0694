"""Regulations, funds, contributions, fees, expenses and corrections over HTTP: each
route's success path with hand-computed values, on SQLite and PostgreSQL.

The clock is pinned to 01/12/2026 in Vietnam (tests/conftest.py). The helpers at
the top are shared by the other `test_funds_*` and `test_statement*` modules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from ishc_platform.db import make_sync_engine
from tests.finance.conftest import DN, DONG_NAI, NATIONAL, OPS, VINH_LONG, VL, Finance

pytestmark = pytest.mark.integration
PROBLEM = "application/problem+json"

REGULATION: dict[str, Any] = {
    "effective_on": "2020-01-01",
    "rate_min": "0.006",
    "rate_max": "0.010",
    "fee_min_vnd": 2000,
    "fee_max_vnd": 5000,
    "max_loan_vnd": 20_000_000,
    "max_term_months": 24,
    "methods": ["flat", "declining_equal_principal"],
    "rounding_unit_vnd": 1000,
}
OPENED_ON = "2020-01-15"


@dataclass(frozen=True)
class Club:
    id: str
    income: str
    activity: str
    member: str
    headers: dict[str, str]


def ok(reply: Any, status: int = 201) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    body: dict[str, Any] = reply.json()
    return body


def refused(reply: Any, field: str, status: int = 422) -> dict[str, Any]:
    """The problem of a refused request, asserting it names `field`."""
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith(PROBLEM)
    problem: dict[str, Any] = reply.json()
    assert field in [e["field"] for e in problem["errors"]], problem
    return problem


def setup_club(
    finance: Finance,
    province: str = VINH_LONG,
    headers: dict[str, str] = VL,
    regulation: dict[str, Any] | None = None,
) -> Club:
    """A club with its regulation, both funds opened on 15/01/2020 and one member."""
    club_id = finance.club(province=province)
    member = finance.member(club_id, province=province)
    http = finance.http
    ok(
        http.post(
            f"/v1/clubs/{club_id}/regulations", json=regulation or REGULATION, headers=headers
        )
    )
    income = ok(
        http.post(
            f"/v1/clubs/{club_id}/funds",
            json={"kind": "income", "opened_on": OPENED_ON},
            headers=headers,
        )
    )
    activity = ok(
        http.post(
            f"/v1/clubs/{club_id}/funds",
            json={"kind": "activity", "opened_on": OPENED_ON},
            headers=headers,
        )
    )
    return Club(club_id, income["id"], activity["id"], member, headers)


def contribute(
    finance: Finance, fund_id: str, amount: int, on: str, headers: dict[str, str] = VL, **more: Any
) -> dict[str, Any]:
    body = {"source": "golden_heart_book", "amount_vnd": amount, "received_on": on, **more}
    return ok(finance.http.post(f"/v1/funds/{fund_id}/contributions", json=body, headers=headers))


def spend(
    finance: Finance, fund_id: str, amount: int, on: str, headers: dict[str, str] = VL
) -> Any:
    body = {"amount_vnd": amount, "purpose": "Thăm hỏi", "area": "home_care", "spent_on": on}
    return finance.http.post(f"/v1/funds/{fund_id}/expenses", json=body, headers=headers)


def pay_fee(
    finance: Finance,
    fund_id: str,
    member_id: str,
    month: str,
    amount: int = 3000,
    paid_on: str | None = None,
    headers: dict[str, str] = VL,
) -> Any:
    body = {
        "member_id": member_id,
        "month": month,
        "amount_vnd": amount,
        "paid_on": paid_on or f"{month}-05",
    }
    return finance.http.post(f"/v1/funds/{fund_id}/fees", json=body, headers=headers)


def balances(
    finance: Finance, fund_id: str, as_of: str | None = None, headers: dict[str, str] = VL
) -> dict[str, int]:
    params = {"as_of": as_of} if as_of else {}
    fund = ok(finance.http.get(f"/v1/funds/{fund_id}", params=params, headers=headers), 200)
    assert fund["trial_balance_vnd"] == 0
    found: dict[str, int] = fund["balances"]
    return found


def nonzero(found: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in found.items() if v}


TABLES = ("regulation", "fund", "contribution", "fee", "expense", "reversal", "ledger_entry")


def state(finance: Finance) -> dict[str, Any]:
    """Everything a refused request must leave as it was: the rows of every table,
    the ledger's sums per fund and account, and the outbox (the events)."""
    engine = make_sync_engine(finance.database_url)
    try:
        with engine.connect() as connection:
            counts = {
                table: connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
                for table in (*TABLES, "outbox")
            }
            sums = sorted(
                tuple(row)
                for row in connection.execute(
                    text(
                        "SELECT fund_id, account, SUM(amount_vnd) FROM ledger_line "
                        "GROUP BY fund_id, account"
                    )
                )
            )
            fees = sorted(
                tuple(row)
                for row in connection.execute(text("SELECT id, month_key, reversed_by FROM fee"))
            )
    finally:
        engine.dispose()
    return {"counts": counts, "ledger": sums, "fees": fees}


def outbox(finance: Finance) -> list[dict[str, Any]]:
    """The events recorded (the outbox), in the order written."""
    engine = make_sync_engine(finance.database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT type, subject, sequence, province FROM outbox ORDER BY id")
            ).mappings()
            return [dict(r) for r in rows]
    finally:
        engine.dispose()


def kinds(finance: Finance) -> list[str]:
    return [r["type"].removeprefix("ishc.finance.").removesuffix(".v1") for r in outbox(finance)]


# -- regulations -----------------------------------------------------------------------


def test_a_club_adopts_versions_of_its_regulation(finance: Finance) -> None:
    club_id = finance.club()
    http = finance.http
    first = ok(http.post(f"/v1/clubs/{club_id}/regulations", json=REGULATION, headers=VL))
    assert first["version"] == 1 and first["club_id"] == club_id and first["province"] == "86"
    assert (first["rate_min"], first["rate_max"]) == ("0.006", "0.01")
    assert first["methods"] == ["declining_equal_principal", "flat"]
    assert (first["fee_min_vnd"], first["fee_max_vnd"], first["rounding_unit_vnd"]) == (
        2000,
        5000,
        1000,
    )
    # the same day again is a new version; a later one too
    second = ok(
        http.post(
            f"/v1/clubs/{club_id}/regulations",
            json={**REGULATION, "fee_min_vnd": 3000, "methods": ["flat", "flat"]},
            headers=VL,
        )
    )
    assert second["version"] == 2 and second["methods"] == ["flat"]
    third = ok(
        http.post(
            f"/v1/clubs/{club_id}/regulations",
            json={**REGULATION, "effective_on": "2026-12-01", "rate_max": "0.0085"},
            headers=VL,
        )
    )
    assert third["version"] == 3 and third["rate_max"] == "0.0085"
    for headers in (VL, NATIONAL):
        listed = ok(http.get(f"/v1/clubs/{club_id}/regulations", headers=headers), 200)
        assert [r["version"] for r in listed["items"]] == [1, 2, 3]
    page = ok(http.get(f"/v1/clubs/{club_id}/regulations", params={"limit": 2}, headers=VL), 200)
    assert [r["version"] for r in page["items"]] == [1, 2]
    rest = ok(
        http.get(
            f"/v1/clubs/{club_id}/regulations",
            params={"limit": 2, "cursor": page["next_cursor"]},
            headers=VL,
        ),
        200,
    )
    assert [r["version"] for r in rest["items"]] == [3] and rest["next_cursor"] is None
    assert kinds(finance) == ["regulation.adopted"] * 3
    assert [r["subject"] for r in outbox(finance)] == [club_id] * 3
    assert [r["sequence"] for r in outbox(finance)] == [1, 2, 3]


# -- funds -----------------------------------------------------------------------------


def test_a_club_opens_its_two_funds(finance: Finance) -> None:
    club = setup_club(finance, regulation={**REGULATION, "effective_on": "2020-01-15"})
    http = finance.http
    fund = ok(http.get(f"/v1/funds/{club.activity}", headers=VL), 200)
    assert fund["kind"] == "activity" and fund["opened_on"] == OPENED_ON
    assert fund["club_id"] == club.id and fund["province"] == "86"
    assert fund["as_of"] == "2026-12-01"  # Vietnam's date, while UTC says 30/11
    assert nonzero(fund["balances"]) == {} and fund["trial_balance_vnd"] == 0
    listed = ok(http.get(f"/v1/clubs/{club.id}/funds", headers=NATIONAL), 200)
    assert [(f["kind"], f["id"]) for f in listed["items"]] == [
        ("income", club.income),
        ("activity", club.activity),
    ]
    again = http.post(
        f"/v1/clubs/{club.id}/funds", json={"kind": "income", "opened_on": OPENED_ON}, headers=VL
    )
    assert refused(again, "kind", 409)["errors"][0]["existing_id"] == club.income
    assert kinds(finance) == ["regulation.adopted", "fund.opened", "fund.opened"]


def test_a_funds_external_id_is_unique_in_its_province(finance: Finance) -> None:
    http = finance.http
    first, second, elsewhere = finance.club(), finance.club(), finance.club(province=DONG_NAI)
    for club_id, headers in ((first, VL), (second, VL), (elsewhere, DN)):
        ok(http.post(f"/v1/clubs/{club_id}/regulations", json=REGULATION, headers=headers))
    body = {"kind": "income", "opened_on": OPENED_ON, "external_id": "QTTN-01"}
    fund = ok(http.post(f"/v1/clubs/{first}/funds", json=body, headers=VL))
    assert fund["external_id"] == "QTTN-01"
    before = state(finance)
    taken = http.post(f"/v1/clubs/{second}/funds", json=body, headers=VL)
    assert refused(taken, "external_id", 409)["errors"][0]["existing_id"] == fund["id"]
    assert state(finance) == before
    ok(http.post(f"/v1/clubs/{elsewhere}/funds", json=body, headers=DN))


def test_funds_listed_by_province_and_kind(finance: Finance) -> None:
    vl = setup_club(finance)
    dn = setup_club(finance, province=DONG_NAI, headers=DN)
    contribute(finance, vl.activity, 700_000, "2026-02-01")
    http = finance.http
    every = ok(http.get("/v1/funds", headers=NATIONAL), 200)
    assert {f["id"] for f in every["items"]} == {vl.income, vl.activity, dn.income, dn.activity}
    mine = ok(http.get("/v1/funds", params={"kind": "activity"}, headers=VL), 200)
    assert [f["id"] for f in mine["items"]] == [vl.activity]
    assert mine["items"][0]["balances"]["cash_vnd"] == 700_000
    national = ok(
        http.get("/v1/funds", params={"province": DONG_NAI, "limit": 1}, headers=NATIONAL), 200
    )
    assert len(national["items"]) == 1 and national["next_cursor"] is not None
    following = ok(
        http.get(
            "/v1/funds",
            params={"province": DONG_NAI, "limit": 1, "cursor": national["next_cursor"]},
            headers=NATIONAL,
        ),
        200,
    )
    assert {national["items"][0]["id"], following["items"][0]["id"]} == {dn.income, dn.activity}
    assert http.get("/v1/funds", params={"province": DONG_NAI}, headers=VL).status_code == 403
    assert http.get("/v1/funds", headers=OPS).status_code == 403


# -- money in and out ------------------------------------------------------------------


def test_contributions_fees_expenses_and_balances(finance: Finance) -> None:
    club = setup_club(finance)
    http = finance.http
    cash = contribute(
        finance,
        club.activity,
        1_000_000,
        "2026-03-02",
        description="Sổ Tấm lòng vàng, quý I",
        external_id="MM-1",
    )
    assert cash["amount_vnd"] == 1_000_000 and cash["in_kind"] is False
    assert cash["description"] == "Sổ Tấm lòng vàng, quý I" and cash["reversed_by"] is None
    gift = contribute(
        finance, club.activity, 500_000, "2026-03-03", source="individual", in_kind=True
    )
    assert gift["in_kind"] is True and gift["source"] == "individual"
    fee = ok(pay_fee(finance, club.activity, club.member, "2026-03"))
    assert (fee["month"], fee["amount_vnd"], fee["paid_on"]) == ("2026-03", 3000, "2026-03-05")
    assert fee["member_id"] == club.member
    expense = ok(spend(finance, club.activity, 450_000, "2026-03-12"))
    assert (expense["area"], expense["purpose"], expense["amount_vnd"]) == (
        "home_care",
        "Thăm hỏi",
        450_000,
    )
    assert nonzero(balances(finance, club.activity)) == {
        "cash_vnd": 553_000,  # 1,000,000 + 3,000 − 450,000; the gift is not cash
        "goods_in_kind_vnd": 500_000,
        "expenses_vnd": 450_000,
        "contributions_vnd": 1_000_000,
        "contributions_in_kind_vnd": 500_000,
        "fee_income_vnd": 3_000,
    }
    assert nonzero(balances(finance, club.activity, as_of="2026-03-04")) == {
        "cash_vnd": 1_000_000,
        "goods_in_kind_vnd": 500_000,
        "contributions_vnd": 1_000_000,
        "contributions_in_kind_vnd": 500_000,
    }
    assert nonzero(balances(finance, club.income)) == {}
    # lists: national reads contributions and expenses, not fees
    listed = ok(http.get(f"/v1/funds/{club.activity}/contributions", headers=NATIONAL), 200)
    assert [c["id"] for c in listed["items"]] == [cash["id"], gift["id"]]
    spent = ok(http.get(f"/v1/funds/{club.activity}/expenses", headers=NATIONAL), 200)
    assert [e["id"] for e in spent["items"]] == [expense["id"]]
    fees = ok(http.get(f"/v1/funds/{club.activity}/fees", headers=VL), 200)
    assert [f["id"] for f in fees["items"]] == [fee["id"]]
    by_month = ok(
        http.get(f"/v1/funds/{club.activity}/fees", params={"month": "2026-04"}, headers=VL), 200
    )
    assert by_month["items"] == []
    assert http.get(f"/v1/funds/{club.activity}/fees", headers=NATIONAL).status_code == 403
    assert kinds(finance)[3:] == [
        "contribution.received",
        "contribution.received",
        "fee.paid",
        "expense.recorded",
    ]


def test_an_income_fund_takes_contributions_but_no_fee_or_expense(finance: Finance) -> None:
    club = setup_club(finance)
    contribute(finance, club.income, 30_000_000, "2025-06-01", source="state_budget")
    before = state(finance)
    refused(pay_fee(finance, club.income, club.member, "2026-03"), "fund_id")
    refused(spend(finance, club.income, 1000, "2026-03-12"), "fund_id")
    assert state(finance) == before
    assert nonzero(balances(finance, club.income)) == {
        "cash_vnd": 30_000_000,
        "contributions_vnd": 30_000_000,
    }


def test_a_fee_may_be_paid_ahead_and_for_past_months(finance: Finance) -> None:
    club = setup_club(finance)
    # twelve months after the month it is paid in, and back to the fund's first month
    ok(pay_fee(finance, club.activity, club.member, "2027-11", paid_on="2026-11-30"))
    ok(pay_fee(finance, club.activity, club.member, "2020-01", paid_on="2026-11-30"))
    refused(pay_fee(finance, club.activity, club.member, "2027-12", paid_on="2026-11-30"), "month")
    assert balances(finance, club.activity)["fee_income_vnd"] == 6000


def test_the_regulation_in_force_that_month_sets_the_fee_band(finance: Finance) -> None:
    club = setup_club(finance)
    ok(
        finance.http.post(
            f"/v1/clubs/{club.id}/regulations",
            json={**REGULATION, "effective_on": "2026-06-15", "fee_min_vnd": 4000},
            headers=VL,
        )
    )
    ok(pay_fee(finance, club.activity, club.member, "2026-05", amount=2000))
    # version 2 is in force by the end of June: 2,000 is below its band
    problem = refused(
        pay_fee(finance, club.activity, club.member, "2026-06", amount=2000), "amount_vnd"
    )
    assert problem["errors"][0]["band"] == [4000, 5000]
    assert problem["errors"][0]["regulation_version"] == 2
    ok(pay_fee(finance, club.activity, club.member, "2026-06", amount=4000))


def test_a_member_pays_for_months_of_membership_only(finance: Finance) -> None:
    club = setup_club(finance)
    joined = finance.member(club.id, joined_on=date(2026, 3, 20), left_on=date(2026, 8, 1))
    ok(pay_fee(finance, club.activity, joined, "2026-03", paid_on="2026-03-25"))  # joined in March
    ok(pay_fee(finance, club.activity, joined, "2026-07", paid_on="2026-07-05"))
    before = state(finance)
    refused(pay_fee(finance, club.activity, joined, "2026-02", paid_on="2026-03-25"), "month")
    refused(pay_fee(finance, club.activity, joined, "2026-08", paid_on="2026-07-25"), "month")
    other = finance.club()
    stranger = finance.member(other)
    refused(pay_fee(finance, club.activity, stranger, "2026-03"), "member_id")
    refused(
        pay_fee(finance, club.activity, "0190f5a2-0000-7000-8000-000000000000", "2026-03"),
        "member_id",
    )
    assert state(finance) == before


# -- corrections -----------------------------------------------------------------------


def test_corrections_reverse_entries_and_free_the_month(finance: Finance) -> None:
    club = setup_club(finance)
    http = finance.http
    contribute(finance, club.activity, 100_000, "2026-03-01")
    fee = ok(pay_fee(finance, club.activity, club.member, "2026-03"))
    expense = ok(spend(finance, club.activity, 40_000, "2026-03-10"))
    reversal = ok(
        http.post(
            f"/v1/funds/{club.activity}/reversals",
            json={"reversed_id": fee["id"], "reason": "Ghi trùng", "reversed_on": "2026-03-20"},
            headers=VL,
        )
    )
    assert reversal["kind"] == "fee" and reversal["amount_vnd"] == 3000
    assert reversal["reversed_id"] == fee["id"] and reversal["reversed_on"] == "2026-03-20"
    assert (reversal["club_id"], reversal["province"]) == (club.id, "86")
    assert nonzero(balances(finance, club.activity)) == {
        "cash_vnd": 60_000,
        "expenses_vnd": 40_000,
        "contributions_vnd": 100_000,
    }
    # before the correction the fee still counts: the original stays in the ledger
    assert balances(finance, club.activity, as_of="2026-03-19")["fee_income_vnd"] == 3000
    listed = ok(http.get(f"/v1/funds/{club.activity}/fees", headers=VL), 200)
    assert listed["items"][0]["reversed_by"] == reversal["id"]
    again = ok(pay_fee(finance, club.activity, club.member, "2026-03", amount=3500))
    assert again["amount_vnd"] == 3500
    undone = ok(
        http.post(
            f"/v1/funds/{club.activity}/reversals",
            json={"reversed_id": expense["id"], "reason": "Nhầm quỹ", "reversed_on": "2026-11-30"},
            headers=VL,
        )
    )
    assert undone["kind"] == "expense" and undone["amount_vnd"] == 40_000
    assert balances(finance, club.activity)["cash_vnd"] == 103_500
    assert balances(finance, club.activity)["expenses_vnd"] == 0
    twice = http.post(
        f"/v1/funds/{club.activity}/reversals",
        json={"reversed_id": expense["id"], "reason": "Lần nữa", "reversed_on": "2026-11-30"},
        headers=VL,
    )
    assert refused(twice, "reversed_id", 409)["errors"][0]["reversal_id"] == undone["id"]
    corrections = ok(http.get(f"/v1/funds/{club.activity}/reversals", headers=VL), 200)
    assert [(r["kind"], r["amount_vnd"]) for r in corrections["items"]] == [
        ("fee", 3000),
        ("expense", 40_000),
    ]
    assert http.get(f"/v1/funds/{club.activity}/reversals", headers=NATIONAL).status_code == 403
    assert kinds(finance)[-3:] == ["entry.reversed", "fee.paid", "entry.reversed"]


def test_a_gift_in_kind_is_reversed_as_goods(finance: Finance) -> None:
    club = setup_club(finance)
    gift = contribute(finance, club.income, 2_000_000, "2026-05-01", in_kind=True)
    ok(
        finance.http.post(
            f"/v1/funds/{club.income}/reversals",
            json={"reversed_id": gift["id"], "reason": "Trả lại", "reversed_on": "2026-05-02"},
            headers=VL,
        )
    )
    assert nonzero(balances(finance, club.income)) == {}


# -- idempotency -----------------------------------------------------------------------


@pytest.mark.parametrize("route", ["contributions", "fees", "expenses"])
def test_a_retried_payment_books_once(finance: Finance, route: str) -> None:
    club = setup_club(finance)
    contribute(finance, club.activity, 100_000, "2026-01-01")
    bodies = {
        "contributions": {
            "source": "individual",
            "amount_vnd": 20_000,
            "received_on": "2026-11-30",
        },
        "fees": {
            "member_id": club.member,
            "month": "2026-11",
            "amount_vnd": 3000,
            "paid_on": "2026-11-30",
        },
        "expenses": {
            "amount_vnd": 20_000,
            "purpose": "Trà",
            "area": "self_help",
            "spent_on": "2026-11-30",
        },
    }
    body = bodies[route]
    headers = {**VL, "Idempotency-Key": f"momo-{route}-42"}
    url = f"/v1/funds/{club.activity}/{route}"
    events_before = len(outbox(finance))
    first = ok(finance.http.post(url, json=body, headers=headers))
    again = finance.http.post(url, json=body, headers=headers)
    assert again.status_code == 201 and again.json()["id"] == first["id"]
    assert again.headers.get("idempotent-replayed") == "true"
    after_first = state(finance)
    changed = finance.http.post(url, json={**body, "amount_vnd": 4000}, headers=headers)
    refused(changed, "Idempotency-Key")
    assert state(finance) == after_first
    assert len(outbox(finance)) == events_before + 1
    listed = ok(finance.http.get(url, headers=VL), 200)
    assert [r["id"] for r in listed["items"]].count(first["id"]) == 1
    assert len(listed["items"]) == (2 if route == "contributions" else 1)
    expected_cash = {"contributions": 120_000, "fees": 103_000, "expenses": 80_000}[route]
    assert balances(finance, club.activity)["cash_vnd"] == expected_cash


def test_an_external_id_is_booked_once(finance: Finance) -> None:
    club = setup_club(finance)
    first = contribute(finance, club.activity, 10_000, "2026-11-01", external_id="MM-77")
    before = state(finance)
    again = finance.http.post(
        f"/v1/funds/{club.activity}/contributions",
        json={
            "source": "individual",
            "amount_vnd": 10_000,
            "received_on": "2026-11-01",
            "external_id": "MM-77",
        },
        headers=VL,
    )
    assert refused(again, "external_id", 409)["errors"][0]["existing_id"] == first["id"]
    assert state(finance) == before
    # an expense that took all the cash, sent again: it is booked, not short of cash
    body = {
        "amount_vnd": 10_000,
        "purpose": "Trà",
        "area": "self_help",
        "spent_on": "2026-11-02",
        "external_id": "EX-1",
    }
    url = f"/v1/funds/{club.activity}/expenses"
    spent = ok(finance.http.post(url, json=body, headers=VL))
    before = state(finance)
    retry = finance.http.post(url, json=body, headers=VL)
    assert refused(retry, "external_id", 409)["errors"][0]["existing_id"] == spent["id"]
    assert state(finance) == before
    # keys are per fund: the income fund may use the same one
    contribute(finance, club.income, 10_000, "2026-11-01", external_id="MM-77")


# -- who may ---------------------------------------------------------------------------


def test_access_by_role_and_province(finance: Finance) -> None:
    club = setup_club(finance)
    contribute(finance, club.activity, 100_000, "2026-01-01")
    http = finance.http
    reads = [
        f"/v1/funds/{club.activity}",
        f"/v1/clubs/{club.id}/funds",
        f"/v1/clubs/{club.id}/regulations",
        f"/v1/funds/{club.activity}/contributions",
        f"/v1/funds/{club.activity}/expenses",
        f"/v1/funds/{club.activity}/statement",
    ]
    for url in reads:
        assert http.get(url, headers=NATIONAL).status_code == 200, url
        assert http.get(url, headers=DN).status_code == 404, url
        assert http.get(url, headers=OPS).status_code == 403, url
    for url in (f"/v1/funds/{club.activity}/fees", f"/v1/funds/{club.activity}/reversals"):
        assert http.get(url, headers=NATIONAL).status_code == 403, url
        assert http.get(url, headers=DN).status_code == 404, url
        assert http.get(url, headers=OPS).status_code == 403, url
    writes: list[tuple[str, dict[str, Any]]] = [
        (f"/v1/clubs/{club.id}/regulations", REGULATION),
        (f"/v1/clubs/{club.id}/funds", {"kind": "income", "opened_on": OPENED_ON}),
        (
            f"/v1/funds/{club.activity}/contributions",
            {"source": "individual", "amount_vnd": 1000, "received_on": "2026-11-01"},
        ),
        (
            f"/v1/funds/{club.activity}/fees",
            {
                "member_id": club.member,
                "month": "2026-11",
                "amount_vnd": 3000,
                "paid_on": "2026-11-02",
            },
        ),
        (
            f"/v1/funds/{club.activity}/expenses",
            {"amount_vnd": 1000, "purpose": "Trà", "area": "self_help", "spent_on": "2026-11-02"},
        ),
        (
            f"/v1/funds/{club.activity}/reversals",
            {"reversed_id": club.member, "reason": "x", "reversed_on": "2026-11-02"},
        ),
    ]
    before = state(finance)
    for url, body in writes:
        assert http.post(url, json=body, headers=NATIONAL).status_code == 403, url
        assert http.post(url, json=body, headers=OPS).status_code == 403, url
        assert http.post(url, json=body, headers=DN).status_code == 404, url
        assert http.post(url, json=body).status_code == 401, url
    assert state(finance) == before
    missing = "0190f5a2-0000-7000-8000-000000000000"
    assert http.get(f"/v1/funds/{missing}", headers=VL).status_code == 404
    assert http.get(f"/v1/clubs/{missing}/funds", headers=VL).status_code == 404
