"""HTTP routes of loans: they only translate HTTP to `service.loans`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from ishc_finance import schemas
from ishc_finance.api.http import FundId, LoanId, NationalBandsDep, ProvinceCode
from ishc_finance.models import RepaymentAllocation
from ishc_finance.service import loans as service
from ishc_finance.service.loans import PortfolioFigures, RepaymentState
from ishc_platform.deps import CurrentCaller, Cursor, Limit, SessionDep
from ishc_platform.errors import problems
from ishc_platform.pagination import Page
from ishc_platform.validation import CalendarDate

router = APIRouter(prefix="/v1", tags=["loans"])

AsOf = Annotated[CalendarDate | None, Query(description="a date (default: today in Vietnam)")]
MemberFilter = Annotated[str | None, Query(pattern=schemas.ID_PATTERN, description="a member")]


def loan_out(state: service.LoanState) -> schemas.LoanOut:
    loan = state.loan
    return schemas.LoanOut(
        id=loan.id,
        fund_id=loan.fund_id,
        activity_fund_id=loan.activity_fund_id,
        club_id=loan.club_id,
        province=state.province,
        member_id=loan.member_id,
        principal_vnd=loan.principal_vnd,
        monthly_rate=service.rate_text(loan.monthly_rate),
        term_months=loan.term_months,
        method=loan.method,
        rounding_unit_vnd=loan.rounding_unit_vnd,
        regulation_version=loan.regulation_version,
        disbursed_on=loan.disbursed_on,
        purpose=loan.purpose,
        external_id=loan.external_id,
        status=state.status,
        closed_on=loan.closed_on,
        settled_early=loan.settled_early,
        written_off_on=loan.written_off_on,
        written_off_vnd=loan.written_off_vnd,
        recovered_vnd=state.recovered_vnd,
        as_of=state.as_of,
        outstanding_principal_vnd=state.outstanding_principal_vnd,
        owed_vnd=state.owed_vnd,
        arrears=schemas.ArrearsOut(
            days_late=state.arrears.days_late,
            amount_late_vnd=state.arrears.amount_late_vnd,
            principal_late_vnd=state.arrears.principal_late_vnd,
            at_risk=state.arrears.at_risk,
        ),
        schedule=[
            schemas.InstalmentOut(
                number=row.instalment.number,
                due_on=row.instalment.due_on,
                principal_vnd=row.instalment.principal_vnd,
                interest_vnd=row.instalment.interest_vnd,
                amount_vnd=row.instalment.amount_vnd,
                principal_paid_vnd=row.principal_paid_vnd,
                interest_paid_vnd=row.interest_paid_vnd,
                paid_in_full=row.paid_in_full,
            )
            for row in state.schedule
        ],
    )


def _allocations(rows: list[RepaymentAllocation]) -> list[schemas.AllocationOut]:
    return [
        schemas.AllocationOut(
            number=r.number, principal_vnd=r.principal_vnd, interest_vnd=r.interest_vnd
        )
        for r in sorted(rows, key=lambda r: r.number)
    ]


def repayment_out(state: RepaymentState) -> schemas.RepaymentOut:
    r = state.repayment
    return schemas.RepaymentOut(
        id=r.id,
        loan_id=r.loan_id,
        fund_id=r.fund_id,
        activity_fund_id=state.activity_fund_id,
        province=state.province,
        paid_on=r.paid_on,
        amount_vnd=r.amount_vnd,
        principal_vnd=r.principal_vnd,
        interest_vnd=r.interest_vnd,
        settles_loan=r.settles_loan,
        external_id=r.external_id,
        allocations=_allocations(state.allocations),
        loan_status=state.loan_status,
    )


def _par30(f: PortfolioFigures) -> schemas.Par30Out:
    return schemas.Par30Out(
        at_risk_vnd=f.at_risk_vnd,
        outstanding_vnd=f.gross_outstanding_vnd,
        ratio=f.ratio,
        loans_at_risk=f.loans_at_risk,
    )


def _arrears(f: PortfolioFigures) -> schemas.ArrearsTotalsOut:
    return schemas.ArrearsTotalsOut(
        loans_in_arrears=f.loans_in_arrears,
        amount_late_vnd=f.amount_late_vnd,
        principal_late_vnd=f.principal_late_vnd,
    )


@router.post(
    "/funds/{fund_id}/loans",
    status_code=201,
    response_model=schemas.LoanOut,
    responses=problems(401, 403, 404, 409, 422),
)
async def disburse_loan(
    fund_id: FundId,
    body: schemas.LoanIn,
    caller: CurrentCaller,
    session: SessionDep,
    bands: NationalBandsDep,
    response: Response,
) -> schemas.LoanOut:
    """Lend from the club's income fund to a member; answers the loan and its schedule."""
    state = await service.disburse(session, caller, bands, fund_id, body)
    response.headers["Location"] = f"/v1/loans/{state.loan.id}"
    return loan_out(state)


