"""Use cases of a club's funds: open one and read its balances; contributions into
either fund; members' fees into, and expenses out of, the activity fund; and
corrections, each a reversing entry (the original stays in the ledger).

Every write takes the club's lock first (`service.access`), then checks (dates,
the regulation in force, the cash a backdated outflow leaves on every later day,
one standing fee per member and month), then writes the record, its double entry
and its event, and commits: one transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts.finance_events import (
    ContributionReceived,
    EntryReversed,
    ExpenseRecorded,
    FeePaid,
    FundKind,
    FundOpened,
    ReversedKind,
)
from ishc_finance import queries, schemas
from ishc_finance.domain import ledger
from ishc_finance.domain.dates import check_active_member, check_dated
from ishc_finance.domain.ledger import Account, Line, cash_headroom
from ishc_finance.domain.money import add_months
from ishc_finance.domain.regulations import check_fee, in_force
from ishc_finance.models import Contribution, Expense, Fee, Fund, LedgerEntry, LedgerLine, Reversal
from ishc_finance.service import policy
from ishc_finance.service.access import club_for_read, club_for_write, fund_for_read, fund_for_write
from ishc_finance.service.regulations import terms_of
from ishc_finance.service.writes import new_id, post
from ishc_platform.auth import Caller
from ishc_platform.clock import today, utcnow
from ishc_platform.db import is_unique_violation
from ishc_platform.directory import DirectoryClub
from ishc_platform.errors import conflict
from ishc_platform.outbox import publish
from ishc_platform.pagination import decode_cursor, keyset
from ishc_platform.validation import FieldError

CREDIT_ACCOUNTS = frozenset(
    {
        Account.CONTRIBUTIONS,
        Account.CONTRIBUTIONS_IN_KIND,
        Account.INTEREST_INCOME,
        Account.FEE_INCOME,
        Account.RECOVERIES,
    }
)
"""Where money comes from: credit balances, shown positive."""

FUND_NAMES = {FundKind.INCOME: "income fund", FundKind.ACTIVITY: "activity fund"}


@dataclass(frozen=True)
class FundView:
    """A fund and its accounts as of a date (signed sums of its ledger lines)."""

    fund: Fund
    province: str
    as_of: date
    ledger: dict[Account, int]

    def natural(self, account: Account) -> int:
        """The account's balance in its natural sign (credits positive)."""
        amount = self.ledger.get(account, 0)
        return -amount if account in CREDIT_ACCOUNTS else amount

    @property
    def trial_balance_vnd(self) -> int:
        """Debits less credits: 0, or a posting did not balance."""
        return sum(self.ledger.values())


@asynccontextmanager
async def unique_or_conflict(
    session: AsyncSession, recheck: Callable[[], Awaitable[None]]
) -> AsyncIterator[None]:
    """Answer a lost race for a unique key as the sequential check does: roll
    back and look again, so the winner's record gives the same 409. `recheck`
    must not touch ORM objects of the session (the rollback expired them)."""
    try:
        yield
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        await session.rollback()
        await recheck()
        raise  # a key the look-up does not know: the 500 it is


# -- funds -----------------------------------------------------------------------------


async def _balances(
    session: AsyncSession, fund_ids: list[str], on: date
) -> dict[str, dict[Account, int]]:
    """Each fund's accounts as of `on`, in one query."""
    found: dict[str, dict[Account, int]] = {fund_id: {} for fund_id in fund_ids}
    if not fund_ids:
        return found
    rows = await session.exec(
        select(LedgerLine.fund_id, LedgerLine.account, func.sum(LedgerLine.amount_vnd))
        .where(col(LedgerLine.fund_id).in_(fund_ids), col(LedgerLine.entry_on) <= on)
        .group_by(col(LedgerLine.fund_id), col(LedgerLine.account))
    )
    for fund_id, account, total in rows.all():
        found[fund_id][Account(account)] = int(total)
    return found


async def _ensure_fund_key_free(
    session: AsyncSession, province: str, external_id: str | None
) -> None:
    if external_id is None:
        return
    holder = await session.scalar(
        select(Fund.id)
        .join(DirectoryClub, col(DirectoryClub.club_id) == col(Fund.club_id))
        .where(DirectoryClub.province == province, Fund.external_id == external_id)
    )
    if holder is not None:
        raise conflict(
            "external_id",
            f"external_id {external_id!r} is taken in province {province}",
            existing_id=holder,
        )


