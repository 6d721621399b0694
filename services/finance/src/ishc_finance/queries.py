"""Reads of the finance service shared by several use cases or routes, including
the locked loads (`SELECT ... FOR UPDATE`) a use case takes before it changes
anything. Reads used by internal jobs without a caller would be named
`..._unchecked`, so a reader sees that no policy ran."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts.finance_events import FundKind
from ishc_contracts.loans import Allocation as LoanAllocationFacts
from ishc_contracts.loans import Instalment as LoanInstalmentFacts
from ishc_contracts.loans import LoanPosition
from ishc_contracts.tallies import FINANCE_TALLIES
from ishc_finance.domain.ledger import Account
from ishc_finance.models import (
    Contribution,
    Expense,
    Fee,
    Fund,
    LedgerLine,
    Loan,
    LoanInstalment,
    Recovery,
    Regulation,
    Repayment,
    RepaymentAllocation,
    Reversal,
)
from ishc_platform.directory import DirectoryClub, DirectoryMember
from ishc_platform.errors import invalid
from ishc_platform.pagination import decode_cursor, keyset
from ishc_platform.reconciliation import (
    Tally,
    TallyScope,
    add_counts,
    directory_clubs,
    tally,
)


async def club(session: AsyncSession, club_id: str, *, lock: bool = False) -> DirectoryClub | None:
    """A club as the directory knows it. Locked, it is the one lock every money
    write of the club takes first, so a club's writes (and the cash they check)
    are serialised on PostgreSQL; SQLite's BEGIN IMMEDIATE serialises all writers."""
    query = select(DirectoryClub).where(DirectoryClub.club_id == club_id)
    if lock:
        query = query.with_for_update()
    return (await session.exec(query)).first()


async def member(session: AsyncSession, member_id: str) -> DirectoryMember | None:
    return await session.get(DirectoryMember, member_id)


async def fund(session: AsyncSession, fund_id: str) -> Fund | None:
    return await session.get(Fund, fund_id)


async def club_funds(session: AsyncSession, club_id: str) -> dict[FundKind, Fund]:
    funds = (await session.exec(select(Fund).where(Fund.club_id == club_id))).all()
    return {FundKind(f.kind): f for f in funds}


async def loan(session: AsyncSession, loan_id: str, *, lock: bool = False) -> Loan | None:
    query = select(Loan).where(Loan.id == loan_id)
    if lock:
        query = query.with_for_update()
    return (await session.exec(query)).first()


async def regulations(session: AsyncSession, club_id: str) -> list[Regulation]:
    """Every version of the club's regulation, oldest first."""
    query = (
        select(Regulation).where(Regulation.club_id == club_id).order_by(col(Regulation.version))
    )
    return list((await session.exec(query)).all())


async def cash_movements(session: AsyncSession, fund_id: str) -> list[tuple[date, int]]:
    """The fund's net cash movement per day, in date order (for the headroom an
    outflow may take without the cash going negative on any later date)."""
    query = (
        select(col(LedgerLine.entry_on), func.sum(LedgerLine.amount_vnd))
        .where(LedgerLine.fund_id == fund_id, LedgerLine.account == Account.CASH.value)
        .group_by(col(LedgerLine.entry_on))
        .order_by(col(LedgerLine.entry_on))
    )
    return [(on, int(total)) for on, total in (await session.exec(query)).all()]


async def account_balances(session: AsyncSession, fund_id: str, on: date) -> dict[str, int]:
    """Each account's balance of the fund as of `on` (debit positive)."""
    query = (
        select(LedgerLine.account, func.sum(LedgerLine.amount_vnd))
        .where(LedgerLine.fund_id == fund_id, col(LedgerLine.entry_on) <= on)
        .group_by(col(LedgerLine.account))
    )
    return {account: int(total) for account, total in (await session.exec(query)).all()}


_RECORDS: tuple[Any, ...] = (Fund, Loan, Contribution, Expense, Fee)


async def record_province(session: AsyncSession, record_id: str) -> str | None:
    """Where a fund, loan, contribution, expense or fee lives now: its club's
    province (None: no such record). The platform's idempotency replays ask it:
    a record moves with its club."""
    for model in _RECORDS:
        club_id = await session.scalar(select(model.club_id).where(model.id == record_id))
        if club_id is not None:
            found = await club(session, club_id)
            return found.province if found is not None else None
    return None


# --- loans: schedules, repayments, recoveries and the portfolio as of a date ---


async def loan_schedule(session: AsyncSession, loan_id: str) -> list[LoanInstalmentFacts]:
    """A loan's instalments as generated at disbursement, in order."""
    query = (
        select(LoanInstalment)
        .where(LoanInstalment.loan_id == loan_id)
        .order_by(col(LoanInstalment.number))
    )
    return [
        LoanInstalmentFacts(row.number, row.due_on, row.principal_vnd, row.interest_vnd)
        for row in (await session.exec(query)).all()
    ]