@router.get(
    "/funds/{fund_id}/loans",
    response_model=Page[schemas.LoanSummaryOut],
    responses=problems(401, 403, 404, 422),
)
async def list_loans(
    fund_id: FundId,
    caller: CurrentCaller,
    session: SessionDep,
    status: Literal["active", "closed", "written_off"] | None = None,
    member_id: MemberFilter = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.LoanSummaryOut]:
    """The fund's loans in disbursement order (province tokens: each is one person's)."""
    page, next_cursor = await service.list_loans(
        session, caller, fund_id, status=status, member_id=member_id, limit=limit, cursor=cursor
    )
    return Page(
        items=[
            schemas.LoanSummaryOut(
                id=loan.id,
                fund_id=loan.fund_id,
                member_id=loan.member_id,
                principal_vnd=loan.principal_vnd,
                monthly_rate=service.rate_text(loan.monthly_rate),
                term_months=loan.term_months,
                method=loan.method,
                disbursed_on=loan.disbursed_on,
                status=status,
                closed_on=loan.closed_on,
                settled_early=loan.settled_early,
                written_off_on=loan.written_off_on,
                outstanding_principal_vnd=outstanding,
                external_id=loan.external_id,
            )
            for loan, status, outstanding in page
        ],
        next_cursor=next_cursor,
    )


@router.get(
    "/loans/{loan_id}",
    response_model=schemas.LoanOut,
    responses=problems(401, 403, 404, 422),
)
async def read_loan(
    loan_id: LoanId, caller: CurrentCaller, session: SessionDep, as_of: AsOf = None
) -> schemas.LoanOut:
    """The loan as of a date: its schedule and what is paid of it, what is owed and late."""
    return loan_out(await service.read_loan(session, caller, loan_id, as_of))


@router.post(
    "/loans/{loan_id}/repayments",
    status_code=201,
    response_model=schemas.RepaymentOut,
    responses=problems(401, 403, 404, 409, 422),
)
async def repay(
    loan_id: LoanId,
    body: schemas.RepaymentIn,
    caller: CurrentCaller,
    session: SessionDep,
) -> schemas.RepaymentOut:
    """A repayment (oldest instalment first, interest before principal), or with
    `settle` the early settlement of the loan."""
    return repayment_out(await service.repay(session, caller, loan_id, body))


@router.get(
    "/loans/{loan_id}/repayments",
    response_model=Page[schemas.RepaymentOut],
    responses=problems(401, 403, 404, 422),
)
async def list_repayments(
    loan_id: LoanId,
    caller: CurrentCaller,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.RepaymentOut]:
    page, next_cursor = await service.list_repayments(
        session, caller, loan_id, limit=limit, cursor=cursor
    )
    return Page(items=[repayment_out(r) for r in page], next_cursor=next_cursor)


