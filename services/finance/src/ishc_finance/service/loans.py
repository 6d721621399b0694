"""Use cases of loans (khoản vay): disbursement, repayments and early settlement,
write-offs and recoveries, and the reads of a loan, its schedule and arrears and a
portfolio's PAR30 as of any date.

Every write takes the club's lock first (`access.fund_for_write` /
`loan_for_write`), then checks what the lock guards (the fund's cash, what the
loan still owes), then writes the operation, its ledger entry and its event, and
commits: one transaction each. Arrears and PAR30 are counted by the shared
`ishc_contracts.loans`, as reporting counts them from the events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts.finance_events import (
    AllocationFacts,
    FundKind,
    InstalmentFacts,
    InterestMethod,
    LoanDisbursed,
    LoanRecovered,
    LoanWrittenOff,
    RepaymentReceived,
)
from ishc_contracts.loans import Allocation, Arrears, Instalment, LoanPosition, arrears, par30
from ishc_contracts.loans import outstanding_principal as outstanding_on
from ishc_finance import queries, schemas
from ishc_finance.domain import ledger
from ishc_finance.domain.dates import check_active_member, check_dated
from ishc_finance.domain.regulations import (
    NationalBands,
    check_loan_terms,
    in_force,
)
from ishc_finance.domain.repayments import Settlement, allocate, owed, settlement
from ishc_finance.domain.schedules import schedule as make_schedule
from ishc_finance.models import (
    Fund,
    Loan,
    LoanInstalment,
    Recovery,
    Repayment,
    RepaymentAllocation,
)
from ishc_finance.service import policy
from ishc_finance.service.access import fund_for_read, fund_for_write, loan_for_read, loan_for_write
from ishc_finance.service.regulations import terms_of
from ishc_finance.service.writes import new_id, post
from ishc_platform.auth import Caller
from ishc_platform.clock import today, utcnow
from ishc_platform.directory import DirectoryClub
from ishc_platform.errors import conflict, invalid
from ishc_platform.outbox import publish

RATIO_PLACES = Decimal("0.000001")
"""PAR30 is answered as a decimal string with six places."""


# --- what the reads answer ------------------------------------------------------


@dataclass(frozen=True)
class InstalmentState:
    instalment: Instalment
    principal_paid_vnd: int
    interest_paid_vnd: int

    @property
    def paid_in_full(self) -> bool:
        return (
            self.principal_paid_vnd >= self.instalment.principal_vnd
            and self.interest_paid_vnd >= self.instalment.interest_vnd
        )


@dataclass(frozen=True)
class LoanState:
    """A loan as of `as_of`."""

    loan: Loan
    province: str
    as_of: date
    status: str
    schedule: list[InstalmentState]
    outstanding_principal_vnd: int
    owed_vnd: int
    arrears: Arrears
    recovered_vnd: int


@dataclass(frozen=True)
class RepaymentState:
    repayment: Repayment
    allocations: list[RepaymentAllocation]
    activity_fund_id: str
    province: str
    loan_status: str | None = None


@dataclass(frozen=True)
class RecoveryState:
    recovery: Recovery
    province: str
    recovered_vnd: int  # all recoveries on the loan so far
    written_off_vnd: int


@dataclass(frozen=True)
class PortfolioFigures:
    """A portfolio's figures as of a date: no loan or person in it."""

    as_of: date
    loans_active: int
    gross_outstanding_vnd: int
    at_risk_vnd: int
    loans_at_risk: int
    ratio: str | None
    loans_in_arrears: int
    amount_late_vnd: int
    principal_late_vnd: int


def rate_text(rate: Decimal) -> str:
    """A monthly rate as the API writes it: "0.008", never "0.008000" or "8E-3"."""
    text = f"{Decimal(rate).normalize():f}"
    return text


def status_on(loan: Loan, on: date) -> str:
    if loan.written_off_on is not None and loan.written_off_on <= on:
        return "written_off"
    if loan.closed_on is not None and loan.closed_on <= on:
        return "closed"
    return "active"


