"""How a loan's arrears and the portfolio at risk are counted, as every service
counts them (DOMAIN.md, "Finance"): the finance service for a fund's own figures,
reporting for the indicators, from the same schedule and allocations the events carry.

- An instalment is late from the day after its due date until it is paid in full
  (interest and principal); a loan's days late are those of its oldest late instalment.
- PAR30 (CGAP/SEEP consensus guidelines): the whole unpaid principal, overdue and
  future, of every loan with an instalment more than 30 days late, over the gross
  outstanding principal; accrued interest is excluded. Not Fineract's "overdue ÷
  outstanding", which has no day threshold.
- A loan settled or written off by the date is out of the portfolio.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

PAR_DAYS = 30


@dataclass(frozen=True)
class Instalment:
    number: int
    due_on: date
    principal_vnd: int
    interest_vnd: int

    @property
    def amount_vnd(self) -> int:
        return self.principal_vnd + self.interest_vnd


@dataclass(frozen=True)
class Allocation:
    """What one repayment, paid on `paid_on`, paid of instalment `number`."""

    number: int
    paid_on: date
    principal_vnd: int
    interest_vnd: int


@dataclass(frozen=True)
class LoanPosition:
    """A loan as its events describe it."""

    principal_vnd: int
    disbursed_on: date
    schedule: Sequence[Instalment]
    allocations: Sequence[Allocation] = field(default_factory=tuple)
    closed_on: date | None = None  # settled early, or paid in full
    written_off_on: date | None = None


@dataclass(frozen=True)
class Arrears:
    days_late: int
    amount_late_vnd: int  # interest and principal due and unpaid
    principal_late_vnd: int

    @property
    def at_risk(self) -> bool:
        return self.days_late > PAR_DAYS


NO_ARREARS = Arrears(0, 0, 0)


def in_portfolio(loan: LoanPosition, on: date) -> bool:
    """Disbursed by `on`, and neither closed nor written off by then."""
    if loan.disbursed_on > on:
        return False
    if loan.closed_on is not None and loan.closed_on <= on:
        return False
    return loan.written_off_on is None or loan.written_off_on > on


def outstanding_principal(loan: LoanPosition, on: date) -> int:
    if not in_portfolio(loan, on):
        return 0
    repaid = sum(a.principal_vnd for a in loan.allocations if a.paid_on <= on)
    return loan.principal_vnd - repaid


def arrears(loan: LoanPosition, on: date) -> Arrears:
    """Days and amounts late on `on`, counting the payments made by then."""
    if not in_portfolio(loan, on):
        return NO_ARREARS
    paid: dict[int, tuple[int, int]] = {}
    for a in loan.allocations:
        if a.paid_on <= on:
            p, i = paid.get(a.number, (0, 0))
            paid[a.number] = (p + a.principal_vnd, i + a.interest_vnd)
    oldest: date | None = None
    amount = principal = 0
    for instalment in loan.schedule:
        if instalment.due_on >= on:
            continue
        p, i = paid.get(instalment.number, (0, 0))
        unpaid_principal = instalment.principal_vnd - p
        unpaid = unpaid_principal + instalment.interest_vnd - i
        if unpaid > 0:
            if oldest is None or instalment.due_on < oldest:
                oldest = instalment.due_on
            amount += unpaid
            principal += unpaid_principal
    if oldest is None:
        return NO_ARREARS
    return Arrears((on - oldest).days, amount, principal)


@dataclass(frozen=True)
class PortfolioAtRisk:
    at_risk_vnd: int  # unpaid principal of loans more than 30 days late
    outstanding_vnd: int  # gross outstanding principal
    loans_at_risk: int = 0

    @property
    def ratio(self) -> Decimal | None:
        """PAR30 as a share (None for an empty portfolio)."""
        if self.outstanding_vnd == 0:
            return None
        return Decimal(self.at_risk_vnd) / Decimal(self.outstanding_vnd)


def par30(loans: Iterable[LoanPosition], on: date) -> PortfolioAtRisk:
    at_risk = outstanding = count = 0
    for loan in loans:
        balance = outstanding_principal(loan, on)
        if balance == 0:
            continue
        outstanding += balance
        if arrears(loan, on).at_risk:
            at_risk += balance
            count += 1
    return PortfolioAtRisk(at_risk, outstanding, count)
