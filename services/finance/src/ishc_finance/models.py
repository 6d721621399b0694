"""Tables of the finance service (its own metadata, its own migration branch).

Money is whole VND in 64-bit integers; a monthly rate is a NUMERIC(8, 6). The
ledger (`LedgerEntry`, `LedgerLine`) is append-only: balances are sums of its
lines as of a date, never a column updated in place, and a correction is a
reversing entry. The operation tables (contributions, loans, repayments, fees,
expenses) say what happened in people's terms and point at their entries.

The service also keeps the shared directory of clubs and members
(`ishc_platform.directory`), built from registry events.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    MetaData,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from ishc_contracts.finance_events import ContributionSource, FundKind, InterestMethod
from ishc_contracts.registry_events import ActivityArea
from ishc_platform.directory import directory_metadata


class FinanceTable(SQLModel):
    metadata = MetaData()


def _instant() -> Column:  # type: ignore[type-arg,unused-ignore]
    return Column(DateTime(timezone=True), nullable=False)


def _vnd(*, nullable: bool = False, default: int | None = None) -> Column:  # type: ignore[type-arg,unused-ignore]
    return Column(BigInteger, nullable=nullable, default=default)


def _rate() -> Column:  # type: ignore[type-arg,unused-ignore]
    return Column(Numeric(8, 6), nullable=False)


class Regulation(FinanceTable, table=True):
    """A version of the club's regulation (quy chế), in force from `effective_on`
    until the next version's `effective_on`."""

    __tablename__ = "regulation"
    __table_args__ = (UniqueConstraint("club_id", "version", name="uq_regulation_version"),)

    id: str = Field(primary_key=True, max_length=36)
    club_id: str = Field(max_length=36, index=True)
    version: int
    effective_on: date
    rate_min: Decimal = Field(sa_column=_rate())
    rate_max: Decimal = Field(sa_column=_rate())
    fee_min_vnd: int = Field(sa_column=_vnd())
    fee_max_vnd: int = Field(sa_column=_vnd())
    max_loan_vnd: int = Field(sa_column=_vnd())
    max_term_months: int
    methods: str = Field(max_length=200)  # InterestMethod values, comma-separated
    rounding_unit_vnd: int
    adopted_by: str = Field(max_length=200)
    created_at: datetime = Field(sa_column=_instant())


class Fund(FinanceTable, table=True):
    """A club's income-generation fund (quỹ tăng thu nhập) or activity fund (quỹ
    hoạt động): one of each per club."""

    __tablename__ = "fund"
    __table_args__ = (UniqueConstraint("club_id", "kind", name="uq_fund_club_kind"),)

    id: str = Field(primary_key=True, max_length=36)
    club_id: str = Field(max_length=36, index=True)
    kind: FundKind = Field(sa_type=String(10))
    opened_on: date
    external_id: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(sa_column=_instant())


class Contribution(FinanceTable, table=True):
    """Money (or a gift in kind, at its value) given into a fund."""

    __tablename__ = "contribution"
    __table_args__ = (UniqueConstraint("fund_id", "external_id", name="uq_contribution_key"),)

    id: str = Field(primary_key=True, max_length=36)
    fund_id: str = Field(max_length=36, index=True)
    club_id: str = Field(max_length=36, index=True)
    source: ContributionSource = Field(sa_type=String(20))
    amount_vnd: int = Field(sa_column=_vnd())
    in_kind: bool = False
    description: str | None = Field(default=None, max_length=500)
    received_on: date
    external_id: str | None = Field(default=None, max_length=100)
    reversed_by: str | None = Field(default=None, max_length=36)
    created_at: datetime = Field(sa_column=_instant())


class Loan(FinanceTable, table=True):
    """A loan from the income fund to a member of the club (khoản vay)."""

    __tablename__ = "loan"
    __table_args__ = (UniqueConstraint("fund_id", "external_id", name="uq_loan_key"),)

    id: str = Field(primary_key=True, max_length=36)
    fund_id: str = Field(max_length=36, index=True)
    activity_fund_id: str = Field(max_length=36)
    club_id: str = Field(max_length=36, index=True)
    member_id: str = Field(max_length=36, index=True)
    principal_vnd: int = Field(sa_column=_vnd())
    monthly_rate: Decimal = Field(sa_column=_rate())
    term_months: int
    method: InterestMethod = Field(sa_type=String(30))
    rounding_unit_vnd: int
    regulation_version: int
    disbursed_on: date
    purpose: str | None = Field(default=None, max_length=500)
    closed_on: date | None = None  # paid in full or settled early
    settled_early: bool = False
    written_off_on: date | None = None
    written_off_vnd: int | None = Field(default=None, sa_column=_vnd(nullable=True))
    write_off_reason: str | None = Field(default=None, max_length=500)
    external_id: str | None = Field(default=None, max_length=100)
    version: int = 1
    created_at: datetime = Field(sa_column=_instant())
    updated_at: datetime = Field(sa_column=_instant())


class LoanInstalment(FinanceTable, table=True):
    """One instalment of a loan's schedule, as generated at disbursement."""

    __tablename__ = "loan_instalment"

    loan_id: str = Field(primary_key=True, max_length=36)
    number: int = Field(primary_key=True)
    due_on: date
    principal_vnd: int = Field(sa_column=_vnd())
    interest_vnd: int = Field(sa_column=_vnd())