@router.get(
    "/loans/{loan_id}/settlement",
    response_model=schemas.SettlementOut,
    responses=problems(401, 403, 404, 409, 422),
)
async def settlement(
    loan_id: LoanId,
    caller: CurrentCaller,
    session: SessionDep,
    on: Annotated[CalendarDate | None, Query(description="default: today in Vietnam")] = None,
) -> schemas.SettlementOut:
    """What would settle the loan on a date (send it with `settle: true`)."""
    settled, forgiven = await service.settlement_quote(session, caller, loan_id, on)
    return schemas.SettlementOut(
        loan_id=loan_id,
        on=settled.on,
        principal_vnd=settled.principal_vnd,
        interest_vnd=settled.interest_vnd,
        amount_vnd=settled.amount_vnd,
        forgiven_interest_vnd=forgiven,
        allocations=[
            schemas.AllocationOut(
                number=a.number, principal_vnd=a.principal_vnd, interest_vnd=a.interest_vnd
            )
            for a in settled.allocations
        ],
    )


@router.post(
    "/loans/{loan_id}/write-off",
    response_model=schemas.LoanOut,
    responses=problems(401, 403, 404, 409, 422),
)
async def write_off(
    loan_id: LoanId, body: schemas.WriteOffIn, caller: CurrentCaller, session: SessionDep
) -> schemas.LoanOut:
    """Write off the loan's unpaid principal (xóa nợ); the reason stays here."""
    return loan_out(await service.write_off(session, caller, loan_id, body))


@router.post(
    "/loans/{loan_id}/recoveries",
    status_code=201,
    response_model=schemas.RecoveryOut,
    responses=problems(401, 403, 404, 409, 422),
)
async def recover(
    loan_id: LoanId, body: schemas.RecoveryIn, caller: CurrentCaller, session: SessionDep
) -> schemas.RecoveryOut:
    """Money received on a written-off loan."""
    state = await service.recover(session, caller, loan_id, body)
    r = state.recovery
    return schemas.RecoveryOut(
        id=r.id,
        loan_id=r.loan_id,
        fund_id=r.fund_id,
        province=state.province,
        recovered_on=r.recovered_on,
        amount_vnd=r.amount_vnd,
        recovered_vnd=state.recovered_vnd,
        written_off_vnd=state.written_off_vnd,
    )


@router.get(
    "/funds/{fund_id}/portfolio",
    response_model=schemas.PortfolioOut,
    responses=problems(401, 403, 404, 422),
)
async def fund_portfolio(
    fund_id: FundId, caller: CurrentCaller, session: SessionDep, as_of: AsOf = None
) -> schemas.PortfolioOut:
    """The income fund's outstanding principal, PAR30 and arrears as of a date."""
    fund, figures = await service.fund_portfolio(session, caller, fund_id, as_of)
    return schemas.PortfolioOut(
        fund_id=fund.id,
        club_id=fund.club_id,
        as_of=figures.as_of,
        loans_active=figures.loans_active,
        gross_outstanding_vnd=figures.gross_outstanding_vnd,
        par30=_par30(figures),
        arrears=_arrears(figures),
    )


@router.get(
    "/portfolio",
    response_model=schemas.ProvincePortfolioOut,
    responses=problems(401, 403, 422),
)
async def province_portfolio(
    caller: CurrentCaller,
    session: SessionDep,
    province: ProvinceCode = None,
    as_of: AsOf = None,
) -> schemas.ProvincePortfolioOut:
    """The loan portfolio of every club now in a province, as of a date."""
    provinces, figures = await service.province_portfolio(session, caller, province, as_of)
    return schemas.ProvincePortfolioOut(
        provinces=provinces,
        as_of=figures.as_of,
        loans_active=figures.loans_active,
        gross_outstanding_vnd=figures.gross_outstanding_vnd,
        par30=_par30(figures),
        arrears=_arrears(figures),
    )