async def _ensure_kind_free(session: AsyncSession, club_id: str, kind: FundKind) -> None:
    existing = (await queries.club_funds(session, club_id)).get(kind)
    if existing is not None:
        raise conflict(
            "kind", f"the club already has its {FUND_NAMES[kind]}", existing_id=existing.id
        )


async def open_fund(
    session: AsyncSession, caller: Caller, club_id: str, data: schemas.FundIn
) -> FundView:
    """The club's income or activity fund, opened under the regulation in force."""
    club = await club_for_write(session, caller, club_id, "opening a fund")
    club_key, province = club.club_id, club.province
    await _ensure_kind_free(session, club_key, data.kind)
    check_dated(
        data.opened_on,
        "opened_on",
        today=today(),
        dissolved_on=club.dissolved_on,
        not_before=club.founded_on,
        not_before_what="the club was founded",
    )
    if in_force(await queries.regulations(session, club_key), data.opened_on) is None:
        raise FieldError(
            "opened_on",
            f"no regulation of the club is in force on {data.opened_on:%d/%m/%Y}: a fund "
            "opens under the club's regulation (adopt one first)",
        )
    await _ensure_fund_key_free(session, province, data.external_id)
    fund = Fund(
        id=new_id(),
        club_id=club_key,
        kind=data.kind,
        opened_on=data.opened_on,
        external_id=data.external_id,
        created_at=utcnow(),
    )

    async def recheck() -> None:
        await _ensure_kind_free(session, club_key, data.kind)
        await _ensure_fund_key_free(session, province, data.external_id)

    async with unique_or_conflict(session, recheck):
        session.add(fund)
        await publish(
            session,
            fund.id,
            province,
            FundOpened(fund_id=fund.id, club_id=club_key, kind=data.kind, opened_on=data.opened_on),
            new_aggregate=True,
        )
        await session.commit()
    return FundView(fund, province, today(), {})


async def list_club_funds(
    session: AsyncSession, caller: Caller, club_id: str, as_of: date | None
) -> list[FundView]:
    """The club's funds (income first) with their accounts as of `as_of` (today)."""
    club = await club_for_read(session, caller, club_id)
    on = as_of or today()
    funds = sorted(
        (await queries.club_funds(session, club.club_id)).values(),
        key=lambda f: (f.kind != FundKind.INCOME, f.id),
    )
    balances = await _balances(session, [f.id for f in funds], on)
    return [FundView(f, club.province, on, balances[f.id]) for f in funds]


async def read_fund(
    session: AsyncSession, caller: Caller, fund_id: str, as_of: date | None
) -> FundView:
    fund, club = await fund_for_read(session, caller, fund_id)
    on = as_of or today()
    return FundView(fund, club.province, on, (await _balances(session, [fund.id], on))[fund.id])


async def list_funds(
    session: AsyncSession,
    caller: Caller,
    *,
    province: str | None,
    kind: FundKind | None,
    as_of: date | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[FundView], str | None]:
    """Funds of every club in the provinces the caller may list, in id order."""
    policy.require_reader_of_funds(caller)
    provinces = policy.provinces_listed(caller, province)
    position = decode_cursor(cursor, {"after"})
    query = select(Fund, DirectoryClub.province).join(
        DirectoryClub, col(DirectoryClub.club_id) == col(Fund.club_id)
    )
    if provinces is not None:
        query = query.where(col(DirectoryClub.province).in_(sorted(provinces)))
    if kind is not None:
        query = query.where(Fund.kind == kind)
    if position is not None:
        query = query.where(Fund.id > position["after"])
    rows = (await session.exec(query.order_by(col(Fund.id)).limit(limit + 1))).all()
    page, next_cursor = keyset(rows, limit, lambda row: {"after": row[0].id})
    on = as_of or today()
    balances = await _balances(session, [fund.id for fund, _ in page], on)
    return [FundView(fund, prov, on, balances[fund.id]) for fund, prov in page], next_cursor


# -- the records of a fund: pages ------------------------------------------------------