class Repayment(FinanceTable, table=True):
    """Money a borrower paid, allocated oldest instalment first, interest first."""

    __tablename__ = "repayment"
    __table_args__ = (UniqueConstraint("loan_id", "external_id", name="uq_repayment_key"),)

    id: str = Field(primary_key=True, max_length=36)
    loan_id: str = Field(max_length=36, index=True)
    fund_id: str = Field(max_length=36, index=True)
    paid_on: date
    amount_vnd: int = Field(sa_column=_vnd())
    principal_vnd: int = Field(sa_column=_vnd())
    interest_vnd: int = Field(sa_column=_vnd())
    settles_loan: bool = False
    external_id: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(sa_column=_instant())


class RepaymentAllocation(FinanceTable, table=True):
    """What one repayment paid of one instalment."""

    __tablename__ = "repayment_allocation"
    __table_args__ = (Index("ix_allocation_loan", "loan_id", "paid_on"),)

    repayment_id: str = Field(primary_key=True, max_length=36)
    number: int = Field(primary_key=True)
    loan_id: str = Field(max_length=36)
    paid_on: date
    principal_vnd: int = Field(sa_column=_vnd())
    interest_vnd: int = Field(sa_column=_vnd())


class Recovery(FinanceTable, table=True):
    """Money received on a written-off loan."""

    __tablename__ = "recovery"

    id: str = Field(primary_key=True, max_length=36)
    loan_id: str = Field(max_length=36, index=True)
    fund_id: str = Field(max_length=36, index=True)
    recovered_on: date
    amount_vnd: int = Field(sa_column=_vnd())
    created_at: datetime = Field(sa_column=_instant())


class Fee(FinanceTable, table=True):
    """A member's monthly fee (hội phí) into the activity fund. `month_key` holds
    the month while the fee stands and is cleared when it is reversed, so the
    unique index allows one standing fee per member and month."""

    __tablename__ = "fee"
    __table_args__ = (
        UniqueConstraint("fund_id", "member_id", "month_key", name="uq_fee_member_month"),
    )

    id: str = Field(primary_key=True, max_length=36)
    fund_id: str = Field(max_length=36, index=True)
    club_id: str = Field(max_length=36, index=True)
    member_id: str = Field(max_length=36, index=True)
    month: date  # the first day of the month paid for
    month_key: str | None = Field(default=None, max_length=7)
    paid_on: date
    amount_vnd: int = Field(sa_column=_vnd())
    reversed_by: str | None = Field(default=None, max_length=36)
    created_at: datetime = Field(sa_column=_instant())


class Expense(FinanceTable, table=True):
    """Money spent from the activity fund on one of the eight activity areas."""

    __tablename__ = "expense"
    __table_args__ = (UniqueConstraint("fund_id", "external_id", name="uq_expense_key"),)

    id: str = Field(primary_key=True, max_length=36)
    fund_id: str = Field(max_length=36, index=True)
    club_id: str = Field(max_length=36, index=True)
    area: ActivityArea = Field(sa_type=String(30))
    purpose: str = Field(max_length=500)
    spent_on: date
    amount_vnd: int = Field(sa_column=_vnd())
    external_id: str | None = Field(default=None, max_length=100)
    reversed_by: str | None = Field(default=None, max_length=36)
    created_at: datetime = Field(sa_column=_instant())


class Reversal(FinanceTable, table=True):
    """A correction: the contribution, fee or expense `reversed_id`, undone by a
    reversing entry dated `reversed_on`."""

    __tablename__ = "reversal"

    id: str = Field(primary_key=True, max_length=36)
    reversed_id: str = Field(max_length=36, unique=True)
    kind: str = Field(max_length=20)
    fund_id: str = Field(max_length=36, index=True)
    reversed_on: date
    reason: str = Field(max_length=500)
    created_at: datetime = Field(sa_column=_instant())


class LedgerEntry(FinanceTable, table=True):
    """One double-entry posting (bút toán): its lines sum to zero per fund."""

    __tablename__ = "ledger_entry"

    id: str = Field(primary_key=True, max_length=36)
    club_id: str = Field(max_length=36, index=True)
    entry_on: date
    kind: str = Field(max_length=30)  # what posted it: contribution, repayment, ...
    reference_id: str = Field(max_length=36, index=True)
    reverses_id: str | None = Field(default=None, max_length=36)
    created_at: datetime = Field(sa_column=_instant())


class LedgerLine(FinanceTable, table=True):
    """A signed amount on one account of one fund: debit positive, credit negative."""

    __tablename__ = "ledger_line"
    __table_args__ = (Index("ix_ledger_line_fund_on", "fund_id", "entry_on"),)

    id: int | None = Field(default=None, primary_key=True)
    entry_id: str = Field(max_length=36, index=True)
    fund_id: str = Field(max_length=36)
    account: str = Field(max_length=30)
    entry_on: date  # the entry's date, here too so as-of sums need no join
    amount_vnd: int = Field(sa_column=_vnd())


metadata = FinanceTable.metadata
MIGRATION_BRANCHES = ("directory",)
SHARED_METADATA = (directory_metadata,)