def _position(
    loan: Loan, schedule: Sequence[Instalment], paid: Sequence[Allocation]
) -> LoanPosition:
    return LoanPosition(
        principal_vnd=loan.principal_vnd,
        disbursed_on=loan.disbursed_on,
        schedule=tuple(schedule),
        allocations=tuple(paid),
        closed_on=loan.closed_on,
        written_off_on=loan.written_off_on,
    )


async def _state(session: AsyncSession, loan: Loan, province: str, as_of: date) -> LoanState:
    schedule = await queries.loan_schedule(session, loan.id)
    paid = await queries.loan_allocations(session, loan.id, as_of)
    position = _position(loan, schedule, paid)
    totals: dict[int, tuple[int, int]] = {}
    for part in paid:
        p, i = totals.get(part.number, (0, 0))
        totals[part.number] = (p + part.principal_vnd, i + part.interest_vnd)
    status = status_on(loan, as_of)
    return LoanState(
        loan=loan,
        province=province,
        as_of=as_of,
        status=status,
        schedule=[
            InstalmentState(instalment, *totals.get(instalment.number, (0, 0)))
            for instalment in schedule
        ],
        outstanding_principal_vnd=outstanding_on(position, as_of),
        owed_vnd=owed(schedule, paid) if status == "active" else 0,
        arrears=arrears(position, as_of),
        recovered_vnd=await queries.recovered_vnd(session, loan.id, as_of),
    )


# --- checks every loan write shares ---------------------------------------------


def _ensure_active(loan: Loan) -> None:
    """A repayment or a write-off needs a loan still running (409 otherwise)."""
    if loan.written_off_on is not None:
        raise conflict(
            "loan_id",
            f"the loan was written off on {loan.written_off_on:%d/%m/%Y}; record money "
            f"received on it as a recovery (POST /v1/loans/{loan.id}/recoveries)",
            written_off_on=loan.written_off_on.isoformat(),
        )
    if loan.closed_on is not None:
        raise conflict(
            "loan_id",
            f"the loan was closed on {loan.closed_on:%d/%m/%Y}: nothing is owed on it",
            closed_on=loan.closed_on.isoformat(),
        )


async def _not_before_last_repayment(
    session: AsyncSession, loan: Loan, on: date, field: str
) -> None:
    """Repayments are allocated in date order, so none may be dated before the last."""
    last = await queries.last_repayment_on(session, loan.id)
    if last is not None and on < last:
        raise invalid(
            field,
            f"{field} {on:%d/%m/%Y} is before the loan's latest repayment on {last:%d/%m/%Y}: "
            "repayments are allocated in date order",
            latest_repayment_on=last.isoformat(),
        )


async def _activity_fund(session: AsyncSession, loan: Loan) -> Fund:
    found = await queries.fund(session, loan.activity_fund_id)
    assert found is not None  # the loan was disbursed with it open
    return found


# --- disbursement ---------------------------------------------------------------


