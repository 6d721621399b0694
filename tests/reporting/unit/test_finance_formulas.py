"""The finance indicators' formulas on hand-worked cases (no database, no broker):
cash and gifts in kind, borrowers, PAR30's roll-up, both funds, how they show in
reports, and what the public does not see of them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ishc_contracts.loans import Allocation, Instalment, LoanPosition, PortfolioAtRisk, par30
from ishc_reporting.domain.finance import (
    ClubFinance,
    FlowKind,
    FundTotals,
    borrowers,
    cash_balance,
    in_kind_value,
    is_borrower,
    reversal_amount,
    signed_amount,
)
from ishc_reporting.domain.indicators import ClubFacts, judge, roll_up
from ishc_reporting.domain.report_layout import indicator_rows
from ishc_reporting.domain.small_cells import suppress_small_cells

M = 1_000_000


def loan(principal: int, on: date, **changes: object) -> LoanPosition:
    schedule = [Instalment(1, date(on.year, on.month + 1, 1), principal, 0)]
    return LoanPosition(principal, on, schedule, **changes)  # type: ignore[arg-type]


def test_flows_are_signed_as_they_move_the_fund_and_reversals_negate_them() -> None:
    assert signed_amount(FlowKind.CONTRIBUTION, 500) == 500
    assert signed_amount(FlowKind.EXPENSE, 500) == -500
    assert reversal_amount(FlowKind.FEE, 5_000) == -5_000
    assert reversal_amount(FlowKind.EXPENSE, 100) == 100  # the money comes back


def test_cash_leaves_gifts_in_kind_out_and_counts_lending() -> None:
    totals = FundTotals(
        flows={
            FlowKind.CONTRIBUTION: 30 * M,
            FlowKind.CONTRIBUTION_IN_KIND: 4 * M,
            FlowKind.INTEREST: 990_000,
            FlowKind.FEE: 310_000,
            FlowKind.EXPENSE: -200_000,
            FlowKind.RECOVERY: M,
        },
        principal_repaid_vnd=13_900_000,
        disbursed_vnd=31_400_000,
    )
    assert (
        cash_balance(totals) == 30 * M + 990_000 + 310_000 - 200_000 + M + 13_900_000 - 31_400_000
    )
    assert in_kind_value(totals) == 4 * M
    assert cash_balance(FundTotals()) == 0 and in_kind_value(FundTotals()) == 0


def test_a_borrower_counts_once_while_a_loan_is_outstanding_or_recent() -> None:
    window = date(2025, 7, 1)
    on = date(2026, 6, 30)
    old_but_owed = loan(2 * M, date(2024, 3, 1))
    old_and_paid = loan(
        2 * M, date(2024, 3, 1), allocations=(Allocation(1, date(2024, 4, 1), 2 * M, 0),)
    )
    recent_and_settled = loan(M, date(2025, 8, 1), closed_on=date(2025, 9, 1))
    written_off = loan(M, date(2024, 1, 1), written_off_on=date(2025, 1, 1))
    later = loan(M, date(2026, 7, 1))
    assert is_borrower(old_but_owed, on, window)
    assert not is_borrower(old_and_paid, on, window)
    assert is_borrower(recent_and_settled, on, window)
    assert not is_borrower(written_off, on, window)
    assert not is_borrower(later, on, window)
    assert is_borrower(loan(M, window), on, window)  # the window's first day is in it
    assert (
        borrowers([("m0", old_but_owed), ("m0", recent_and_settled), ("m1", later)], on, window)
        == 1
    )


def test_par30_rolls_up_as_the_sum_over_the_sum() -> None:
    # A club with a small late instalment but a large balance counts wholly at risk.
    late = LoanPosition(
        12 * M,
        date(2026, 1, 15),
        [Instalment(n, date(2026 + n // 12, n % 12 + 1, 15), M, 120_000) for n in range(1, 13)],
        (
            Allocation(1, date(2026, 2, 15), M, 120_000),
            Allocation(2, date(2026, 3, 15), M, 120_000),
            Allocation(3, date(2026, 4, 15), M, 120_000),
            Allocation(4, date(2026, 5, 15), M, 100_000),  # 20,000 short
        ),
    )
    on = date(2026, 6, 30)
    a = par30([late], on)
    assert (a.at_risk_vnd, a.outstanding_vnd) == (8 * M, 8 * M)
    b = PortfolioAtRisk(at_risk_vnd=0, outstanding_vnd=24 * M, loans_at_risk=0)
    club_a = ClubFacts("a", members=10, finance=ClubFinance(portfolio=a, borrowers=1))
    club_b = ClubFacts("b", members=30, finance=ClubFinance(portfolio=b, borrowers=20))
    rollup = roll_up([(club_a, "1"), (club_b, "2")])
    assert rollup.par30 == Decimal("25.00")  # 8 of 32 M, not the mean of 100% and 0%
    assert rollup.borrowers_share == Decimal("52.50")  # 21 of 40, not the mean of 10% and 66%
    figures = rollup.as_dict()
    assert figures["outstanding_principal_vnd"] == 32 * M and figures["loans_at_risk"] == 1
    assert roll_up([]).par30 is None  # no portfolio


def test_both_funds_are_a_check_of_the_club() -> None:
    assert judge(ClubFacts("c", finance=ClubFinance(income_fund=True, activity_fund=True))).funds_ok
    assert not judge(ClubFacts("c", finance=ClubFinance(income_fund=True))).funds_ok
    rollup = roll_up(
        [
            (ClubFacts("a", finance=ClubFinance(income_fund=True, activity_fund=True)), "1"),
            (ClubFacts("b", finance=ClubFinance(activity_fund=True)), "1"),
        ]
    )
    assert rollup.shares()["funds_ok"] == Decimal("50.00")


def test_a_report_measures_the_borrowers_target_on_their_share() -> None:
    figures = {
        "indicators": {"borrowers": 4, "borrowers_share": "30.76", "shares": {"funds_ok": "50.00"}},
        "targets": {
            "borrowers": {"value": "30.76", "target": "50", "gap": "19.24"},
            "funds_ok": {"value": "50.00", "target": "100", "gap": "50.00"},
        },
    }
    rows = {r[0]: r[1:] for r in indicator_rows(figures, "vi")}
    assert rows["Hội viên được vay vốn"] == [4, None, None]
    assert rows["Tỷ lệ hội viên được vay vốn (%)"] == ["30.76", "50", "19.24"]
    assert rows["CLB có đủ quỹ tăng thu nhập và quỹ hoạt động (%)"] == ["50.00", "100", "50.00"]


def test_the_public_sees_no_few_borrowers_nor_a_few_loans() -> None:
    row = {
        "members": 60,
        "borrowers": 2,
        "borrowers_share": "3.33",  # would give the 2 away
        "loans_outstanding": 2,
        "loans_at_risk": 1,
        "outstanding_principal_vnd": 3 * M,
        "at_risk_principal_vnd": M,
        "par30": "33.33",
        "fund_balance_vnd": 25 * M,
        "interest_income_vnd": 750_000,
    }
    shown = suppress_small_cells(row, 5)
    assert shown["borrowers"] == "< 5" and shown["borrowers_share"] is None
    assert shown["loans_outstanding"] == "< 5" and shown["loans_at_risk"] == "< 5"
    assert shown["outstanding_principal_vnd"] is None and shown["par30"] is None
    assert shown["at_risk_principal_vnd"] is None
    assert shown["fund_balance_vnd"] == 25 * M and shown["interest_income_vnd"] == 750_000

    # 57 of 60 members borrow: the 3 who do not would be given away.
    most = suppress_small_cells({**row, "borrowers": 57, "borrowers_share": "95.00"}, 5)
    assert most["borrowers"] == "> 55" and most["borrowers_share"] is None
    many = suppress_small_cells(
        {**row, "borrowers": 30, "borrowers_share": "50.00", "loans_outstanding": 30}, 5
    )
    assert many["borrowers"] == 30 and many["borrowers_share"] == "50.00"
    assert many["par30"] == "33.33" and many["outstanding_principal_vnd"] == 3 * M

    # A province row: the borrowers' target hides with their share.
    province = {
        "indicators": row,
        "targets": {"borrowers": {"value": "3.33", "target": "50", "gap": "46.67"}},
    }
    hidden = suppress_small_cells(province, 5)
    assert hidden["targets"]["borrowers"]["value"] is None
    assert hidden["targets"]["borrowers"]["gap"] is None
    assert hidden["indicators"]["par30"] is None