async def loan_allocations(
    session: AsyncSession, loan_id: str, on: date | None = None
) -> list[LoanAllocationFacts]:
    """What the loan's repayments paid of each instalment (those paid by `on`, when
    given), in the order they were paid."""
    query = select(RepaymentAllocation).where(RepaymentAllocation.loan_id == loan_id)
    if on is not None:
        query = query.where(col(RepaymentAllocation.paid_on) <= on)
    query = query.order_by(
        col(RepaymentAllocation.paid_on),
        col(RepaymentAllocation.repayment_id),
        col(RepaymentAllocation.number),
    )
    return [
        LoanAllocationFacts(row.number, row.paid_on, row.principal_vnd, row.interest_vnd)
        for row in (await session.exec(query)).all()
    ]


async def last_repayment_on(session: AsyncSession, loan_id: str) -> date | None:
    result: date | None = await session.scalar(
        select(func.max(Repayment.paid_on)).where(Repayment.loan_id == loan_id)
    )
    return result


async def repayment_by_key(session: AsyncSession, loan_id: str, external_id: str) -> str | None:
    """The id of the loan's repayment that holds `external_id`, if any."""
    found: str | None = await session.scalar(
        select(Repayment.id).where(
            Repayment.loan_id == loan_id, Repayment.external_id == external_id
        )
    )
    return found


async def loan_by_key(session: AsyncSession, fund_id: str, external_id: str) -> str | None:
    """The id of the fund's loan that holds `external_id`, if any."""
    found: str | None = await session.scalar(
        select(Loan.id).where(Loan.fund_id == fund_id, Loan.external_id == external_id)
    )
    return found


async def recovered_vnd(session: AsyncSession, loan_id: str, on: date | None = None) -> int:
    """What was recovered on a written-off loan (by `on`, when given)."""
    query = select(func.coalesce(func.sum(Recovery.amount_vnd), 0)).where(
        Recovery.loan_id == loan_id
    )
    if on is not None:
        query = query.where(col(Recovery.recovered_on) <= on)
    return int(await session.scalar(query) or 0)


async def repayments_page(
    session: AsyncSession, loan_id: str, *, limit: int, cursor: str | None
) -> tuple[list[tuple[Repayment, list[RepaymentAllocation]]], str | None]:
    """The loan's repayments in date order (then id), each with its allocations."""
    query = select(Repayment).where(Repayment.loan_id == loan_id)
    position = decode_cursor(cursor, {"paid_on", "after"})
    if position is not None:
        try:
            after_on = date.fromisoformat(position["paid_on"])
        except ValueError:
            raise invalid("cursor", "the cursor is not one this API returned") from None
        query = query.where(
            or_(
                col(Repayment.paid_on) > after_on,
                and_(col(Repayment.paid_on) == after_on, col(Repayment.id) > position["after"]),
            )
        )
    rows = (
        await session.exec(
            query.order_by(col(Repayment.paid_on), col(Repayment.id)).limit(limit + 1)
        )
    ).all()
    page, next_cursor = keyset(
        rows, limit, lambda r: {"paid_on": r.paid_on.isoformat(), "after": r.id}
    )
    parts = await allocations_of(session, [r.id for r in page])
    return [(r, parts.get(r.id, [])) for r in page], next_cursor


async def allocations_of(
    session: AsyncSession, repayment_ids: list[str]
) -> dict[str, list[RepaymentAllocation]]:
    """The allocations of each repayment, by instalment number."""
    if not repayment_ids:
        return {}
    query = (
        select(RepaymentAllocation)
        .where(col(RepaymentAllocation.repayment_id).in_(repayment_ids))
        .order_by(col(RepaymentAllocation.repayment_id), col(RepaymentAllocation.number))
    )
    found: dict[str, list[RepaymentAllocation]] = {}
    for row in (await session.exec(query)).all():
        found.setdefault(row.repayment_id, []).append(row)
    return found