async def disburse(
    session: AsyncSession,
    caller: Caller,
    bands: NationalBands,
    fund_id: str,
    data: schemas.LoanIn,
) -> LoanState:
    """Lend from the club's income fund to one of its members."""
    fund, club = await fund_for_write(session, caller, fund_id, "lending")
    if fund.kind != FundKind.INCOME:
        raise invalid("fund_id", "loans are made from the club's income fund (quỹ tăng thu nhập)")
    on = data.disbursed_on
    check_dated(
        on, "disbursed_on", today=today(), opened_on=fund.opened_on, dissolved_on=club.dissolved_on
    )
    activity = (await queries.club_funds(session, club.club_id)).get(FundKind.ACTIVITY)
    if activity is None:
        raise invalid(
            "fund_id",
            "the club has no activity fund (quỹ hoạt động): open it first, a loan's interest "
            "goes there",
        )
    if activity.opened_on > on:
        raise invalid(
            "disbursed_on",
            f"disbursed_on {on:%d/%m/%Y} is before the club's activity fund opened on "
            f"{activity.opened_on:%d/%m/%Y} (a loan's interest goes there)",
        )
    regulation = in_force(await queries.regulations(session, club.club_id), on)
    if regulation is None:
        raise invalid("disbursed_on", f"no regulation of the club is in force on {on:%d/%m/%Y}")
    stored = terms_of(regulation)
    # NUMERIC(8, 6) answers 0.007000: name the band as the club wrote it, 0.007.
    terms = replace(
        stored, rate_min=stored.rate_min.normalize(), rate_max=stored.rate_max.normalize()
    )
    check_loan_terms(
        terms,
        bands,
        principal_vnd=data.principal_vnd,
        monthly_rate=data.monthly_rate,
        term_months=data.term_months,
        method=data.method,
    )
    await _check_borrower(session, club, data.member_id, on)
    if data.external_id is not None:
        holder = await queries.loan_by_key(session, fund.id, data.external_id)
        if holder is not None:
            raise conflict(
                "external_id",
                f"external_id {data.external_id!r} is another loan's in this fund",
                existing_id=holder,
            )
    instalments = make_schedule(
        principal_vnd=data.principal_vnd,
        monthly_rate=data.monthly_rate,
        term_months=data.term_months,
        method=data.method,
        disbursed_on=on,
        rounding_unit_vnd=terms.rounding_unit_vnd,
    )
    available = ledger.cash_headroom(await queries.cash_movements(session, fund.id), on)
    if data.principal_vnd > available:
        cash = max(available, 0)
        raise invalid(
            "principal_vnd",
            f"principal_vnd {data.principal_vnd} is more than the {cash} VND the fund can lend "
            f"on {on:%d/%m/%Y} (its cash, less what later-dated payments out already use)",
            cash_available_vnd=cash,
        )
    now = utcnow()
    loan = Loan(
        id=new_id(),
        fund_id=fund.id,
        activity_fund_id=activity.id,
        club_id=club.club_id,
        member_id=data.member_id,
        principal_vnd=data.principal_vnd,
        monthly_rate=data.monthly_rate,
        term_months=data.term_months,
        method=data.method,
        rounding_unit_vnd=terms.rounding_unit_vnd,
        regulation_version=terms.version,
        disbursed_on=on,
        purpose=data.purpose,
        external_id=data.external_id,
        created_at=now,
        updated_at=now,
    )
    session.add(loan)
    session.add_all(
        LoanInstalment(
            loan_id=loan.id,
            number=i.number,
            due_on=i.due_on,
            principal_vnd=i.principal_vnd,
            interest_vnd=i.interest_vnd,
        )
        for i in instalments
    )
    await post(
        session,
        club_id=club.club_id,
        entry_on=on,
        kind="disbursement",
        reference_id=loan.id,
        lines=ledger.disbursement(fund.id, loan.principal_vnd),
    )
    await publish(
        session,
        loan.id,
        club.province,
        LoanDisbursed(
            loan_id=loan.id,
            fund_id=fund.id,
            club_id=club.club_id,
            member_id=loan.member_id,
            principal_vnd=loan.principal_vnd,
            monthly_rate=loan.monthly_rate,
            term_months=loan.term_months,
            method=loan.method,
            disbursed_on=on,
            schedule=[
                InstalmentFacts(
                    number=i.number,
                    due_on=i.due_on,
                    principal_vnd=i.principal_vnd,
                    interest_vnd=i.interest_vnd,
                )
                for i in instalments
            ],
        ),
        new_aggregate=True,
    )
    state = await _state(session, loan, club.province, today())
    await session.commit()
    return state


async def _check_borrower(
    session: AsyncSession, club: DirectoryClub, member_id: str, on: date
) -> None:
    """The borrower is a member of this club on the day (422 naming `member_id`).
    An unknown member and another club's answer alike, so another province's
    members do not show."""
    member = await queries.member(session, member_id)
    if member is None or member.club_id != club.club_id:
        raise invalid("member_id", "not a member of this club")
    check_active_member(on, "member_id", joined_on=member.joined_on, left_on=member.left_on)


# --- repayments and settlement --------------------------------------------------