type FundRecord = type[Contribution] | type[Fee] | type[Expense]


async def _page(
    session: AsyncSession,
    model: FundRecord,
    fund_id: str,
    limit: int,
    cursor: str | None,
    *conditions: Any,
) -> tuple[list[Any], str | None]:
    """A fund's records of `model`, in the order they were recorded (ids are UUIDv7)."""
    position = decode_cursor(cursor, {"after"})
    query = select(model).where(model.fund_id == fund_id, *conditions)
    if position is not None:
        query = query.where(model.id > position["after"])
    rows = (await session.exec(query.order_by(col(model.id)).limit(limit + 1))).all()
    return keyset(rows, limit, lambda row: {"after": row.id})


async def _ensure_key_free(
    session: AsyncSession,
    model: type[Contribution] | type[Expense],
    fund_id: str,
    external_id: str | None,
) -> None:
    """409 naming the record of the fund that holds `external_id` (a retry that
    lost its Idempotency-Key is refused here, not booked twice)."""
    if external_id is None:
        return
    holder = await session.scalar(
        select(model.id).where(model.fund_id == fund_id, model.external_id == external_id)
    )
    if holder is not None:
        raise conflict(
            "external_id",
            f"external_id {external_id!r} is taken in this fund",
            existing_id=holder,
        )


def _require_activity_fund(fund: Fund, what: str) -> None:
    if fund.kind != FundKind.ACTIVITY:
        raise FieldError(
            "fund_id",
            f"{what} belong to the club's activity fund (quỹ hoạt động), "
            "and this is its income fund (quỹ tăng thu nhập)",
        )


# -- contributions ---------------------------------------------------------------------


async def record_contribution(
    session: AsyncSession, caller: Caller, fund_id: str, data: schemas.ContributionIn
) -> Contribution:
    """Money, or a gift in kind at its value (never lendable cash), into a fund."""
    fund, club = await fund_for_write(session, caller, fund_id, "recording a contribution")
    check_dated(
        data.received_on,
        "received_on",
        today=today(),
        opened_on=fund.opened_on,
        dissolved_on=club.dissolved_on,
    )
    fund_key, club_key, province = fund.id, club.club_id, club.province
    await _ensure_key_free(session, Contribution, fund_key, data.external_id)
    row = Contribution(
        id=new_id(),
        fund_id=fund_key,
        club_id=club_key,
        source=data.source,
        amount_vnd=data.amount_vnd,
        in_kind=data.in_kind,
        description=data.description,
        received_on=data.received_on,
        external_id=data.external_id,
        created_at=utcnow(),
    )
    async with unique_or_conflict(
        session, lambda: _ensure_key_free(session, Contribution, fund_key, data.external_id)
    ):
        session.add(row)
        await post(
            session,
            club_id=club_key,
            entry_on=row.received_on,
            kind=ReversedKind.CONTRIBUTION.value,
            reference_id=row.id,
            lines=ledger.contribution(fund_key, row.amount_vnd, in_kind=row.in_kind),
        )
        await publish(
            session,
            fund_key,
            province,
            ContributionReceived(
                contribution_id=row.id,
                fund_id=fund_key,
                club_id=club_key,
                source=row.source,
                amount_vnd=row.amount_vnd,
                in_kind=row.in_kind,
                received_on=row.received_on,
            ),
        )
        await session.commit()
    return row


async def list_contributions(
    session: AsyncSession, caller: Caller, fund_id: str, *, limit: int, cursor: str | None
) -> tuple[list[Contribution], str | None]:
    fund, _ = await fund_for_read(session, caller, fund_id)
    return await _page(session, Contribution, fund.id, limit, cursor)


# -- fees ------------------------------------------------------------------------------


def month_key(month: date) -> str:
    return f"{month:%Y-%m}"


def _month_of(text: str) -> date:
    year, month = text.split("-")
    return date(int(year), int(month), 1)


async def _ensure_month_free(session: AsyncSession, fund_id: str, member_id: str, key: str) -> None:
    holder = await session.scalar(
        select(Fee.id).where(
            Fee.fund_id == fund_id, Fee.member_id == member_id, Fee.month_key == key
        )
    )
    if holder is not None:
        raise conflict(
            "month",
            f"the member's fee for {key} is already paid (reverse it to record it again)",
            existing_id=holder,
        )