async def loans_page(
    session: AsyncSession,
    fund_id: str,
    *,
    status: str | None,
    member_id: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Loan], str | None]:
    """The fund's loans in disbursement order (then id), filtered."""
    query = select(Loan).where(Loan.fund_id == fund_id)
    if status == "active":
        query = query.where(col(Loan.closed_on).is_(None), col(Loan.written_off_on).is_(None))
    elif status == "closed":
        query = query.where(col(Loan.closed_on).is_not(None))
    elif status == "written_off":
        query = query.where(col(Loan.written_off_on).is_not(None))
    if member_id is not None:
        query = query.where(Loan.member_id == member_id)
    position = decode_cursor(cursor, {"disbursed_on", "after"})
    if position is not None:
        try:
            after_on = date.fromisoformat(position["disbursed_on"])
        except ValueError:
            raise invalid("cursor", "the cursor is not one this API returned") from None
        query = query.where(
            or_(
                col(Loan.disbursed_on) > after_on,
                and_(col(Loan.disbursed_on) == after_on, col(Loan.id) > position["after"]),
            )
        )
    rows = (
        await session.exec(query.order_by(col(Loan.disbursed_on), col(Loan.id)).limit(limit + 1))
    ).all()
    return keyset(
        rows, limit, lambda r: {"disbursed_on": r.disbursed_on.isoformat(), "after": r.id}
    )


async def principal_repaid(session: AsyncSession, loan_ids: list[str], on: date) -> dict[str, int]:
    """The principal repaid by `on` of each of `loan_ids` (one grouped query)."""
    if not loan_ids:
        return {}
    query = (
        select(RepaymentAllocation.loan_id, func.sum(RepaymentAllocation.principal_vnd))
        .where(
            col(RepaymentAllocation.loan_id).in_(loan_ids), col(RepaymentAllocation.paid_on) <= on
        )
        .group_by(col(RepaymentAllocation.loan_id))
    )
    return {loan_id: int(total) for loan_id, total in (await session.exec(query)).all()}


def _in_portfolio(on: date) -> list[Any]:
    """Loans disbursed by `on` and neither closed nor written off by then."""
    return [
        col(Loan.disbursed_on) <= on,
        or_(col(Loan.closed_on).is_(None), col(Loan.closed_on) > on),
        or_(col(Loan.written_off_on).is_(None), col(Loan.written_off_on) > on),
    ]


async def portfolio_positions(
    session: AsyncSession,
    on: date,
    *,
    fund_id: str | None = None,
    provinces: frozenset[str] | None = None,
) -> list[LoanPosition]:
    """The loans in the portfolio on `on`, of one fund or of the clubs now in
    `provinces`, each as the position on `on` that the shared `ishc_contracts.loans`
    counts arrears and PAR30 from. Two set-based queries, never one per loan:

    - each loan disbursed by `on` and neither closed nor written off by then, with
      its principal still unpaid on `on` (the principal less what was repaid by then);
    - each instalment due before `on` and not paid in full by then (a later one
      cannot be late yet), with what is left of it.

    So a position carries the outstanding principal as its `principal_vnd` and the
    late instalments' remainders as its schedule, with no allocations: the same
    arrears and outstanding principal on `on` as the whole loan gives, from a few
    rows a loan instead of its whole schedule and every payment."""
    if fund_id is None and provinces is None:
        raise ValueError("a portfolio is of a fund or of provinces")
    where = _in_portfolio(on)
    if fund_id is not None:
        where.append(Loan.fund_id == fund_id)
    if provinces is not None:
        where.append(
            col(Loan.club_id).in_(
                select(DirectoryClub.club_id).where(
                    col(DirectoryClub.province).in_(sorted(provinces))
                )
            )
        )
    loan_ids = select(Loan.id).where(*where)
    repaid = (
        sa_select(
            col(RepaymentAllocation.loan_id).label("loan_id"),
            func.sum(RepaymentAllocation.principal_vnd).label("principal_vnd"),
        )
        .where(
            col(RepaymentAllocation.loan_id).in_(loan_ids),
            col(RepaymentAllocation.paid_on) <= on,
        )
        .group_by(col(RepaymentAllocation.loan_id))
        .subquery()
    )
    outstanding = (
        sa_select(
            col(Loan.id),
            col(Loan.disbursed_on),
            col(Loan.principal_vnd) - func.coalesce(repaid.c.principal_vnd, 0),
        )
        .select_from(Loan)
        .outerjoin(repaid, repaid.c.loan_id == Loan.id)
        .where(*where)
    )
    # Core on the session's connection: plain rows, and more columns than
    # sqlmodel's select is typed for.
    connection = await session.connection()
    loans = (await connection.execute(outstanding)).all()
    if not loans:
        return []
    paid = (
        sa_select(
            col(RepaymentAllocation.loan_id).label("loan_id"),
            col(RepaymentAllocation.number).label("number"),
            func.sum(RepaymentAllocation.principal_vnd).label("principal_vnd"),
            func.sum(RepaymentAllocation.interest_vnd).label("interest_vnd"),
        )
        .where(
            col(RepaymentAllocation.loan_id).in_(loan_ids),
            col(RepaymentAllocation.paid_on) <= on,
        )
        .group_by(col(RepaymentAllocation.loan_id), col(RepaymentAllocation.number))
        .subquery()
    )
    principal_left = col(LoanInstalment.principal_vnd) - func.coalesce(paid.c.principal_vnd, 0)
    interest_left = col(LoanInstalment.interest_vnd) - func.coalesce(paid.c.interest_vnd, 0)
    late = (
        sa_select(
            col(LoanInstalment.loan_id),
            col(LoanInstalment.number),
            col(LoanInstalment.due_on),
            principal_left,
            interest_left,
        )
        .select_from(LoanInstalment)
        .outerjoin(
            paid,
            and_(paid.c.loan_id == LoanInstalment.loan_id, paid.c.number == LoanInstalment.number),
        )
        .where(
            col(LoanInstalment.loan_id).in_(loan_ids),
            col(LoanInstalment.due_on) < on,
            principal_left + interest_left > 0,
        )
    )
    remainders: dict[str, list[LoanInstalmentFacts]] = {}
    for loan_id, number, due_on, principal, interest in (await connection.execute(late)).all():
        remainders.setdefault(loan_id, []).append(
            LoanInstalmentFacts(number, due_on, int(principal), int(interest))
        )
    return [
        LoanPosition(
            principal_vnd=int(principal),
            disbursed_on=disbursed_on,
            schedule=tuple(remainders.get(loan_id, ())),
        )
        for loan_id, disbursed_on, principal in loans
    ]


