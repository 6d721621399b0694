"""The finance indicators' formulas (DOMAIN.md, "Finance" and "Indicators"), as
plain functions over plain data.

- **Cash** of a club's funds on a date: contributions in cash, principal repaid,
  interest, fees and recoveries, less disbursements and expenses, each reversal
  applied to the kind it reverses. Gifts in kind are recorded at their value but
  are not cash: they are reported beside it, never in it.
- **Borrowers** on a date: members with a loan outstanding then, or disbursed in
  the last 12 months up to it (`domain.indicators.twelve_months_start`: from
  the day after the same date a year before); a member with several loans
  counts once. Over the members on that date, per club and rolled up (sum over sum).
- **PAR30** is `ishc_contracts.loans` (`par30`, `PortfolioAtRisk`): the one rule
  every service counts with. Here only its roll-up: the sums of clubs' portfolios.
- **Both funds**: a club with an income-generation fund and an activity fund
  opened by the date.
- **Activity areas**: a loan disbursed or a repayment received in the last 12
  months stands for income generation, a contribution received (in cash or in
  kind, not reversed) for resource mobilisation (`domain.indicators.Proxy`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from ishc_contracts.loans import LoanPosition, PortfolioAtRisk, outstanding_principal


class FlowKind(StrEnum):
    """What moved money into or out of a fund, besides lending and repaid principal."""

    CONTRIBUTION = "contribution"  # in cash
    CONTRIBUTION_IN_KIND = "contribution_in_kind"  # a gift in kind, at its value
    INTEREST = "interest"  # a repayment's interest, into the activity fund
    FEE = "fee"  # hội phí
    EXPENSE = "expense"
    RECOVERY = "recovery"  # received on a written-off loan
    REVERSAL = "reversal"  # undoes a contribution, a fee or an expense


def signed_amount(kind: FlowKind, amount_vnd: int) -> int:
    """How a flow of `amount_vnd` moves its fund: an expense takes money out."""
    if kind is FlowKind.REVERSAL:
        raise ValueError("a reversal is signed by what it reverses (reversal_amount)")
    return -amount_vnd if kind is FlowKind.EXPENSE else amount_vnd


def reversal_amount(reversed_kind: FlowKind, amount_vnd: int) -> int:
    """A reversal negates the flow it undoes: a reversed contribution or fee takes
    money out, a reversed expense brings it back."""
    return -signed_amount(reversed_kind, amount_vnd)


@dataclass(frozen=True)
class FundTotals:
    """A club's money up to a date. `flows`: the net of each kind (`FlowKind`
    values), reversals counted in the kind they reverse, signed as they move
    the funds (expenses negative)."""

    flows: Mapping[str, int] = field(default_factory=dict)
    principal_repaid_vnd: int = 0
    disbursed_vnd: int = 0


def cash_balance(totals: FundTotals) -> int:
    """Cash in the club's funds: every flow but gifts in kind, plus the principal
    repaid, less the principal lent."""
    flows = sum(v for k, v in totals.flows.items() if k != FlowKind.CONTRIBUTION_IN_KIND)
    return flows + totals.principal_repaid_vnd - totals.disbursed_vnd


def in_kind_value(totals: FundTotals) -> int:
    """The value of gifts in kind received (net of their reversals): reported
    beside the cash, never in it."""
    return totals.flows.get(FlowKind.CONTRIBUTION_IN_KIND, 0)


def is_borrower(loan: LoanPosition, on: date, window_start: date) -> bool:
    """Whether a loan makes its borrower count on `on`: disbursed by then, and
    either disbursed on or after `window_start` (`twelve_months_start(on)`) or
    still outstanding (unpaid principal, neither settled nor written off)."""
    if loan.disbursed_on > on:
        return False
    return loan.disbursed_on >= window_start or outstanding_principal(loan, on) > 0


def borrowers(loans: Iterable[tuple[str, LoanPosition]], on: date, window_start: date) -> int:
    """How many of these members (a member id with each loan; the members on
    `on`) are borrowers on `on`: each once, whatever their number of loans."""
    return len({member for member, loan in loans if is_borrower(loan, on, window_start)})


NO_PORTFOLIO = PortfolioAtRisk(at_risk_vnd=0, outstanding_vnd=0, loans_at_risk=0)


def combined(a: PortfolioAtRisk, b: PortfolioAtRisk) -> PortfolioAtRisk:
    """Two portfolios as one (a commune's, a province's): PAR30 of the whole is the
    unpaid principal at risk over the outstanding principal, both summed."""
    return PortfolioAtRisk(
        at_risk_vnd=a.at_risk_vnd + b.at_risk_vnd,
        outstanding_vnd=a.outstanding_vnd + b.outstanding_vnd,
        loans_at_risk=a.loans_at_risk + b.loans_at_risk,
    )


@dataclass(frozen=True)
class ClubFinance:
    """What the finance facts say of one club as of a date (incomes over the period)."""

    income_fund: bool = False
    activity_fund: bool = False
    borrowers: int = 0
    balance_vnd: int = 0
    in_kind_vnd: int = 0
    portfolio: PortfolioAtRisk = NO_PORTFOLIO
    loans_outstanding: int = 0  # loans with unpaid principal in the portfolio
    interest_income_vnd: int = 0
    fee_income_vnd: int = 0

    @property
    def funds_ok(self) -> bool:
        """Both funds open (DOMAIN.md: every club must have both)."""
        return self.income_fund and self.activity_fund


NO_FINANCE = ClubFinance()