async def record_fee(
    session: AsyncSession, caller: Caller, fund_id: str, data: schemas.FeeIn
) -> Fee:
    """A member's monthly fee (hội phí) into the activity fund: inside the fee band
    of the regulation in force that month, once per member and month."""
    fund, club = await fund_for_write(session, caller, fund_id, "recording a fee")
    _require_activity_fund(fund, "fees")
    member = await queries.member(session, data.member_id)
    if member is None or member.club_id != fund.club_id:
        raise FieldError("member_id", "no member of this club has this id")
    check_dated(
        data.paid_on,
        "paid_on",
        today=today(),
        opened_on=fund.opened_on,
        dissolved_on=club.dissolved_on,
    )
    month = _month_of(data.month)
    month_end = add_months(month, 1).replace(day=1)
    last_day = date.fromordinal(month_end.toordinal() - 1)
    if month < fund.opened_on.replace(day=1):
        raise FieldError(
            "month",
            f"month {data.month} is before the fund opened on {fund.opened_on:%d/%m/%Y}",
        )
    latest = add_months(data.paid_on.replace(day=1), 12)
    if month > latest:
        raise FieldError(
            "month",
            f"month {data.month} is more than 12 months after paid_on "
            f"{data.paid_on:%d/%m/%Y} (at most {month_key(latest)})",
        )
    if club.dissolved_on is not None and month > club.dissolved_on:
        raise FieldError(
            "month",
            f"month {data.month} is after the club was dissolved on {club.dissolved_on:%d/%m/%Y}",
        )
    # A member that month: on any of its days (joined by its end, not left by its start).
    day = min(max(month, member.joined_on or month), last_day)
    check_active_member(day, "month", joined_on=member.joined_on, left_on=member.left_on)
    regulation = in_force(await queries.regulations(session, club.club_id), last_day)
    if regulation is None:
        raise FieldError("month", f"no regulation of the club is in force in {data.month}")
    check_fee(terms_of(regulation), data.amount_vnd)
    fund_key, club_key, province, key = fund.id, club.club_id, club.province, month_key(month)
    member_key = data.member_id
    await _ensure_month_free(session, fund_key, member_key, key)
    row = Fee(
        id=new_id(),
        fund_id=fund_key,
        club_id=club_key,
        member_id=member_key,
        month=month,
        month_key=key,
        paid_on=data.paid_on,
        amount_vnd=data.amount_vnd,
        created_at=utcnow(),
    )
    async with unique_or_conflict(
        session, lambda: _ensure_month_free(session, fund_key, member_key, key)
    ):
        session.add(row)
        await post(
            session,
            club_id=club_key,
            entry_on=row.paid_on,
            kind=ReversedKind.FEE.value,
            reference_id=row.id,
            lines=ledger.fee(fund_key, row.amount_vnd),
        )
        await publish(
            session,
            fund_key,
            province,
            FeePaid(
                fee_id=row.id,
                fund_id=fund_key,
                club_id=club_key,
                member_id=member_key,
                month=month,
                paid_on=row.paid_on,
                amount_vnd=row.amount_vnd,
            ),
        )
        await session.commit()
    return row


async def list_fees(
    session: AsyncSession,
    caller: Caller,
    fund_id: str,
    *,
    member_id: str | None,
    month: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Fee], str | None]:
    """Fees are one person's payments: province tokens only."""
    policy.require_province_token(caller, "reading fees")
    fund, _ = await fund_for_read(session, caller, fund_id)
    conditions: list[Any] = []
    if member_id is not None:
        conditions.append(Fee.member_id == member_id)
    if month is not None:
        conditions.append(Fee.month == _month_of(month))
    return await _page(session, Fee, fund.id, limit, cursor, *conditions)


# -- expenses --------------------------------------------------------------------------


def _short_of_cash(field: str, needed: int, headroom: int, on: date, what: str) -> FieldError:
    available = max(headroom, 0)
    return FieldError(
        field,
        f"{what} {needed} VND is more than the {available} VND the fund's cash allows on "
        f"{on:%d/%m/%Y} without going below zero then or on any later day",
        cash_available_vnd=available,
    )


