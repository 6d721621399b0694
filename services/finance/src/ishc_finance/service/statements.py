"""The public statement of a fund (công khai tài chính) over a period: its opening
cash, each inflow and outflow in date order, its closing cash.

Read in two statements whatever the length: the cash before the period (one sum),
and the period's lines of the fund's cash (and goods in kind) joined to their
entries and to the operation that gives each its note (a contribution's source,
an expense's area, what a correction undid). Never a member: a fee or a loan is
shown by its kind and amount only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts.finance_events import FundKind
from ishc_finance.domain.ledger import Account
from ishc_finance.domain.money import add_months
from ishc_finance.domain.statement import CashMovement, EntryKind, Statement, build_statement
from ishc_finance.models import Contribution, Expense, Fund, LedgerEntry, LedgerLine, Reversal
from ishc_finance.service.access import fund_for_read
from ishc_platform.auth import Caller
from ishc_platform.clock import today
from ishc_platform.directory import DirectoryClub
from ishc_platform.validation import FieldError

MAX_YEARS = 20
"""The longest period one statement covers."""


@dataclass(frozen=True)
class FundStatement:
    """A statement and what its page says about the fund (no person)."""

    statement: Statement
    fund: Fund
    club: DirectoryClub
    printed_on: date


def period(date_from: date | None, date_to: date | None) -> tuple[date, date]:
    """The period asked for; by default from the 1st of this month to today."""
    now = today()
    if date_from is not None and date_from > now:
        raise FieldError(
            "from", f"from {date_from:%d/%m/%Y} is in the future (today is {now:%d/%m/%Y})"
        )
    end = date_to or now
    start = date_from or end.replace(day=1)
    if end > now:
        raise FieldError("to", f"to {end:%d/%m/%Y} is in the future (today is {now:%d/%m/%Y})")
    if end < start:
        raise FieldError("to", f"to {end:%d/%m/%Y} is before from {start:%d/%m/%Y}")
    if start < add_months(end, -12 * MAX_YEARS):
        raise FieldError(
            "from",
            f"the period {start:%d/%m/%Y}–{end:%d/%m/%Y} is longer than {MAX_YEARS} years",
        )
    return start, end


def _statement_kind(entry_kind: str, account: str, fund_kind: FundKind) -> str:
    """What a cash (or goods) line is, in the statement's words."""
    if account == Account.GOODS_IN_KIND and entry_kind != EntryKind.REVERSAL:
        return EntryKind.CONTRIBUTION_IN_KIND.value
    if entry_kind == "repayment":
        # the principal comes back to the income fund, the interest to the activity fund
        if fund_kind == FundKind.ACTIVITY:
            return EntryKind.INTEREST.value
        return EntryKind.REPAYMENT_PRINCIPAL.value
    if entry_kind == "disbursement":
        return EntryKind.LOAN_DISBURSED.value
    return entry_kind


async def fund_statement(
    session: AsyncSession,
    caller: Caller,
    fund_id: str,
    date_from: date | None,
    date_to: date | None,
) -> FundStatement:
    """The fund's statement from `date_from` to `date_to` (national and province)."""
    fund, club = await fund_for_read(session, caller, fund_id)
    start, end = period(date_from, date_to)
    opening = await session.scalar(
        select(func.coalesce(func.sum(LedgerLine.amount_vnd), 0)).where(
            LedgerLine.fund_id == fund.id,
            LedgerLine.account == Account.CASH.value,
            col(LedgerLine.entry_on) < start,
        )
    )
    # A correction's note is that of the record it undid: join through the reversal.
    undone = func.coalesce(Reversal.reversed_id, LedgerEntry.reference_id)
    columns: tuple[Any, ...] = (
        LedgerLine.id,
        LedgerLine.entry_on,
        LedgerLine.account,
        LedgerLine.amount_vnd,
        LedgerEntry.kind,
        LedgerEntry.reference_id,
        Reversal.kind,
        Contribution.source,
        Expense.area,
    )
    rows = await session.exec(
        select(*columns)
        .join(LedgerEntry, col(LedgerEntry.id) == col(LedgerLine.entry_id))
        .outerjoin(
            Reversal,
            and_(
                col(LedgerEntry.kind) == "reversal",
                col(Reversal.id) == col(LedgerEntry.reference_id),
            ),
        )
        .outerjoin(Contribution, col(Contribution.id) == undone)
        .outerjoin(Expense, col(Expense.id) == undone)
        .where(
            LedgerLine.fund_id == fund.id,
            col(LedgerLine.account).in_([Account.CASH.value, Account.GOODS_IN_KIND.value]),
            col(LedgerLine.entry_on) >= start,
            col(LedgerLine.entry_on) <= end,
        )
    )
    fund_kind = FundKind(fund.kind)
    movements = [CashMovement(start - timedelta(days=1), "opening", "", int(opening or 0))]
    for line_id, on, account, amount, kind, reference, undid, source, area in rows.all():
        note = undid if kind == "reversal" else (source or area)
        movements.append(
            CashMovement(
                on=on,
                kind=_statement_kind(kind, account, fund_kind),
                reference_id=reference,
                amount_vnd=int(amount),
                note=str(note) if note is not None else None,
                order=int(line_id),
                in_kind=account == Account.GOODS_IN_KIND,
            )
        )
    statement = build_statement(fund.id, movements, start, end)
    return FundStatement(statement, fund, club, today())
