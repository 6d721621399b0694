"""Repayments (oldest first, interest before principal) and early settlement
(tất toán trước hạn) (unit: no I/O)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ishc_contracts.finance_events import InterestMethod
from ishc_contracts.loans import (
    NO_ARREARS,
    Allocation,
    Instalment,
    arrears,
    outstanding_principal,
)
from ishc_finance.domain.repayments import (
    Settlement,
    allocate,
    loan_position,
    owed,
    principal_owed,
    settlement,
    unpaid,
)
from ishc_finance.domain.schedules import schedule
from ishc_platform.validation import FieldError

DISBURSED = date(2025, 1, 10)
RATE = Decimal("0.01")


def loan(method: InterestMethod, unit: int = 1, principal: int = 3_000_000) -> list[Instalment]:
    return schedule(
        principal_vnd=principal,
        monthly_rate=RATE,
        term_months=3,
        method=method,
        disbursed_on=DISBURSED,
        rounding_unit_vnd=unit,
    )


# 3,000,000 at 1% over 3 months, dư nợ giảm dần gốc đều, disbursed 10/01/2025:
#   1: 10/02  1,000,000 + 30,000     2: 10/03  1,000,000 + 20,000
#   3: 10/04  1,000,000 + 10,000     3,060,000 in all.
DECLINING = loan(InterestMethod.DECLINING_EQUAL_PRINCIPAL)
FEB_10, MAR_10, APR_10 = date(2025, 2, 10), date(2025, 3, 10), date(2025, 4, 10)


def test_the_hand_worked_loan() -> None:
    assert [(i.due_on, i.principal_vnd, i.interest_vnd) for i in DECLINING] == [
        (FEB_10, 1_000_000, 30_000),
        (MAR_10, 1_000_000, 20_000),
        (APR_10, 1_000_000, 10_000),
    ]
    assert owed(DECLINING, []) == 3_060_000
    assert principal_owed(DECLINING, []) == 3_000_000


def test_interest_before_principal() -> None:
    assert allocate(DECLINING, [], amount_vnd=20_000, paid_on=FEB_10) == [
        Allocation(1, FEB_10, 0, 20_000)
    ]
    assert allocate(DECLINING, [], amount_vnd=500_000, paid_on=FEB_10) == [
        Allocation(1, FEB_10, 470_000, 30_000)
    ]


def test_oldest_instalment_first_then_paying_ahead() -> None:
    first = [Allocation(1, FEB_10, 0, 20_000)]
    # 1,050,000: the rest of instalment 1 (10,000 interest, 1,000,000 principal),
    # then instalment 2's interest (20,000) and 20,000 of its principal.
    day = date(2025, 2, 15)
    assert allocate(DECLINING, first, amount_vnd=1_050_000, paid_on=day) == [
        Allocation(1, day, 1_000_000, 10_000),
        Allocation(2, day, 20_000, 20_000),
    ]


def test_the_schedule_in_any_order_is_paid_oldest_first() -> None:
    shuffled = [DECLINING[2], DECLINING[0], DECLINING[1]]
    assert allocate(shuffled, [], amount_vnd=1_040_000, paid_on=FEB_10) == [
        Allocation(1, FEB_10, 1_000_000, 30_000),
        Allocation(2, FEB_10, 0, 10_000),
    ]


def test_paying_ahead_into_instalments_not_yet_due() -> None:
    # Paid on the day of disbursement: everything is ahead, and still oldest first.
    assert allocate(DECLINING, [], amount_vnd=2_060_000, paid_on=DISBURSED) == [
        Allocation(1, DISBURSED, 1_000_000, 30_000),
        Allocation(2, DISBURSED, 1_000_000, 20_000),
        Allocation(3, DISBURSED, 0, 10_000),
    ]


def test_exact_payoff_leaves_nothing_owed() -> None:
    paid = allocate(DECLINING, [], amount_vnd=1_030_000, paid_on=FEB_10)
    rest = allocate(DECLINING, paid, amount_vnd=owed(DECLINING, paid), paid_on=MAR_10)
    assert sum(a.principal_vnd + a.interest_vnd for a in rest) == 2_030_000
    assert owed(DECLINING, paid + rest) == 0
    assert principal_owed(DECLINING, paid + rest) == 0


def test_overpayment_is_refused() -> None:
    paid = allocate(DECLINING, [], amount_vnd=1_030_000, paid_on=FEB_10)
    with pytest.raises(FieldError) as refused:
        allocate(DECLINING, paid, amount_vnd=2_030_001, paid_on=MAR_10)
    assert refused.value.field == "amount_vnd"
    assert "more than the 2030000 VND owed" in refused.value.message
    assert refused.value.extra == {"owed_vnd": 2_030_000}


@pytest.mark.parametrize("amount", [0, -1])
def test_a_repayment_is_positive(amount: int) -> None:
    with pytest.raises(FieldError) as refused:
        allocate(DECLINING, [], amount_vnd=amount, paid_on=FEB_10)
    assert refused.value.field == "amount_vnd"


def test_nothing_owed_refuses_any_repayment() -> None:
    paid = allocate(DECLINING, [], amount_vnd=3_060_000, paid_on=FEB_10)
    with pytest.raises(FieldError, match="more than the 0 VND owed"):
        allocate(DECLINING, paid, amount_vnd=1, paid_on=MAR_10)


def settle(
    instalments: list[Instalment],
    allocations: list[Allocation],
    on: date,
    method: InterestMethod = InterestMethod.DECLINING_EQUAL_PRINCIPAL,
    unit: int = 1,
) -> Settlement:
    return settlement(
        schedule=instalments,
        allocations=allocations,
        method=method,
        monthly_rate=RATE,
        disbursed_on=DISBURSED,
        rounding_unit_vnd=unit,
        on=on,
    )


FIRST_PAID = [Allocation(1, FEB_10, 1_000_000, 30_000)]


# Instalment 1 paid; settled on 24/02, 14 days into the 28-day period 10/02–10/03:
#   principal 2,000,000; interest 2,000,000 × 1% × 14/28 = 10,000 (not instalment 2's
#   20,000 nor instalment 3's 10,000: those are forgiven).
def test_declining_settlement_charges_interest_to_the_date() -> None:
    on = date(2025, 2, 24)
    settled = settle(DECLINING, FIRST_PAID, on)
    assert (settled.principal_vnd, settled.interest_vnd, settled.amount_vnd) == (
        2_000_000,
        10_000,
        2_010_000,
    )
    assert settled.allocations == [
        Allocation(2, on, 1_000_000, 10_000),
        Allocation(3, on, 1_000_000, 0),
    ]


# Nothing paid, settled on 20/02, 10 days after instalment 1 fell due: its 30,000
# interest, plus 3,000,000 × 1% × 10/28 = 10,714.29 → 10,714 (11,000 at 1,000 VND).
@pytest.mark.parametrize(("unit", "accrued"), [(1, 10_714), (1000, 11_000)])
def test_declining_settlement_in_arrears(unit: int, accrued: int) -> None:
    on = date(2025, 2, 20)
    settled = settle(loan(InterestMethod.DECLINING_EQUAL_PRINCIPAL, unit), [], on, unit=unit)
    assert settled.principal_vnd == 3_000_000
    assert settled.interest_vnd == 30_000 + accrued
    assert settled.allocations == [
        Allocation(1, on, 1_000_000, 30_000),
        Allocation(2, on, 1_000_000, accrued),
        Allocation(3, on, 1_000_000, 0),
    ]


def test_declining_settlement_on_a_due_date_takes_that_instalments_interest() -> None:
    settled = settle(DECLINING, FIRST_PAID, MAR_10)
    assert (settled.principal_vnd, settled.interest_vnd) == (2_000_000, 20_000)


def test_declining_settlement_on_the_day_of_disbursement_is_the_principal() -> None:
    settled = settle(DECLINING, [], DISBURSED)
    assert (settled.principal_vnd, settled.interest_vnd) == (3_000_000, 0)


def test_declining_settlement_after_the_last_due_date_takes_all_unpaid_interest() -> None:
    settled = settle(DECLINING, FIRST_PAID, date(2025, 5, 1))
    assert (settled.principal_vnd, settled.interest_vnd) == (2_000_000, 30_000)


def test_interest_paid_ahead_is_kept_not_charged_again() -> None:
    # Instalment 2's 20,000 paid ahead on 10/02; by 24/02 only 10,000 had accrued.
    ahead = [*FIRST_PAID, Allocation(2, FEB_10, 0, 20_000)]
    settled = settle(DECLINING, ahead, date(2025, 2, 24))
    assert (settled.principal_vnd, settled.interest_vnd) == (2_000_000, 0)
    # Half of it paid ahead: 10,000 accrued − 10,000 paid = nothing more.
    half = [*FIRST_PAID, Allocation(2, FEB_10, 0, 10_000)]
    assert settle(DECLINING, half, date(2025, 2, 24)).interest_vnd == 0
    assert settle(DECLINING, half, date(2025, 3, 3)).interest_vnd == 5_000  # 21/28 → 15,000


# Annuity 3,000,000 at 1% over 3 months (1,020,066 a month; see the schedule tests):
# after instalment 1, the balance is 2,009,934; on 24/02 it accrued
# 2,009,934 × 1% × 14/28 = 10,049.67 → 10,050.
def test_annuity_settlement_charges_interest_to_the_date() -> None:
    annuity = loan(InterestMethod.DECLINING_EQUAL_INSTALMENTS)
    paid = [Allocation(1, FEB_10, 990_066, 30_000)]
    settled = settle(
        annuity, paid, date(2025, 2, 24), method=InterestMethod.DECLINING_EQUAL_INSTALMENTS
    )
    assert (settled.principal_vnd, settled.interest_vnd) == (2_009_934, 10_050)


# Flat: 30,000 a month whatever the balance; settled on 24/02 after instalment 1:
# the principal 2,000,000 and all the remaining interest, 60,000.
@pytest.mark.parametrize("method", [InterestMethod.FLAT, InterestMethod.INTEREST_ONLY])
def test_flat_and_interest_only_settlement_takes_all_remaining_interest(
    method: InterestMethod,
) -> None:
    instalments = loan(method)
    first = instalments[0]
    paid = [Allocation(1, FEB_10, first.principal_vnd, first.interest_vnd)]
    on = date(2025, 2, 24)
    settled = settle(instalments, paid, on, method=method)
    assert settled.principal_vnd == 3_000_000 - first.principal_vnd
    assert settled.interest_vnd == 60_000
    assert owed(instalments, paid + settled.allocations) == 0


def test_settlement_before_disbursement_is_refused() -> None:
    with pytest.raises(FieldError) as refused:
        settle(DECLINING, [], DISBURSED - timedelta(days=1))
    assert refused.value.field == "paid_on"


def test_a_settled_loan_leaves_the_portfolio_with_its_allocations() -> None:
    on = date(2025, 2, 24)
    settled = settle(DECLINING, FIRST_PAID, on)
    position = loan_position(
        principal_vnd=3_000_000,
        disbursed_on=DISBURSED,
        schedule=DECLINING,
        allocations=FIRST_PAID + settled.allocations,
        closed_on=on,
    )
    assert outstanding_principal(position, on - timedelta(days=1)) == 2_000_000
    assert outstanding_principal(position, on) == 0
    assert arrears(position, date(2025, 6, 1)) == NO_ARREARS
    # Applied like a repayment, the allocations pay all the principal; the interest
    # they leave (instalment 2's other 10,000 and instalment 3's 10,000) is forgiven,
    # which is why a settled loan must be closed: left open, it would show as late.
    left_open = replace(position, closed_on=None)
    assert outstanding_principal(left_open, date(2025, 6, 1)) == 0
    assert arrears(left_open, date(2025, 6, 1)).amount_late_vnd == 20_000


Case = tuple[InterestMethod, Decimal, int, list[Instalment], list[Allocation], date]


@st.composite
def loan_with_payments(draw: st.DrawFn) -> Case:
    """A loan, some repayments (each at most what is owed), and a later date."""
    method = draw(st.sampled_from(InterestMethod))
    rate = draw(st.decimals(Decimal("0.006"), Decimal("0.010"), places=4))
    unit = draw(st.sampled_from((1, 1000)))
    instalments = schedule(
        principal_vnd=draw(st.integers(1, 50_000_000)),
        monthly_rate=rate,
        term_months=draw(st.integers(1, 24)),
        method=method,
        disbursed_on=DISBURSED,
        rounding_unit_vnd=unit,
    )
    allocations: list[Allocation] = []
    on = DISBURSED
    for _ in range(draw(st.integers(0, 4))):
        left = owed(instalments, allocations)
        if left == 0:
            break
        on += timedelta(days=draw(st.integers(0, 60)))
        amount = draw(st.integers(1, left))
        allocations += allocate(instalments, allocations, amount_vnd=amount, paid_on=on)
    on += timedelta(days=draw(st.integers(0, 800)))
    return method, rate, unit, instalments, allocations, on


@given(loan_with_payments())
def test_repayments_and_settlement_properties(case: Case) -> None:
    method, rate, unit, instalments, allocations, on = case
    # Repayments never pay an instalment beyond its schedule.
    for row in unpaid(instalments, allocations):
        assert row.principal_vnd >= 0 and row.interest_vnd >= 0
    paid = sum(a.principal_vnd + a.interest_vnd for a in allocations)
    assert paid + owed(instalments, allocations) == sum(i.amount_vnd for i in instalments)
    settled = settlement(
        schedule=instalments,
        allocations=allocations,
        method=method,
        monthly_rate=rate,
        disbursed_on=DISBURSED,
        rounding_unit_vnd=unit,
        on=on,
    )
    assert settled.principal_vnd == principal_owed(instalments, allocations)
    # Settling early never costs more than keeping the loan to its end.
    assert settled.amount_vnd <= owed(instalments, allocations)
    after = allocations + settled.allocations
    assert principal_owed(instalments, after) == 0
    for row, instalment in zip(unpaid(instalments, after), instalments, strict=True):
        paid_interest = sum(a.interest_vnd for a in after if a.number == instalment.number)
        assert paid_interest <= instalment.interest_vnd
        assert row.principal_vnd == 0
    if method in (InterestMethod.FLAT, InterestMethod.INTEREST_ONLY):
        assert owed(instalments, after) == 0