async def repay(
    session: AsyncSession, caller: Caller, loan_id: str, data: schemas.RepaymentIn
) -> RepaymentState:
    """A repayment, oldest instalment first and interest before principal; with
    `settle`, the early settlement of the whole loan."""
    loan, club = await loan_for_write(session, caller, loan_id, "recording a repayment")
    _ensure_active(loan)
    on = data.paid_on
    check_dated(
        on,
        "paid_on",
        today=today(),
        dissolved_on=club.dissolved_on,
        not_before=loan.disbursed_on,
        not_before_what="the loan was disbursed",
    )
    await _not_before_last_repayment(session, loan, on, "paid_on")
    if data.external_id is not None:
        holder = await queries.repayment_by_key(session, loan.id, data.external_id)
        if holder is not None:
            raise conflict(
                "external_id",
                f"external_id {data.external_id!r} is another repayment's of this loan",
                existing_id=holder,
            )
    instalments = await queries.loan_schedule(session, loan.id)
    paid = await queries.loan_allocations(session, loan.id)
    if data.settle:
        settled = _settlement(loan, instalments, paid, on)
        if data.amount_vnd != settled.amount_vnd:
            raise invalid(
                "amount_vnd",
                f"amount_vnd {data.amount_vnd} is not the {settled.amount_vnd} VND that settles "
                f"the loan on {on:%d/%m/%Y} ({settled.principal_vnd} principal, "
                f"{settled.interest_vnd} interest)",
                settlement_vnd=settled.amount_vnd,
                principal_vnd=settled.principal_vnd,
                interest_vnd=settled.interest_vnd,
            )
        parts = settled.allocations
        closes = True
    else:
        parts = allocate(instalments, paid, amount_vnd=data.amount_vnd, paid_on=on)
        closes = owed(instalments, [*paid, *parts]) == 0
    principal = sum(p.principal_vnd for p in parts)
    interest = sum(p.interest_vnd for p in parts)
    repayment = Repayment(
        id=new_id(),
        loan_id=loan.id,
        fund_id=loan.fund_id,
        paid_on=on,
        amount_vnd=data.amount_vnd,
        principal_vnd=principal,
        interest_vnd=interest,
        settles_loan=data.settle,
        external_id=data.external_id,
        created_at=utcnow(),
    )
    rows = [
        RepaymentAllocation(
            repayment_id=repayment.id,
            number=p.number,
            loan_id=loan.id,
            paid_on=on,
            principal_vnd=p.principal_vnd,
            interest_vnd=p.interest_vnd,
        )
        for p in parts
    ]
    session.add(repayment)
    session.add_all(rows)
    if closes:
        loan.closed_on = on
        loan.settled_early = data.settle and on < max(i.due_on for i in instalments)
        loan.version += 1
        loan.updated_at = utcnow()
        session.add(loan)
    await post(
        session,
        club_id=loan.club_id,
        entry_on=on,
        kind="repayment",
        reference_id=repayment.id,
        lines=ledger.repayment(loan.fund_id, loan.activity_fund_id, principal, interest),
    )
    await publish(
        session,
        loan.id,
        club.province,
        RepaymentReceived(
            repayment_id=repayment.id,
            loan_id=loan.id,
            fund_id=loan.fund_id,
            activity_fund_id=loan.activity_fund_id,
            club_id=loan.club_id,
            paid_on=on,
            amount_vnd=data.amount_vnd,
            principal_vnd=principal,
            interest_vnd=interest,
            allocations=[
                AllocationFacts(
                    number=p.number, principal_vnd=p.principal_vnd, interest_vnd=p.interest_vnd
                )
                for p in parts
            ],
            settles_loan=data.settle,
        ),
    )
    await session.commit()
    return RepaymentState(
        repayment,
        rows,
        loan.activity_fund_id,
        club.province,
        "closed" if closes else "active",
    )


def _settlement(
    loan: Loan, instalments: Sequence[Instalment], paid: Sequence[Allocation], on: date
) -> Settlement:
    return settlement(
        schedule=instalments,
        allocations=paid,
        method=InterestMethod(loan.method),
        monthly_rate=Decimal(loan.monthly_rate),
        disbursed_on=loan.disbursed_on,
        rounding_unit_vnd=loan.rounding_unit_vnd,
        on=on,
    )


