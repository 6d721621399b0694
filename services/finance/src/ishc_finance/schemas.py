"""Typed request and response models of the finance service's routes.

Amounts are integers named `*_vnd` (whole VND, no minor unit); a monthly rate is
a decimal string, e.g. "0.008". Request bodies are `StrictModel`s (an unknown
field is a 422 naming it); dates are `CalendarDate`s; text people type is
`CleanText`; lists are `ishc_platform.pagination.Page[T]`.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from ishc_contracts.finance_events import ContributionSource, FundKind, InterestMethod, ReversedKind
from ishc_contracts.registry_events import ActivityArea
from ishc_finance.domain.regulations import MAX_TERM_MONTHS
from ishc_platform.validation import CalendarDate, CleanText, StrictModel, UtcInstant

ID_PATTERN = r"^[0-9A-Za-z-]{1,36}$"
AmountVnd = Annotated[int, Field(strict=True, gt=0, le=10**12, description="whole VND, > 0")]
_RATE = re.compile(r"[0-9](\.[0-9]{1,6})?")


def _decimal_string(value: object) -> object:
    """A rate comes as a decimal string: a JSON number has passed through a binary
    float on its way here (0.007 is not 0.007 there)."""
    if not isinstance(value, str) or not _RATE.fullmatch(value):
        raise ValueError('a monthly rate is a decimal string of at most 6 decimals, e.g. "0.008"')
    return value


MonthlyRate = Annotated[
    Decimal,
    BeforeValidator(_decimal_string),
    Field(ge=0, le=1, description='a month, as a share: "0.008" is 0.8% a month'),
]
Text = Annotated[CleanText, StringConstraints(min_length=1, max_length=500)]
ExternalId = Annotated[
    CleanText,
    # a key, not prose: one line, no tab (CleanText lets a tab through)
    StringConstraints(min_length=1, max_length=100, pattern=r"^[^\t]+$"),
]
RecordId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]

# --- regulations, funds, contributions, fees, expenses, reversals, statements ---


FeeMonth = Annotated[
    str,
    StringConstraints(pattern=r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$"),
    Field(description='"YYYY-MM"'),
]


class RegulationIn(StrictModel):
    """A new version of the club's regulation (quy chế), inside the national band."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "effective_on": "2025-01-01",
                    "rate_min": "0.007",
                    "rate_max": "0.009",
                    "fee_min_vnd": 3000,
                    "fee_max_vnd": 5000,
                    "max_loan_vnd": 20_000_000,
                    "max_term_months": 24,
                    "methods": ["flat", "declining_equal_principal"],
                    "rounding_unit_vnd": 1000,
                }
            ]
        }
    )

    effective_on: CalendarDate
    rate_min: MonthlyRate
    rate_max: MonthlyRate
    fee_min_vnd: AmountVnd
    fee_max_vnd: AmountVnd
    max_loan_vnd: AmountVnd
    max_term_months: Annotated[int, Field(strict=True, ge=1, le=MAX_TERM_MONTHS)]
    methods: Annotated[list[InterestMethod], Field(min_length=1, max_length=8)]
    rounding_unit_vnd: Annotated[int, Field(strict=True, description="1 or 1000")]


class RegulationOut(BaseModel):
    id: str
    club_id: str
    province: str
    version: int
    effective_on: date
    rate_min: str  # a decimal string, e.g. "0.007"
    rate_max: str
    fee_min_vnd: int
    fee_max_vnd: int
    max_loan_vnd: int
    max_term_months: int
    methods: list[InterestMethod]
    rounding_unit_vnd: int
    created_at: UtcInstant


class FundIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"kind": "activity", "opened_on": "2025-01-15", "external_id": "VL-QHD-1"}]
        }
    )

    kind: FundKind
    opened_on: CalendarDate
    external_id: ExternalId | None = None


class AccountBalancesOut(BaseModel):
    """A fund's accounts as of a date, each in its natural sign: what the fund holds
    (cash, goods, loans), what it spent or lost (expenses, write-offs), and where
    its money came from (contributions, interest, fees, recoveries)."""

    cash_vnd: int  # tiền mặt: what may be lent or spent
    goods_in_kind_vnd: int  # hiện vật: gifts in kind at their value, never lendable
    loans_receivable_vnd: int  # dư nợ gốc: the outstanding principal
    expenses_vnd: int
    write_offs_vnd: int
    contributions_vnd: int
    contributions_in_kind_vnd: int
    interest_income_vnd: int
    fee_income_vnd: int
    recoveries_vnd: int


class FundOut(BaseModel):
    id: str
    club_id: str
    province: str
    kind: FundKind
    opened_on: date
    external_id: str | None
    as_of: date
    balances: AccountBalancesOut
    # debits less credits over every account: 0, or the ledger is broken
    trial_balance_vnd: int


class ContributionIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "source": "golden_heart_book",
                    "amount_vnd": 2_500_000,
                    "received_on": "2026-03-02",
                    "description": "Sổ Tấm lòng vàng, quý I",
                    "external_id": "MM-20260302-1",
                }
            ]
        }
    )

    source: ContributionSource
    amount_vnd: AmountVnd
    in_kind: Annotated[bool, Field(strict=True)] = False
    description: Text | None = None
    received_on: CalendarDate
    external_id: ExternalId | None = None


class ContributionOut(BaseModel):
    id: str
    fund_id: str
    club_id: str
    source: ContributionSource
    amount_vnd: int
    in_kind: bool
    description: str | None
    received_on: date
    external_id: str | None
    reversed_by: str | None  # the reversal that undid it


class FeeIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "member_id": "0190f5a2-7c1e-7b7a-9d1e-2f3a4b5c6d7e",
                    "month": "2026-03",
                    "amount_vnd": 3000,
                    "paid_on": "2026-03-05",
                }
            ]
        }
    )

    member_id: RecordId
    month: FeeMonth
    amount_vnd: AmountVnd
    paid_on: CalendarDate


class FeeOut(BaseModel):
    id: str
    fund_id: str
    club_id: str
    member_id: str
    month: str  # "YYYY-MM"
    amount_vnd: int
    paid_on: date
    reversed_by: str | None


class ExpenseIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "amount_vnd": 450_000,
                    "purpose": "Thăm hỏi hội viên ốm",
                    "area": "home_care",
                    "spent_on": "2026-03-12",
                }
            ]
        }
    )

    amount_vnd: AmountVnd
    purpose: Text
    area: ActivityArea
    spent_on: CalendarDate
    external_id: ExternalId | None = None


class ExpenseOut(BaseModel):
    id: str
    fund_id: str
    club_id: str
    area: ActivityArea
    purpose: str
    amount_vnd: int
    spent_on: date
    external_id: str | None
    reversed_by: str | None


class ReversalIn(StrictModel):
    """Undo a contribution, fee or expense of the fund by a reversing entry."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "reversed_id": "0190f5a2-7c1e-7b7a-9d1e-2f3a4b5c6d7e",
                    "reason": "Ghi trùng",
                    "reversed_on": "2026-03-20",
                }
            ]
        }
    )

    reversed_id: RecordId
    reason: Text
    reversed_on: CalendarDate


class ReversalOut(BaseModel):
    id: str
    fund_id: str
    club_id: str
    province: str
    reversed_id: str
    kind: ReversedKind
    amount_vnd: int
    reversed_on: date
    reason: str


class StatementEntryOut(BaseModel):
    on: date
    kind: str  # contribution, contribution_in_kind, fee, interest, expense, reversal, ...
    reference_id: str
    note: str | None  # a contribution's source, an expense's area, what a reversal undid
    inflow_vnd: int
    outflow_vnd: int
    balance_vnd: int  # the cash after this entry
    in_kind_vnd: int  # the value of goods in kind (outside the cash)


class StatementOut(BaseModel):
    """The fund's public statement (công khai tài chính) over a period: cash in and
    out, entry by entry, names no member."""

    fund_id: str
    club_id: str
    province: str
    kind: FundKind
    date_from: date
    date_to: date
    opening_balance_vnd: int
    total_inflow_vnd: int
    total_outflow_vnd: int
    closing_balance_vnd: int
    total_in_kind_vnd: int
    entries: list[StatementEntryOut]


# --- loans, repayments, write-offs, recoveries, arrears and PAR30 ---


TermMonths = Annotated[int, Field(strict=True, ge=1, le=600)]
LoanStatus = Literal["active", "closed", "written_off"]


class LoanIn(StrictModel):
    """A loan from the club's income fund to one of its members (giải ngân)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "member_id": "0190f5a2-7c1e-7b7a-9d1e-2f3a4b5c6d7e",
                    "principal_vnd": 10_000_000,
                    "monthly_rate": "0.008",
                    "term_months": 12,
                    "method": "declining_equal_principal",
                    "disbursed_on": "2026-03-10",
                    "purpose": "Nuôi heo",
                    "external_id": "VL-LOAN-0042",
                }
            ]
        }
    )

    member_id: RecordId
    principal_vnd: AmountVnd
    monthly_rate: MonthlyRate
    term_months: TermMonths
    method: InterestMethod
    disbursed_on: CalendarDate
    purpose: Text | None = None
    external_id: ExternalId | None = None


class InstalmentOut(BaseModel):
    """One instalment of the schedule, with what was paid of it by `as_of`."""

    number: int
    due_on: date
    principal_vnd: int
    interest_vnd: int
    amount_vnd: int
    principal_paid_vnd: int = 0
    interest_paid_vnd: int = 0
    paid_in_full: bool = False