async def record_expense(
    session: AsyncSession, caller: Caller, fund_id: str, data: schemas.ExpenseIn
) -> Expense:
    """Money spent from the activity fund, never more than its cash allows on the
    day and on every later day (an expense may be backdated)."""
    fund, club = await fund_for_write(session, caller, fund_id, "recording an expense")
    _require_activity_fund(fund, "expenses")
    check_dated(
        data.spent_on,
        "spent_on",
        today=today(),
        opened_on=fund.opened_on,
        dissolved_on=club.dissolved_on,
    )
    fund_key, club_key, province = fund.id, club.club_id, club.province
    # a retry of what was booked is told so, whatever the cash now
    await _ensure_key_free(session, Expense, fund_key, data.external_id)
    headroom = cash_headroom(await queries.cash_movements(session, fund_key), data.spent_on)
    if data.amount_vnd > headroom:
        raise _short_of_cash("amount_vnd", data.amount_vnd, headroom, data.spent_on, "amount_vnd")
    row = Expense(
        id=new_id(),
        fund_id=fund_key,
        club_id=club_key,
        area=data.area,
        purpose=data.purpose,
        spent_on=data.spent_on,
        amount_vnd=data.amount_vnd,
        external_id=data.external_id,
        created_at=utcnow(),
    )
    async with unique_or_conflict(
        session, lambda: _ensure_key_free(session, Expense, fund_key, data.external_id)
    ):
        session.add(row)
        await post(
            session,
            club_id=club_key,
            entry_on=row.spent_on,
            kind=ReversedKind.EXPENSE.value,
            reference_id=row.id,
            lines=ledger.expense(fund_key, row.amount_vnd),
        )
        await publish(
            session,
            fund_key,
            province,
            ExpenseRecorded(
                expense_id=row.id,
                fund_id=fund_key,
                club_id=club_key,
                area=row.area,
                spent_on=row.spent_on,
                amount_vnd=row.amount_vnd,
            ),
        )
        await session.commit()
    return row


async def list_expenses(
    session: AsyncSession, caller: Caller, fund_id: str, *, limit: int, cursor: str | None
) -> tuple[list[Expense], str | None]:
    fund, _ = await fund_for_read(session, caller, fund_id)
    return await _page(session, Expense, fund.id, limit, cursor)


# -- corrections -----------------------------------------------------------------------

_REVERSIBLE: tuple[tuple[ReversedKind, type[Contribution] | type[Fee] | type[Expense]], ...] = (
    (ReversedKind.CONTRIBUTION, Contribution),
    (ReversedKind.FEE, Fee),
    (ReversedKind.EXPENSE, Expense),
)


def _dated(record: Contribution | Fee | Expense) -> date:
    if isinstance(record, Contribution):
        return record.received_on
    if isinstance(record, Fee):
        return record.paid_on
    return record.spent_on


async def _original(
    session: AsyncSession, fund_id: str, record_id: str, *, lock: bool = False
) -> tuple[ReversedKind, Contribution | Fee | Expense] | None:
    for kind, model in _REVERSIBLE:
        query = select(model).where(model.id == record_id, model.fund_id == fund_id)
        if lock:
            query = query.with_for_update()
        found = (await session.exec(query)).first()
        if found is not None:
            return kind, cast(Contribution | Fee | Expense, found)
    return None


async def _ensure_not_reversed(session: AsyncSession, reversed_id: str) -> None:
    holder = await session.scalar(select(Reversal.id).where(Reversal.reversed_id == reversed_id))
    if holder is not None:
        raise conflict("reversed_id", "this entry is already reversed", reversal_id=holder)


async def _posted_lines(
    session: AsyncSession, kind: ReversedKind, record_id: str
) -> tuple[str, list[Line]]:
    """The entry that booked the record, and its lines."""
    entry_id = await session.scalar(
        select(LedgerEntry.id).where(
            LedgerEntry.reference_id == record_id,
            LedgerEntry.kind == kind.value,
            col(LedgerEntry.reverses_id).is_(None),
        )
    )
    if entry_id is None:
        raise RuntimeError(f"the {kind} {record_id} has no ledger entry")
    rows = (
        await session.exec(
            select(LedgerLine).where(LedgerLine.entry_id == entry_id).order_by(col(LedgerLine.id))
        )
    ).all()
    return entry_id, [Line(r.fund_id, Account(r.account), r.amount_vnd) for r in rows]