async def settlement_quote(
    session: AsyncSession, caller: Caller, loan_id: str, on: date | None
) -> tuple[Settlement, int]:
    """What would settle the loan on `on` (today by default), and the scheduled
    interest it would forgive."""
    loan = await loan_for_read(session, caller, loan_id)
    _ensure_active(loan)
    on = on or today()
    if on < loan.disbursed_on:
        raise invalid(
            "on",
            f"on {on:%d/%m/%Y} is before the loan was disbursed on {loan.disbursed_on:%d/%m/%Y}",
        )
    await _not_before_last_repayment(session, loan, on, "on")
    instalments = await queries.loan_schedule(session, loan.id)
    paid = await queries.loan_allocations(session, loan.id)
    settled = _settlement(loan, instalments, paid, on)
    scheduled_interest = sum(i.interest_vnd for i in instalments)
    paid_interest = sum(p.interest_vnd for p in paid)
    return settled, scheduled_interest - paid_interest - settled.interest_vnd


async def list_repayments(
    session: AsyncSession, caller: Caller, loan_id: str, *, limit: int, cursor: str | None
) -> tuple[list[RepaymentState], str | None]:
    loan = await loan_for_read(session, caller, loan_id)
    club = await queries.club(session, loan.club_id)
    assert club is not None  # loan_for_read found it
    page, next_cursor = await queries.repayments_page(session, loan.id, limit=limit, cursor=cursor)
    return [
        RepaymentState(r, parts, loan.activity_fund_id, club.province) for r, parts in page
    ], next_cursor


# --- write-offs and recoveries --------------------------------------------------


async def write_off(
    session: AsyncSession, caller: Caller, loan_id: str, data: schemas.WriteOffIn
) -> LoanState:
    """Recognise the loan's unpaid principal as lost (xóa nợ)."""
    loan, club = await loan_for_write(session, caller, loan_id, "writing off a loan")
    _ensure_active(loan)
    on = data.written_off_on
    check_dated(
        on,
        "written_off_on",
        today=today(),
        dissolved_on=club.dissolved_on,
        not_before=loan.disbursed_on,
        not_before_what="the loan was disbursed",
    )
    await _not_before_last_repayment(session, loan, on, "written_off_on")
    paid = await queries.loan_allocations(session, loan.id)
    principal = loan.principal_vnd - sum(p.principal_vnd for p in paid)
    loan.written_off_on = on
    loan.written_off_vnd = principal
    loan.write_off_reason = data.reason
    loan.version += 1
    loan.updated_at = utcnow()
    session.add(loan)
    await post(
        session,
        club_id=loan.club_id,
        entry_on=on,
        kind="write_off",
        reference_id=loan.id,
        lines=ledger.write_off(loan.fund_id, principal),
    )
    await publish(
        session,
        loan.id,
        club.province,
        LoanWrittenOff(
            loan_id=loan.id,
            fund_id=loan.fund_id,
            club_id=loan.club_id,
            written_off_on=on,
            principal_vnd=principal,
        ),
    )
    state = await _state(session, loan, club.province, today())
    await session.commit()
    return state


async def recover(
    session: AsyncSession, caller: Caller, loan_id: str, data: schemas.RecoveryIn
) -> RecoveryState:
    """Money received on a written-off loan, into the income fund."""
    loan, club = await loan_for_write(session, caller, loan_id, "recording a recovery")
    if loan.written_off_on is None or loan.written_off_vnd is None:
        raise conflict(
            "loan_id",
            "only a written-off loan takes recoveries; record a repayment on a running loan",
        )
    on = data.recovered_on
    check_dated(
        on,
        "recovered_on",
        today=today(),
        dissolved_on=club.dissolved_on,
        not_before=loan.written_off_on,
        not_before_what="the loan was written off",
    )
    before = await queries.recovered_vnd(session, loan.id)
    left = loan.written_off_vnd - before
    if data.amount_vnd > left:
        raise invalid(
            "amount_vnd",
            f"amount_vnd {data.amount_vnd} is more than the {left} VND of written-off principal "
            f"not yet recovered ({loan.written_off_vnd} written off, {before} recovered)",
            recoverable_vnd=left,
        )
    recovery = Recovery(
        id=new_id(),
        loan_id=loan.id,
        fund_id=loan.fund_id,
        recovered_on=on,
        amount_vnd=data.amount_vnd,
        created_at=utcnow(),
    )
    session.add(recovery)
    await post(
        session,
        club_id=loan.club_id,
        entry_on=on,
        kind="recovery",
        reference_id=recovery.id,
        lines=ledger.recovery(loan.fund_id, data.amount_vnd),
    )
    await publish(
        session,
        loan.id,
        club.province,
        LoanRecovered(
            recovery_id=recovery.id,
            loan_id=loan.id,
            fund_id=loan.fund_id,
            club_id=loan.club_id,
            recovered_on=on,
            amount_vnd=data.amount_vnd,
        ),
    )
    written_off = loan.written_off_vnd
    await session.commit()
    return RecoveryState(recovery, club.province, before + data.amount_vnd, written_off)