# -- reconciliation (ishc_platform.reconciliation) ----------------------------------

RECONCILIATION_TALLIES = FINANCE_TALLIES


async def club_tallies(session: AsyncSession, scope: TallyScope) -> list[Tally]:
    """Per club of the scope (every club the directory knows), its finance tallies
    (`RECONCILIATION_TALLIES`) of what was created by `scope.as_of`."""
    clubs = await directory_clubs(session, scope)
    ids = [club_id for club_id, _ in clubs]
    found: dict[str, dict[str, int]] = {}
    if ids:
        by = scope.as_of

        async def fold(query: Any, *names: str) -> None:
            add_counts(found, (await session.exec(query)).all(), *names)

        await fold(
            select(Fund.club_id, func.count())
            .where(col(Fund.club_id).in_(ids), col(Fund.created_at) <= by)
            .group_by(col(Fund.club_id)),
            "funds",
        )
        for model, names in (
            (Contribution, ("contributions", "contributions_vnd")),
            (Fee, ("fees", "fees_vnd")),
            (Expense, ("expenses", "expenses_vnd")),
        ):
            await fold(
                select(model.club_id, func.count(), func.sum(model.amount_vnd))
                .where(col(model.club_id).in_(ids), col(model.created_at) <= by)
                .group_by(col(model.club_id)),
                *names,
            )
        await fold(
            select(
                Loan.club_id,
                func.count(),
                func.sum(Loan.principal_vnd),
                func.count(col(Loan.written_off_on)),
            )
            .where(col(Loan.club_id).in_(ids), col(Loan.created_at) <= by)
            .group_by(col(Loan.club_id)),
            "loans",
            "loans_disbursed_vnd",
            "loans_written_off",
        )
        await fold(
            select(
                Loan.club_id,
                func.count(func.distinct(RepaymentAllocation.repayment_id)),
                func.sum(RepaymentAllocation.principal_vnd),
                func.sum(RepaymentAllocation.interest_vnd),
            )
            .select_from(RepaymentAllocation)
            .join(Repayment, col(Repayment.id) == col(RepaymentAllocation.repayment_id))
            .join(Loan, col(Loan.id) == col(RepaymentAllocation.loan_id))
            .where(col(Loan.club_id).in_(ids), col(Repayment.created_at) <= by)
            .group_by(col(Loan.club_id)),
            "repayments",
            "repaid_principal_vnd",
            "repaid_interest_vnd",
        )
        await fold(
            select(Fund.club_id, func.count(), func.sum(Recovery.amount_vnd))
            .select_from(Recovery)
            .join(Fund, col(Fund.id) == col(Recovery.fund_id))
            .where(col(Fund.club_id).in_(ids), col(Recovery.created_at) <= by)
            .group_by(col(Fund.club_id)),
            "recoveries",
            "recoveries_vnd",
        )
        await fold(
            select(Fund.club_id, func.count())
            .select_from(Reversal)
            .join(Fund, col(Fund.id) == col(Reversal.fund_id))
            .where(col(Fund.club_id).in_(ids), col(Reversal.created_at) <= by)
            .group_by(col(Fund.club_id)),
            "reversals",
        )
    return [
        tally(club_id, province, RECONCILIATION_TALLIES, **found.get(club_id, {}))
        for club_id, province in clubs
    ]
