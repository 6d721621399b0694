"""What the loan tests share (no tests here): a club with a regulation, both funds
and money in them (through their routes), and readings of the books straight from
the database, so each test can say exactly what changed and that nothing else did."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
from sqlalchemy import text

from ishc_platform.db import make_sync_engine
from tests.finance.conftest import DN, VINH_LONG, VL, Finance

RATE = "0.008"
DISBURSED = date(2026, 3, 10)
"""Loans of the tests are disbursed on 10/03/2026, so instalment k falls due on the
10th, k months later; the tests' today is 01/12/2026."""


def token_for(province: str) -> dict[str, str]:
    return VL if province == VINH_LONG else DN


def _created(reply: httpx.Response) -> dict[str, Any]:
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


def adopt_regulation(
    finance: Finance,
    club_id: str,
    province: str = VINH_LONG,
    *,
    effective_on: date = date(2024, 1, 1),
    rate_min: str = "0.006",
    rate_max: str = "0.010",
    max_loan_vnd: int = 20_000_000,
    max_term_months: int = 24,
    methods: tuple[str, ...] = (
        "flat",
        "declining_equal_principal",
        "declining_equal_instalments",
        "interest_only",
    ),
    rounding_unit_vnd: int = 1,
) -> None:
    body = {
        "effective_on": effective_on.isoformat(),
        "rate_min": rate_min,
        "rate_max": rate_max,
        "fee_min_vnd": 2000,
        "fee_max_vnd": 5000,
        "max_loan_vnd": max_loan_vnd,
        "max_term_months": max_term_months,
        "methods": list(methods),
        "rounding_unit_vnd": rounding_unit_vnd,
    }
    _created(
        finance.http.post(
            f"/v1/clubs/{club_id}/regulations", json=body, headers=token_for(province)
        )
    )


def open_fund(
    finance: Finance, club_id: str, kind: str, opened_on: date, province: str = VINH_LONG
) -> str:
    body = {"kind": kind, "opened_on": opened_on.isoformat()}
    reply = finance.http.post(f"/v1/clubs/{club_id}/funds", json=body, headers=token_for(province))
    return str(_created(reply)["id"])


def contribute(
    finance: Finance, fund_id: str, amount_vnd: int, on: date, province: str = VINH_LONG
) -> None:
    body = {"source": "organisation", "amount_vnd": amount_vnd, "received_on": on.isoformat()}
    _created(
        finance.http.post(
            f"/v1/funds/{fund_id}/contributions", json=body, headers=token_for(province)
        )
    )


def pay_fee(finance: Finance, club: Club, month: str, amount_vnd: int, paid_on: date) -> None:
    """A member's monthly fee into the activity fund."""
    body = {
        "member_id": club.member,
        "month": month,
        "amount_vnd": amount_vnd,
        "paid_on": paid_on.isoformat(),
    }
    _created(finance.http.post(f"/v1/funds/{club.activity}/fees", json=body, headers=club.token))


def spend(finance: Finance, club: Club, amount_vnd: int, spent_on: date) -> None:
    """An expense of the activity fund."""
    body = {
        "amount_vnd": amount_vnd,
        "purpose": "Thăm hỏi hội viên ốm",
        "area": "self_help",
        "spent_on": spent_on.isoformat(),
    }
    _created(
        finance.http.post(f"/v1/funds/{club.activity}/expenses", json=body, headers=club.token)
    )


@dataclass(frozen=True)
class Club:
    club_id: str
    province: str
    income: str  # the income fund's id
    activity: str  # the activity fund's id
    member: str  # an active member's id

    @property
    def token(self) -> dict[str, str]:
        return token_for(self.province)


def club_with_funds(
    finance: Finance,
    *,
    province: str = VINH_LONG,
    cash_vnd: int = 50_000_000,
    funded_on: date = date(2025, 1, 10),
    activity_cash_vnd: int = 0,
    **regulation: Any,
) -> Club:
    """A club founded in 2018 with a regulation in force from 2024, both funds
    opened on 02/01/2025 and `cash_vnd` given into its income fund on `funded_on`."""
    club_id = finance.club(province=province)
    adopt_regulation(finance, club_id, province, **regulation)
    income = open_fund(finance, club_id, "income", date(2025, 1, 2), province)
    activity = open_fund(finance, club_id, "activity", date(2025, 1, 2), province)
    if cash_vnd:
        contribute(finance, income, cash_vnd, funded_on, province)
    if activity_cash_vnd:
        contribute(finance, activity, activity_cash_vnd, funded_on, province)
    member = finance.member(club_id, province=province)
    return Club(club_id, province, income, activity, member)


def loan_body(member_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "member_id": member_id,
        "principal_vnd": 10_000_000,
        "monthly_rate": RATE,
        "term_months": 12,
        "method": "flat",
        "disbursed_on": DISBURSED.isoformat(),
    }
    body.update(overrides)
    return body