class ArrearsOut(BaseModel):
    days_late: int  # of the oldest instalment due and not paid in full
    amount_late_vnd: int  # interest and principal due and unpaid
    principal_late_vnd: int
    at_risk: bool  # more than 30 days late: all its unpaid principal is in PAR30


class LoanOut(BaseModel):
    """A loan as of `as_of`: its schedule, what is paid, owed and late."""

    id: str
    fund_id: str
    activity_fund_id: str
    club_id: str
    province: str
    member_id: str
    principal_vnd: int
    monthly_rate: str
    term_months: int
    method: InterestMethod
    rounding_unit_vnd: int
    regulation_version: int
    disbursed_on: date
    purpose: str | None
    external_id: str | None
    status: LoanStatus  # as of `as_of`
    closed_on: date | None
    settled_early: bool
    written_off_on: date | None
    written_off_vnd: int | None
    recovered_vnd: int
    as_of: date
    outstanding_principal_vnd: int  # dư nợ gốc; 0 once closed or written off
    owed_vnd: int  # unpaid principal and scheduled interest; 0 once closed or written off
    arrears: ArrearsOut
    schedule: list[InstalmentOut]


class LoanSummaryOut(BaseModel):
    """A loan in a list, with its outstanding principal today."""

    id: str
    fund_id: str
    member_id: str
    principal_vnd: int
    monthly_rate: str
    term_months: int
    method: InterestMethod
    disbursed_on: date
    status: LoanStatus
    closed_on: date | None
    settled_early: bool
    written_off_on: date | None
    outstanding_principal_vnd: int
    external_id: str | None


class RepaymentIn(StrictModel):
    """Money a borrower paid. With `settle`, it settles the loan early (tất toán) and
    must be exactly what `GET /v1/loans/{id}/settlement?on=` answers."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"amount_vnd": 913_333, "paid_on": "2026-04-10", "external_id": "MM-1"}]
        }
    )

    amount_vnd: AmountVnd
    paid_on: CalendarDate
    settle: Annotated[bool, Field(strict=True)] = False
    external_id: ExternalId | None = None


class AllocationOut(BaseModel):
    """What a repayment paid of one instalment."""

    number: int
    principal_vnd: int
    interest_vnd: int


class RepaymentOut(BaseModel):
    id: str
    loan_id: str
    fund_id: str
    activity_fund_id: str
    province: str
    paid_on: date
    amount_vnd: int
    principal_vnd: int  # into the income fund
    interest_vnd: int  # into the activity fund
    settles_loan: bool
    external_id: str | None
    allocations: list[AllocationOut]
    loan_status: LoanStatus | None = None  # after this repayment (on the answer to a POST)


class SettlementOut(BaseModel):
    """What would settle the loan on `on`: all the unpaid principal and the interest
    due by then (for declining-balance loans, accrued to `on`; for flat and
    interest-only loans, all the scheduled interest still unpaid)."""

    loan_id: str
    on: date
    principal_vnd: int
    interest_vnd: int
    amount_vnd: int
    forgiven_interest_vnd: int  # scheduled interest the settlement does not ask for
    allocations: list[AllocationOut]


class WriteOffIn(StrictModel):
    written_off_on: CalendarDate
    reason: Text


class RecoveryIn(StrictModel):
    amount_vnd: AmountVnd
    recovered_on: CalendarDate


class RecoveryOut(BaseModel):
    id: str
    loan_id: str
    fund_id: str
    province: str
    recovered_on: date
    amount_vnd: int
    recovered_vnd: int  # all recoveries on the loan so far
    written_off_vnd: int


class Par30Out(BaseModel):
    """Portfolio at risk, 30 days (CGAP/SEEP): the whole unpaid principal of loans
    with an instalment more than 30 days late, over the gross outstanding principal."""

    at_risk_vnd: int
    outstanding_vnd: int
    ratio: str | None  # a decimal string, 6 places; null when nothing is outstanding
    loans_at_risk: int


class ArrearsTotalsOut(BaseModel):
    loans_in_arrears: int
    amount_late_vnd: int
    principal_late_vnd: int


class PortfolioOut(BaseModel):
    """An income fund's loan portfolio as of a date (no person in it)."""

    fund_id: str
    club_id: str
    as_of: date
    loans_active: int
    gross_outstanding_vnd: int
    par30: Par30Out
    arrears: ArrearsTotalsOut


class ProvincePortfolioOut(BaseModel):
    """The loan portfolio of every club now in `provinces`, as of a date."""

    provinces: list[str]
    as_of: date
    loans_active: int
    gross_outstanding_vnd: int
    par30: Par30Out
    arrears: ArrearsTotalsOut
