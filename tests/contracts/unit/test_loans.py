"""Arrears and PAR30 as every service counts them (`ishc_contracts.loans`; unit: no I/O)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from ishc_contracts.loans import (
    NO_ARREARS,
    PAR_DAYS,
    Allocation,
    Arrears,
    Instalment,
    LoanPosition,
    arrears,
    in_portfolio,
    outstanding_principal,
    par30,
)

DISBURSED = date(2025, 1, 15)


def monthly(principal: int, months: int, interest: int) -> list[Instalment]:
    """Equal instalments due on the 15th of each month from February 2025."""
    part = principal // months
    return [
        Instalment(
            number=k,
            due_on=date(2025 + (k // 12), 1 + k % 12, 15),
            principal_vnd=part if k < months else principal - part * (months - 1),
            interest_vnd=interest,
        )
        for k in range(1, months + 1)
    ]


# 12,000,000 over 12 months: 1,000,000 principal and 96,000 interest due on the 15th.
SCHEDULE = monthly(12_000_000, 12, 96_000)
FEB_15, MAR_15 = date(2025, 2, 15), date(2025, 3, 15)
PAID_FEB = Allocation(1, FEB_15, 1_000_000, 96_000)


def position(*allocations: Allocation, **dates: date) -> LoanPosition:
    return LoanPosition(12_000_000, DISBURSED, SCHEDULE, allocations, **dates)


def test_the_schedule_used_here() -> None:
    assert [i.due_on for i in SCHEDULE[:3]] == [FEB_15, MAR_15, date(2025, 4, 15)]
    assert SCHEDULE[-1].due_on == date(2026, 1, 15)
    assert sum(i.principal_vnd for i in SCHEDULE) == 12_000_000


def test_an_instalment_is_not_late_on_its_due_date() -> None:
    loan = position(PAID_FEB)
    assert arrears(loan, MAR_15) == NO_ARREARS
    assert arrears(loan, MAR_15 + timedelta(days=1)) == Arrears(1, 1_096_000, 1_000_000)


@pytest.mark.parametrize(
    ("days", "at_risk"), [(1, False), (29, False), (30, False), (31, True), (90, True)]
)
def test_more_than_30_days_late_is_at_risk(days: int, at_risk: bool) -> None:
    on = MAR_15 + timedelta(days=days)
    late = arrears(position(PAID_FEB), on)
    assert late.days_late == days
    assert late.at_risk is at_risk
    assert PAR_DAYS == 30
    result = par30([position(PAID_FEB)], on)
    assert result.outstanding_vnd == 11_000_000
    assert result.at_risk_vnd == (11_000_000 if at_risk else 0)
    assert result.loans_at_risk == (1 if at_risk else 0)


def test_day_30_and_day_31_by_the_calendar() -> None:
    # Due 15/03: 14/04 is day 30 (not at risk), 15/04 is day 31 (at risk).
    assert arrears(position(PAID_FEB), date(2025, 4, 14)).days_late == 30
    assert not arrears(position(PAID_FEB), date(2025, 4, 14)).at_risk
    assert arrears(position(PAID_FEB), date(2025, 4, 15)).at_risk


def test_days_late_count_from_the_oldest_late_instalment() -> None:
    on = date(2025, 4, 20)  # instalments 1–3 late; the oldest fell due 15/02
    late = arrears(position(), on)
    assert late == Arrears((on - FEB_15).days, 3 * 1_096_000, 3_000_000)


def test_a_partly_paid_instalment_is_still_late() -> None:
    interest_only = Allocation(1, FEB_15, 0, 96_000)
    assert arrears(position(interest_only), date(2025, 3, 1)) == Arrears(14, 1_000_000, 1_000_000)
    all_but_one = Allocation(1, FEB_15, 999_999, 96_000)
    assert arrears(position(all_but_one), date(2025, 3, 1)).days_late == 14


def test_a_small_late_instalment_puts_the_whole_balance_at_risk() -> None:
    # Two loans of 12,000,000: one on time, one 40 days behind with its 2nd instalment.
    on = MAR_15 + timedelta(days=40)
    on_time = position(PAID_FEB, Allocation(2, MAR_15, 1_000_000, 96_000))
    behind = position(PAID_FEB)
    result = par30([on_time, behind], on)
    # Outstanding: 10,000,000 + 11,000,000 (the 3rd instalment, 15/04, is late too).
    assert result.outstanding_vnd == 21_000_000
    assert result.at_risk_vnd == 11_000_000  # the whole unpaid principal, not the 2,000,000 late
    assert result.ratio == Decimal(11_000_000) / Decimal(21_000_000)
    assert round(result.ratio, 4) == Decimal("0.5238")
    # Fineract's "overdue ÷ outstanding" would say 2,000,000 ÷ 21,000,000, under 10%.
    overdue = arrears(behind, on).principal_late_vnd
    assert overdue == 2_000_000
    assert round(Decimal(overdue) / result.outstanding_vnd, 4) == Decimal("0.0952")
    assert Decimal(overdue) / result.outstanding_vnd != result.ratio


def test_an_interest_only_loan_late_on_interest_is_at_risk_for_its_whole_principal() -> None:
    schedule = [
        Instalment(k, date(2025, 1 + k, 15), 0 if k < 6 else 10_000_000, 80_000)
        for k in range(1, 7)
    ]
    loan = LoanPosition(10_000_000, DISBURSED, schedule)
    on = date(2025, 3, 20)  # the 80,000 due 15/02 is 33 days late
    assert arrears(loan, on) == Arrears(33, 160_000, 0)
    assert par30([loan], on).at_risk_vnd == 10_000_000


def test_settled_and_written_off_loans_leave_the_portfolio() -> None:
    on = date(2025, 6, 1)
    settled = position(PAID_FEB, closed_on=date(2025, 5, 1))
    written_off = position(written_off_on=date(2025, 5, 31))
    for loan in (settled, written_off):
        assert not in_portfolio(loan, on)
        assert outstanding_principal(loan, on) == 0
        assert arrears(loan, on) == NO_ARREARS
    result = par30([settled, written_off], on)
    assert (result.at_risk_vnd, result.outstanding_vnd, result.loans_at_risk) == (0, 0, 0)
    assert result.ratio is None
    # Before the write-off the loan was in the portfolio, and at risk.
    before = par30([written_off], date(2025, 5, 30))
    assert (before.at_risk_vnd, before.outstanding_vnd) == (12_000_000, 12_000_000)
    assert before.ratio == 1


def test_a_loan_not_yet_disbursed_is_not_in_the_portfolio() -> None:
    assert not in_portfolio(position(), DISBURSED - timedelta(days=1))
    assert in_portfolio(position(), DISBURSED)
    assert outstanding_principal(position(), DISBURSED) == 12_000_000


def test_as_of_a_past_date_ignores_later_payments() -> None:
    # Instalment 2 (due 15/03) paid 45 days late, on 29/04.
    late_payment = Allocation(2, date(2025, 4, 29), 1_000_000, 96_000)
    on_time_3 = Allocation(3, date(2025, 4, 29), 1_000_000, 96_000)
    loan = position(PAID_FEB, late_payment, on_time_3)
    on = date(2025, 4, 28)
    assert outstanding_principal(loan, on) == 11_000_000
    assert arrears(loan, on).days_late == 44
    assert par30([loan], on).at_risk_vnd == 11_000_000
    after = date(2025, 4, 29)
    assert outstanding_principal(loan, after) == 9_000_000
    assert arrears(loan, after) == NO_ARREARS
    assert par30([loan], after).at_risk_vnd == 0


def test_a_loan_paid_in_full_counts_for_nothing() -> None:
    paid = [Allocation(i.number, FEB_15, i.principal_vnd, i.interest_vnd) for i in SCHEDULE]
    loan = position(*paid)
    result = par30([loan], date(2027, 1, 1))
    assert (result.at_risk_vnd, result.outstanding_vnd) == (0, 0)