def lend(finance: Finance, club: Club, **overrides: Any) -> dict[str, Any]:
    reply = finance.http.post(
        f"/v1/funds/{club.income}/loans",
        json=loan_body(overrides.pop("member_id", club.member), **overrides),
        headers=club.token,
    )
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


def repay(
    finance: Finance, club: Club, loan_id: str, amount_vnd: int, paid_on: date, **extra: Any
) -> dict[str, Any]:
    reply = finance.http.post(
        f"/v1/loans/{loan_id}/repayments",
        json={"amount_vnd": amount_vnd, "paid_on": paid_on.isoformat(), **extra},
        headers=club.token,
    )
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


# --- the books, read straight from the database ---------------------------------


def _rows(finance: Finance, sql: str, **params: Any) -> list[dict[str, Any]]:
    engine = make_sync_engine(finance.database_url)
    try:
        with engine.connect() as connection:
            return [dict(r) for r in connection.execute(text(sql), params).mappings()]
    finally:
        engine.dispose()


def accounts(finance: Finance, fund_id: str) -> dict[str, int]:
    """Each account's balance of the fund over all its ledger lines (debit +)."""
    rows = _rows(
        finance,
        "SELECT account, SUM(amount_vnd) AS total FROM ledger_line WHERE fund_id = :f "
        "GROUP BY account",
        f=fund_id,
    )
    return {r["account"]: int(r["total"]) for r in rows if int(r["total"]) != 0}


def snapshot(finance: Finance) -> dict[str, Any]:
    """Everything a refused request must leave as it was."""
    counts = {
        table: int(_rows(finance, f"SELECT COUNT(*) AS n FROM {table}")[0]["n"])
        for table in (
            "loan",
            "loan_instalment",
            "repayment",
            "repayment_allocation",
            "recovery",
            "ledger_entry",
            "ledger_line",
            "outbox",
        )
    }
    loans = _rows(
        finance,
        "SELECT id, closed_on, settled_early, written_off_on, written_off_vnd, version "
        "FROM loan ORDER BY id",
    )
    lines = _rows(
        finance,
        "SELECT fund_id, account, SUM(amount_vnd) AS total FROM ledger_line "
        "GROUP BY fund_id, account ORDER BY fund_id, account",
    )
    return {
        "counts": counts,
        "loans": loans,
        "lines": [(r["fund_id"], r["account"], int(r["total"])) for r in lines],
    }


def check_books(finance: Finance, club: Club) -> dict[str, dict[str, int]]:
    """Each fund's trial balance is 0, and cash + outstanding principal of both
    funds is what the operations put in and took out: contributions + interest +
    fees − expenses − write-offs + recoveries, counted from the operation tables."""
    income, activity = accounts(finance, club.income), accounts(finance, club.activity)
    assert sum(income.values()) == 0, income
    assert sum(activity.values()) == 0, activity
    one = lambda sql: int(_rows(finance, sql, i=club.income, a=club.activity)[0]["n"] or 0)  # noqa: E731
    contributions = one(
        "SELECT COALESCE(SUM(amount_vnd), 0) AS n FROM contribution "
        "WHERE fund_id IN (:i, :a) AND in_kind = false AND reversed_by IS NULL"
    )
    interest = one("SELECT COALESCE(SUM(interest_vnd), 0) AS n FROM repayment WHERE fund_id = :i")
    repaid = one("SELECT COALESCE(SUM(principal_vnd), 0) AS n FROM repayment WHERE fund_id = :i")
    lent = one("SELECT COALESCE(SUM(principal_vnd), 0) AS n FROM loan WHERE fund_id = :i")
    written_off = one("SELECT COALESCE(SUM(written_off_vnd), 0) AS n FROM loan WHERE fund_id = :i")
    recovered = one("SELECT COALESCE(SUM(amount_vnd), 0) AS n FROM recovery WHERE fund_id = :i")
    fees = one(
        "SELECT COALESCE(SUM(amount_vnd), 0) AS n FROM fee WHERE fund_id = :a "
        "AND reversed_by IS NULL"
    )
    expenses = one(
        "SELECT COALESCE(SUM(amount_vnd), 0) AS n FROM expense WHERE fund_id = :a "
        "AND reversed_by IS NULL"
    )
    outstanding = lent - repaid - written_off
    assert income.get("loans_receivable", 0) == outstanding
    assert activity.get("interest_income", 0) == -interest
    cash = income.get("cash", 0) + activity.get("cash", 0)
    assert cash + outstanding == (
        contributions + interest + fees - expenses - written_off + recovered
    ), (income, activity)
    return {"income": income, "activity": activity}


def outbox(finance: Finance, subject: str | None = None) -> list[dict[str, Any]]:
    """The events the service recorded, in the order written."""
    rows = _rows(
        finance, "SELECT type, subject, sequence, province, envelope FROM outbox ORDER BY id"
    )
    return [r for r in rows if subject is None or r["subject"] == subject]
