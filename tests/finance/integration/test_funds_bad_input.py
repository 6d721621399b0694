"""Bad input to regulations, funds, contributions, fees, expenses, corrections and
the statement: always a precise problem naming the field, never a 500, and nothing
changed (no row, no ledger line, no event).

The world of every case: a club of Vĩnh Long founded 15/03/2018, its regulation in
force from 01/01/2020 (fees 2,000–5,000 VND), both funds opened 15/01/2020. The
activity fund received 100,000 VND on 10/01/2026, a member's fee of 3,000 VND on
05/03/2026 (for March) and spent 30,000 VND on 01/06/2026: its cash is 73,000 VND
now, and was 100,000 VND on 01/02/2026. Today is 01/12/2026."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.finance.conftest import VL, Finance
from tests.finance.integration.test_funds_api import (
    OPENED_ON,
    REGULATION,
    Club,
    balances,
    contribute,
    ok,
    pay_fee,
    refused,
    setup_club,
    spend,
    state,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def world(finance: Finance) -> tuple[Finance, Club, dict[str, str]]:
    club = setup_club(finance)
    cash = contribute(finance, club.activity, 100_000, "2026-01-10")
    fee = ok(pay_fee(finance, club.activity, club.member, "2026-03", paid_on="2026-03-05"))
    expense = ok(spend(finance, club.activity, 30_000, "2026-06-01"))
    seed = contribute(finance, club.income, 1_000_000, "2025-01-01")
    ids = {"cash": cash["id"], "fee": fee["id"], "expense": expense["id"], "seed": seed["id"]}
    return finance, club, ids


CONTRIBUTION = {"source": "individual", "amount_vnd": 10_000, "received_on": "2026-11-01"}
EXPENSE = {"amount_vnd": 10_000, "purpose": "Trà", "area": "self_help", "spent_on": "2026-11-01"}
REVERSAL = {"reason": "Ghi nhầm", "reversed_on": "2026-11-30"}


def fee_body(club: Club, **change: Any) -> dict[str, Any]:
    return {
        "member_id": club.member,
        "month": "2026-11",
        "amount_vnd": 3000,
        "paid_on": "2026-11-02",
        **change,
    }


BAD_AMOUNTS = [0, -5, 1.5, 1000.0, "1000", True, None, 10**13, [1000]]

# (route, body change, field, status): `route` names the POST, the change makes it bad
CASES: list[tuple[str, dict[str, Any], str, int]] = [
    # amounts: strict whole VND > 0, on every money route
    *[("contribution", {"amount_vnd": bad}, "amount_vnd", 422) for bad in BAD_AMOUNTS],
    *[("expense", {"amount_vnd": bad}, "amount_vnd", 422) for bad in BAD_AMOUNTS],
    *[("fee", {"amount_vnd": bad}, "amount_vnd", 422) for bad in BAD_AMOUNTS],
    *[("regulation", {"fee_min_vnd": bad}, "fee_min_vnd", 422) for bad in BAD_AMOUNTS],
    *[("regulation", {"max_loan_vnd": bad}, "max_loan_vnd", 422) for bad in (0, -1, 2.5)],
    # dates: not in the future, not before the fund opened, real and in range
    ("contribution", {"received_on": "2026-12-02"}, "received_on", 422),
    ("contribution", {"received_on": "2020-01-14"}, "received_on", 422),
    ("contribution", {"received_on": "0001-01-01"}, "received_on", 422),
    ("contribution", {"received_on": "2026-02-30"}, "received_on", 422),
    ("contribution", {"received_on": 20261101}, "received_on", 422),
    ("expense", {"spent_on": "2026-12-02"}, "spent_on", 422),
    ("expense", {"spent_on": "2020-01-14"}, "spent_on", 422),
    ("fee", {"paid_on": "2026-12-02"}, "paid_on", 422),
    ("fee", {"paid_on": "2020-01-14", "month": "2020-01"}, "paid_on", 422),
    ("fee", {"month": "2019-12", "paid_on": "2026-03-05"}, "month", 422),
    ("fee", {"month": "2027-12", "paid_on": "2026-11-30"}, "month", 422),
    ("fee", {"month": "2026-13"}, "month", 422),
    ("fee", {"month": "2026-1"}, "month", 422),
    ("fee", {"month": 202611}, "month", 422),
    ("regulation", {"effective_on": "2026-12-02"}, "effective_on", 422),
    ("regulation", {"effective_on": "2018-03-14"}, "effective_on", 422),  # before founding
    ("regulation", {"effective_on": "2019-12-31"}, "effective_on", 422),  # before version 1
    ("reversal:cash", {"reversed_on": "2026-12-02"}, "reversed_on", 422),
    ("reversal:expense", {"reversed_on": "2026-05-31"}, "reversed_on", 422),
    # the fee band of the regulation in force, one fee per member and month
    ("fee", {"amount_vnd": 1999}, "amount_vnd", 422),
    ("fee", {"amount_vnd": 5001}, "amount_vnd", 422),
    ("fee", {"month": "2026-03", "paid_on": "2026-11-02"}, "month", 409),
    ("fee", {"member_id": "not an id"}, "member_id", 422),
    ("fee", {"member_id": "0190f5a2-0000-7000-8000-000000000000"}, "member_id", 422),
    # cash: never below zero, on the day or any later day
    ("expense", {"amount_vnd": 73_001, "spent_on": "2026-11-30"}, "amount_vnd", 422),
    ("expense", {"amount_vnd": 80_000, "spent_on": "2026-02-01"}, "amount_vnd", 422),
    ("expense", {"amount_vnd": 100_001, "spent_on": "2026-01-10"}, "amount_vnd", 422),
    ("expense", {"amount_vnd": 1, "spent_on": "2026-01-09"}, "amount_vnd", 422),
    ("reversal:cash", {}, "reversed_id", 422),  # 100,000 out of 73,000
    # rates and bands of a regulation
    ("regulation", {"rate_min": "0.005"}, "rate_min", 422),
    ("regulation", {"rate_max": "0.011"}, "rate_max", 422),
    ("regulation", {"rate_min": "0.009", "rate_max": "0.007"}, "rate_min", 422),
    ("regulation", {"rate_min": 0.007}, "rate_min", 422),
    ("regulation", {"rate_min": "0,007"}, "rate_min", 422),
    ("regulation", {"rate_min": "NaN"}, "rate_min", 422),
    ("regulation", {"rate_max": "0.0085001"}, "rate_max", 422),
    ("regulation", {"fee_min_vnd": 1000}, "fee_min_vnd", 422),
    ("regulation", {"fee_max_vnd": 6000}, "fee_max_vnd", 422),
    ("regulation", {"fee_min_vnd": 5000, "fee_max_vnd": 3000}, "fee_min_vnd", 422),
    ("regulation", {"rounding_unit_vnd": 500}, "rounding_unit_vnd", 422),
    ("regulation", {"rounding_unit_vnd": True}, "rounding_unit_vnd", 422),
    ("regulation", {"max_term_months": 121}, "max_term_months", 422),
    ("regulation", {"max_term_months": 0}, "max_term_months", 422),
    ("regulation", {"methods": []}, "methods", 422),
    ("regulation", {"methods": ["compound"]}, "methods[0]", 422),
    ("regulation", {"colour": "red"}, "colour", 422),
    # text and enumerations
    ("expense", {"purpose": ""}, "purpose", 422),
    ("expense", {"purpose": "   "}, "purpose", 422),
    ("expense", {"purpose": "Trà\x00"}, "purpose", 422),
    ("expense", {"purpose": "x" * 501}, "purpose", 422),
    ("expense", {"area": "party"}, "area", 422),
    ("contribution", {"description": "Quà \u202etặng"}, "description", 422),
    ("contribution", {"external_id": "MM\t1"}, "external_id", 422),
    ("contribution", {"external_id": "x" * 101}, "external_id", 422),
    ("contribution", {"source": "bank"}, "source", 422),
    ("contribution", {"in_kind": "yes"}, "in_kind", 422),
    ("contribution", {"fund_id": "x"}, "fund_id", 422),
    ("fund", {"kind": "savings"}, "kind", 422),
    ("fund", {"kind": "income"}, "kind", 409),  # the club has it
    ("reversal:cash", {"reason": ""}, "reason", 422),
    # corrections of what is not this fund's, or not there
    ("reversal:seed", {}, "reversed_id", 422),
    ("reversal:missing", {}, "reversed_id", 422),
    ("reversal:bad", {}, "reversed_id", 422),
]


def _request(
    club: Club, ids: dict[str, str], route: str, change: dict[str, Any]
) -> tuple[str, Any]:
    if route == "contribution":
        return f"/v1/funds/{club.activity}/contributions", {**CONTRIBUTION, **change}
    if route == "expense":
        return f"/v1/funds/{club.activity}/expenses", {**EXPENSE, **change}
    if route == "fee":
        return f"/v1/funds/{club.activity}/fees", fee_body(club, **change)
    if route == "regulation":
        return f"/v1/clubs/{club.id}/regulations", {**REGULATION, **change}
    if route == "fund":
        return f"/v1/clubs/{club.id}/funds", {"kind": "income", "opened_on": OPENED_ON, **change}
    target = route.removeprefix("reversal:")
    reversed_id = {
        "missing": "0190f5a2-0000-7000-8000-000000000000",
        "bad": "../etc",
    }.get(target) or ids[target]
    body = {"reversed_id": reversed_id, **REVERSAL, **change}
    return f"/v1/funds/{club.activity}/reversals", body


GROUPS = sorted({route.split(":")[0] for route, _, _, _ in CASES})


@pytest.mark.parametrize("group", GROUPS)
def test_bad_input_is_refused_and_changes_nothing(
    world: tuple[Finance, Club, dict[str, str]], group: str
) -> None:
    """Every case of the route, one after the other on the same world: each is
    refused naming its field, and the world stays as it was."""
    finance, club, ids = world
    before = state(finance)
    cases = [case for case in CASES if case[0].split(":")[0] == group]
    assert cases
    for route, change, field, status in cases:
        url, body = _request(club, ids, route, change)
        reply = finance.http.post(url, json=body, headers=VL)
        context = f"{route} {change!r}: {reply.text}"
        assert reply.status_code == status, context
        assert reply.headers["content-type"].startswith("application/problem+json"), context
        problem = reply.json()
        assert field in [e["field"] for e in problem["errors"]], context
        assert problem["status"] == status and problem["detail"], context
        assert state(finance) == before, context
    assert balances(finance, club.activity)["cash_vnd"] == 73_000


def test_problems_name_the_band_and_the_cash(world: tuple[Finance, Club, dict[str, str]]) -> None:
    finance, club, ids = world
    http = finance.http
    low = refused(
        pay_fee(finance, club.activity, club.member, "2026-11", amount=1500), "amount_vnd"
    )
    assert low["errors"][0]["band"] == [2000, 5000] and "2000–5000" in low["detail"]
    rate = refused(
        http.post(
            f"/v1/clubs/{club.id}/regulations", json={**REGULATION, "rate_max": "0.012"}, headers=VL
        ),
        "rate_max",
    )
    assert rate["errors"][0]["band"] == ["0.006", "0.010"] and "national band" in rate["detail"]
    short = refused(spend(finance, club.activity, 80_000, "2026-02-01"), "amount_vnd")
    assert short["errors"][0]["cash_available_vnd"] == 73_000
    undo = refused(
        http.post(
            f"/v1/funds/{club.activity}/reversals",
            json={"reversed_id": ids["cash"], **REVERSAL},
            headers=VL,
        ),
        "reversed_id",
    )
    assert undo["errors"][0]["cash_available_vnd"] == 73_000
    # exactly the headroom is fine, backdated as far as the cash allows
    ok(spend(finance, club.activity, 73_000, "2026-02-01"))
    assert balances(finance, club.activity)["cash_vnd"] == 0
    assert balances(finance, club.activity, as_of="2026-05-31")["cash_vnd"] == 30_000


def test_a_reversal_that_would_leave_an_earlier_day_short_is_refused(finance: Finance) -> None:
    """Reversing a fee on its own day is fine unless a later expense spent it."""
    club = setup_club(finance)
    fee = ok(pay_fee(finance, club.activity, club.member, "2026-03", amount=5000))
    ok(spend(finance, club.activity, 4000, "2026-04-01"))
    before = state(finance)
    problem = refused(
        finance.http.post(
            f"/v1/funds/{club.activity}/reversals",
            json={"reversed_id": fee["id"], "reason": "Sai", "reversed_on": "2026-03-05"},
            headers=VL,
        ),
        "reversed_id",
    )
    assert problem["errors"][0]["cash_available_vnd"] == 1000
    assert state(finance) == before


def test_fund_opening_needs_a_regulation_and_a_living_club(finance: Finance) -> None:
    http = finance.http
    club = finance.club()
    dissolved = finance.club(dissolved_on=date(2024, 6, 30))
    before = state(finance)
    refused(
        http.post(
            f"/v1/clubs/{club}/funds",
            json={"kind": "income", "opened_on": "2025-01-01"},
            headers=VL,
        ),
        "opened_on",
    )
    assert state(finance) == before
    ok(http.post(f"/v1/clubs/{club}/regulations", json=REGULATION, headers=VL))
    ok(http.post(f"/v1/clubs/{dissolved}/regulations", json=REGULATION, headers=VL))
    before = state(finance)
    for club_id, opened_on in (
        (club, "2019-12-31"),  # before the regulation took effect
        (club, "2026-12-02"),  # in the future
        (club, "2018-03-14"),  # before the club was founded
        (dissolved, "2024-07-01"),  # after the club was dissolved
    ):
        reply = http.post(
            f"/v1/clubs/{club_id}/funds",
            json={"kind": "activity", "opened_on": opened_on},
            headers=VL,
        )
        refused(reply, "opened_on")
    refused(
        http.post(
            f"/v1/clubs/{dissolved}/regulations",
            json={**REGULATION, "effective_on": "2024-07-01"},
            headers=VL,
        ),
        "effective_on",
    )
    assert state(finance) == before
    ok(
        http.post(
            f"/v1/clubs/{dissolved}/funds",
            json={"kind": "activity", "opened_on": "2024-06-30"},
            headers=VL,
        )
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-11-10", "to": "2026-11-09"}, "to"),
        ({"from": "2006-01-01", "to": "2026-11-30"}, "from"),
        ({"from": "2026-12-02"}, "from"),
        ({"to": "2026-12-02"}, "to"),
        ({"from": "2026-02-30"}, "from"),
        ({"format": "pdf"}, "format"),
        ({"as_of": "x"}, "as_of"),
    ],
)
def test_a_bad_statement_period_names_the_field(
    world: tuple[Finance, Club, dict[str, str]], params: dict[str, str], field: str
) -> None:
    finance, club, _ = world
    url = (
        f"/v1/funds/{club.activity}"
        if "as_of" in params
        else f"/v1/funds/{club.activity}/statement"
    )
    refused(finance.http.get(url, params=params, headers=VL), field)


def test_a_forged_cursor_is_a_422(world: tuple[Finance, Club, dict[str, str]]) -> None:
    finance, club, _ = world
    for url in (
        f"/v1/funds/{club.activity}/contributions",
        f"/v1/clubs/{club.id}/regulations",
        "/v1/funds",
    ):
        refused(finance.http.get(url, params={"cursor": "junk"}, headers=VL), "cursor")