async def reverse_entry(
    session: AsyncSession, caller: Caller, fund_id: str, data: schemas.ReversalIn
) -> tuple[Reversal, int, str, str]:
    """Undo a contribution, fee or expense of the fund with a reversing entry dated
    `reversed_on`; returns the reversal, the amount reversed, the club and its province."""
    fund, club = await fund_for_write(session, caller, fund_id, "correcting an entry")
    found = await _original(session, fund.id, data.reversed_id, lock=True)
    if found is None:
        raise FieldError("reversed_id", "no contribution, fee or expense of this fund has this id")
    kind, record = found
    if record.reversed_by is not None:
        raise conflict(
            "reversed_id", f"this {kind} is already reversed", reversal_id=record.reversed_by
        )
    check_dated(
        data.reversed_on,
        "reversed_on",
        today=today(),
        dissolved_on=club.dissolved_on,
        not_before=_dated(record),
        not_before_what=f"the {kind} it reverses is dated",
    )
    entry_id, original = await _posted_lines(session, kind, record.id)
    lines = ledger.reversal(original)
    cash_change = sum(
        line.amount_vnd
        for line in lines
        if line.account is Account.CASH and line.fund_id == fund.id
    )
    if cash_change < 0:
        headroom = cash_headroom(await queries.cash_movements(session, fund.id), data.reversed_on)
        if -cash_change > headroom:
            raise _short_of_cash(
                "reversed_id", -cash_change, headroom, data.reversed_on, "reversing it takes"
            )
    fund_key, club_key, province = fund.id, club.club_id, club.province
    reversed_key = record.id
    reversal = Reversal(
        id=new_id(),
        reversed_id=reversed_key,
        kind=kind.value,
        fund_id=fund_key,
        reversed_on=data.reversed_on,
        reason=data.reason,
        created_at=utcnow(),
    )
    record.reversed_by = reversal.id
    if isinstance(record, Fee):
        record.month_key = None  # the month may be paid again
    amount = record.amount_vnd
    async with unique_or_conflict(session, lambda: _ensure_not_reversed(session, reversed_key)):
        session.add(reversal)
        session.add(record)
        await post(
            session,
            club_id=club_key,
            entry_on=data.reversed_on,
            kind="reversal",
            reference_id=reversal.id,
            lines=lines,
            reverses_id=entry_id,
        )
        await publish(
            session,
            fund_key,
            province,
            EntryReversed(
                reversal_id=reversal.id,
                reversed_id=reversed_key,
                kind=kind,
                fund_id=fund_key,
                club_id=club_key,
                reversed_on=data.reversed_on,
                amount_vnd=amount,
            ),
        )
        await session.commit()
    return reversal, amount, club_key, province


async def list_reversals(
    session: AsyncSession, caller: Caller, fund_id: str, *, limit: int, cursor: str | None
) -> tuple[list[tuple[Reversal, int, str, str]], str | None]:
    """Corrections and their reasons (which may concern a member's fee): province
    tokens only."""
    policy.require_province_token(caller, "reading corrections")
    fund, club = await fund_for_read(session, caller, fund_id)
    position = decode_cursor(cursor, {"after"})
    amount = func.coalesce(Contribution.amount_vnd, Fee.amount_vnd, Expense.amount_vnd)
    query = (
        select(Reversal, amount)
        .outerjoin(Contribution, col(Contribution.id) == col(Reversal.reversed_id))
        .outerjoin(Fee, col(Fee.id) == col(Reversal.reversed_id))
        .outerjoin(Expense, col(Expense.id) == col(Reversal.reversed_id))
        .where(Reversal.fund_id == fund.id)
    )
    if position is not None:
        query = query.where(Reversal.id > position["after"])
    rows = (await session.exec(query.order_by(col(Reversal.id)).limit(limit + 1))).all()
    page, next_cursor = keyset(rows, limit, lambda row: {"after": row[0].id})
    return [
        (reversal, int(total), club.club_id, club.province) for reversal, total in page
    ], next_cursor
