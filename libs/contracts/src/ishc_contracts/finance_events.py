"""Payloads of the finance service's events (stream `ishc.finance`).

Privacy (docs/adr/0004-personal-data-in-events.md): ids, amounts and dates, never
names or free text people typed (a write-off's reason, an expense's purpose stay in
the finance service). Which member borrowed or paid a fee is marked `personal`: the
event log's public view leaves it out, so a national reader sees amounts per club,
never one person's loans.

Amounts are whole VND (`*_vnd`, integers); a monthly rate is a decimal string
("0.008"), never a float. Subjects: regulation events are the club's, fund events
(contributions, fees, expenses, reversals) the fund's, loan events the loan's.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ishc_contracts.registry import PERSONAL, event_type
from ishc_contracts.registry_events import ActivityArea

STREAM = "ishc.finance"

Vnd = Annotated[int, Field(ge=0, le=10**15)]
PositiveVnd = Annotated[int, Field(gt=0, le=10**15)]
MonthlyRate = Annotated[Decimal, Field(ge=0, le=1, max_digits=8, decimal_places=6)]


class FundKind(StrEnum):
    INCOME = "income"  # quỹ tăng thu nhập: the revolving loan fund
    ACTIVITY = "activity"  # quỹ hoạt động: fees, interest, donations; spent on activities


class InterestMethod(StrEnum):
    FLAT = "flat"  # lãi phẳng: interest on the original principal, equal principal parts
    DECLINING_EQUAL_PRINCIPAL = "declining_equal_principal"  # dư nợ giảm dần, gốc đều
    DECLINING_EQUAL_INSTALMENTS = "declining_equal_instalments"  # dư nợ giảm dần, trả đều (annuity)
    INTEREST_ONLY = "interest_only"  # lãi hằng tháng, gốc cuối kỳ


class ContributionSource(StrEnum):
    STATE_BUDGET = "state_budget"  # ngân sách nhà nước
    ORGANISATION = "organisation"  # tổ chức, NGO
    INDIVIDUAL = "individual"  # cá nhân hảo tâm
    GOLDEN_HEART_BOOK = "golden_heart_book"  # Sổ Tấm lòng vàng
    FUND_RAISING = "fund_raising"  # gây quỹ
    MEMBER_SAVINGS = "member_savings"  # tiết kiệm của hội viên


class ReversedKind(StrEnum):
    """What a correction may reverse (loans and repayments are corrected by their own
    operations: settlement, write-off, recovery)."""

    CONTRIBUTION = "contribution"
    FEE = "fee"
    EXPENSE = "expense"


class _Payload(BaseModel):
    # Additive changes only: consumers must accept fields they do not know yet.
    model_config = ConfigDict(extra="ignore", frozen=True)


@event_type("ishc.finance.regulation.adopted.v1")
class RegulationAdopted(_Payload):
    """A version of the club's regulation (quy chế), in force from `effective_on`."""

    regulation_id: str
    club_id: str
    version: Annotated[int, Field(ge=1)]
    effective_on: date
    rate_min: MonthlyRate
    rate_max: MonthlyRate
    fee_min_vnd: Vnd
    fee_max_vnd: Vnd
    max_loan_vnd: PositiveVnd
    max_term_months: Annotated[int, Field(ge=1, le=600)]
    methods: list[InterestMethod]
    rounding_unit_vnd: Annotated[int, Field(ge=1)]


@event_type("ishc.finance.fund.opened.v1")
class FundOpened(_Payload):
    fund_id: str
    club_id: str
    kind: FundKind
    opened_on: date


@event_type("ishc.finance.contribution.received.v1")
class ContributionReceived(_Payload):
    contribution_id: str
    fund_id: str
    club_id: str
    source: ContributionSource
    amount_vnd: PositiveVnd
    in_kind: bool = False  # a gift in kind, recorded at its value (not lendable cash)
    received_on: date


class InstalmentFacts(_Payload):
    number: Annotated[int, Field(ge=1)]
    due_on: date
    principal_vnd: Vnd
    interest_vnd: Vnd


@event_type("ishc.finance.loan.disbursed.v1")
class LoanDisbursed(_Payload):
    loan_id: str
    fund_id: str
    club_id: str
    member_id: Annotated[str, PERSONAL]
    principal_vnd: PositiveVnd
    monthly_rate: MonthlyRate
    term_months: Annotated[int, Field(ge=1, le=600)]
    method: InterestMethod
    disbursed_on: date
    schedule: list[InstalmentFacts]


class AllocationFacts(_Payload):
    """What one repayment paid of one instalment."""

    number: Annotated[int, Field(ge=1)]
    principal_vnd: Vnd
    interest_vnd: Vnd


@event_type("ishc.finance.repayment.received.v1")
class RepaymentReceived(_Payload):
    """A repayment, allocated oldest instalment first, interest before principal.
    Its interest goes to the club's activity fund (`activity_fund_id`). When
    `settles_loan`, the loan is closed early and the instalments' interest not
    allocated here is forgiven."""

    repayment_id: str
    loan_id: str
    fund_id: str
    activity_fund_id: str
    club_id: str
    paid_on: date
    amount_vnd: PositiveVnd
    principal_vnd: Vnd
    interest_vnd: Vnd
    allocations: list[AllocationFacts]
    settles_loan: bool = False


@event_type("ishc.finance.loan.written_off.v1")
class LoanWrittenOff(_Payload):
    """The loan's unpaid principal leaves the portfolio as a loss (the reason stays
    in the finance service)."""

    loan_id: str
    fund_id: str
    club_id: str
    written_off_on: date
    principal_vnd: Vnd


@event_type("ishc.finance.loan.recovered.v1")
class LoanRecovered(_Payload):
    """Money received on a written-off loan, into the income fund."""

    recovery_id: str
    loan_id: str
    fund_id: str
    club_id: str
    recovered_on: date
    amount_vnd: PositiveVnd


@event_type("ishc.finance.fee.paid.v1")
class FeePaid(_Payload):
    """A member's monthly fee (hội phí) into the activity fund, for `month` (its 1st day)."""

    fee_id: str
    fund_id: str
    club_id: str
    member_id: Annotated[str, PERSONAL]
    month: date
    paid_on: date
    amount_vnd: PositiveVnd


@event_type("ishc.finance.expense.recorded.v1")
class ExpenseRecorded(_Payload):
    """Money spent from the activity fund on one of the eight activity areas (the
    purpose, typed by people, stays in the finance service)."""

    expense_id: str
    fund_id: str
    club_id: str
    area: ActivityArea
    spent_on: date
    amount_vnd: PositiveVnd


@event_type("ishc.finance.entry.reversed.v1")
class EntryReversed(_Payload):
    """A correction: the contribution, fee or expense `reversed_id` is undone by a
    reversing entry dated `reversed_on` (the original stays in the ledger)."""

    reversal_id: str
    reversed_id: str
    kind: ReversedKind
    fund_id: str
    club_id: str
    reversed_on: date
    amount_vnd: PositiveVnd