# --- reads ----------------------------------------------------------------------


async def read_loan(
    session: AsyncSession, caller: Caller, loan_id: str, as_of: date | None
) -> LoanState:
    loan = await loan_for_read(session, caller, loan_id)
    on = as_of or today()
    if on < loan.disbursed_on:
        raise invalid(
            "as_of",
            f"as_of {on:%d/%m/%Y} is before the loan was disbursed on {loan.disbursed_on:%d/%m/%Y}",
        )
    club = await queries.club(session, loan.club_id)
    assert club is not None  # loan_for_read found it
    return await _state(session, loan, club.province, on)


async def list_loans(
    session: AsyncSession,
    caller: Caller,
    fund_id: str,
    *,
    status: str | None,
    member_id: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[tuple[Loan, str, int]], str | None]:
    """The fund's loans (one person's each: province tokens only), each with its
    status and outstanding principal today."""
    policy.require_province_token(caller, "listing loans")
    fund, _ = await fund_for_read(session, caller, fund_id)
    page, next_cursor = await queries.loans_page(
        session, fund.id, status=status, member_id=member_id, limit=limit, cursor=cursor
    )
    on = today()
    repaid = await queries.principal_repaid(session, [loan.id for loan in page], on)
    rows = []
    for loan in page:
        status = status_on(loan, on)
        outstanding = loan.principal_vnd - repaid.get(loan.id, 0) if status == "active" else 0
        rows.append((loan, status, outstanding))
    return rows, next_cursor


def figures(positions: Sequence[LoanPosition], on: date) -> PortfolioFigures:
    """PAR30 and the arrears totals of a portfolio, as the shared rules count them."""
    risk = par30(positions, on)
    late = [arrears(p, on) for p in positions]
    ratio = risk.ratio
    return PortfolioFigures(
        as_of=on,
        loans_active=sum(1 for p in positions if outstanding_on(p, on) > 0),
        gross_outstanding_vnd=risk.outstanding_vnd,
        at_risk_vnd=risk.at_risk_vnd,
        loans_at_risk=risk.loans_at_risk,
        ratio=None if ratio is None else str(ratio.quantize(RATIO_PLACES, ROUND_HALF_UP)),
        loans_in_arrears=sum(1 for a in late if a.days_late > 0),
        amount_late_vnd=sum(a.amount_late_vnd for a in late),
        principal_late_vnd=sum(a.principal_late_vnd for a in late),
    )


async def fund_portfolio(
    session: AsyncSession, caller: Caller, fund_id: str, as_of: date | None
) -> tuple[Fund, PortfolioFigures]:
    """An income fund's portfolio as of a date: amounts only (national tokens too)."""
    fund, _ = await fund_for_read(session, caller, fund_id)
    if fund.kind != FundKind.INCOME:
        raise invalid("fund_id", "loans are made from the club's income fund, not this one")
    on = as_of or today()
    return fund, figures(await queries.portfolio_positions(session, on, fund_id=fund.id), on)


async def province_portfolio(
    session: AsyncSession, caller: Caller, province: str | None, as_of: date | None
) -> tuple[list[str], PortfolioFigures]:
    """The portfolio of every club now in the caller's provinces (or the one named)."""
    provinces = policy.provinces_listed(caller, province)
    if provinces is None:
        raise invalid("province", "name the province whose portfolio to count")
    on = as_of or today()
    positions = await queries.portfolio_positions(session, on, provinces=provinces)
    return sorted(provinces), figures(positions, on)
