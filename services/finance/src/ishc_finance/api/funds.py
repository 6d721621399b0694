"""HTTP routes of regulations, funds, contributions, fees, expenses, corrections and
the statement: they only translate HTTP to `service.regulations`, `service.funds`
and `service.statements` (and the statement's files to `adapters.statement_files`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from ishc_contracts.finance_events import FundKind, ReversedKind
from ishc_finance import schemas
from ishc_finance.adapters import statement_files as files
from ishc_finance.api.http import ClubId, FundId, NationalBandsDep, ProvinceCode
from ishc_finance.domain.ledger import Account
from ishc_finance.models import Contribution, Expense, Fee, Regulation, Reversal
from ishc_finance.service import funds as service
from ishc_finance.service import regulations as regulation_service
from ishc_finance.service import statements as statement_service
from ishc_finance.service.regulations import methods_of
from ishc_platform.deps import CurrentCaller, Cursor, Limit, SessionDep
from ishc_platform.errors import problems
from ishc_platform.pagination import Page
from ishc_platform.validation import CalendarDate

router = APIRouter(prefix="/v1", tags=["funds"])

AsOf = Annotated[CalendarDate | None, Query(description="balances at the end of this day (today)")]
MemberFilter = Annotated[str | None, Query(pattern=schemas.ID_PATTERN)]
MonthFilter = Annotated[str | None, Query(pattern=r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$")]


def rate(value: Decimal) -> str:
    """A stored NUMERIC(8, 6) as the decimal string it was given ("0.010000" → "0.01")."""
    return format(Decimal(value).normalize(), "f")


def regulation_out(row: Regulation, province: str) -> schemas.RegulationOut:
    return schemas.RegulationOut(
        id=row.id,
        club_id=row.club_id,
        province=province,
        version=row.version,
        effective_on=row.effective_on,
        rate_min=rate(row.rate_min),
        rate_max=rate(row.rate_max),
        fee_min_vnd=row.fee_min_vnd,
        fee_max_vnd=row.fee_max_vnd,
        max_loan_vnd=row.max_loan_vnd,
        max_term_months=row.max_term_months,
        methods=sorted(methods_of(row)),
        rounding_unit_vnd=row.rounding_unit_vnd,
        created_at=row.created_at,
    )


def fund_out(view: service.FundView) -> schemas.FundOut:
    fund = view.fund
    return schemas.FundOut(
        id=fund.id,
        club_id=fund.club_id,
        province=view.province,
        kind=fund.kind,
        opened_on=fund.opened_on,
        external_id=fund.external_id,
        as_of=view.as_of,
        balances=schemas.AccountBalancesOut(
            **{f"{account.value}_vnd": view.natural(account) for account in Account}
        ),
        trial_balance_vnd=view.trial_balance_vnd,
    )


def contribution_out(row: Contribution) -> schemas.ContributionOut:
    return schemas.ContributionOut.model_validate(row, from_attributes=True)


def fee_out(row: Fee) -> schemas.FeeOut:
    return schemas.FeeOut(
        id=row.id,
        fund_id=row.fund_id,
        club_id=row.club_id,
        member_id=row.member_id,
        month=f"{row.month:%Y-%m}",
        amount_vnd=row.amount_vnd,
        paid_on=row.paid_on,
        reversed_by=row.reversed_by,
    )


def expense_out(row: Expense) -> schemas.ExpenseOut:
    return schemas.ExpenseOut.model_validate(row, from_attributes=True)


def reversal_out(
    row: Reversal, amount_vnd: int, club_id: str, province: str
) -> schemas.ReversalOut:
    return schemas.ReversalOut(
        id=row.id,
        fund_id=row.fund_id,
        club_id=club_id,
        province=province,
        reversed_id=row.reversed_id,
        kind=ReversedKind(row.kind),
        amount_vnd=amount_vnd,
        reversed_on=row.reversed_on,
        reason=row.reason,
    )


# -- regulations -----------------------------------------------------------------------


@router.post(
    "/clubs/{club_id}/regulations",
    status_code=201,
    response_model=schemas.RegulationOut,
    responses=problems(401, 403, 404, 422),
)
async def adopt_regulation(
    club_id: ClubId,
    body: schemas.RegulationIn,
    caller: CurrentCaller,
    session: SessionDep,
    national: NationalBandsDep,
) -> schemas.RegulationOut:
    """Adopt the club's next regulation version (quy chế), inside the national band."""
    row, club = await regulation_service.adopt_regulation(session, caller, club_id, body, national)
    return regulation_out(row, club.province)


@router.get(
    "/clubs/{club_id}/regulations",
    response_model=Page[schemas.RegulationOut],
    responses=problems(401, 403, 404, 422),
)
async def list_regulations(
    club_id: ClubId,
    caller: CurrentCaller,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.RegulationOut]:
    """The club's regulation versions, oldest first."""
    rows, next_cursor, club = await regulation_service.list_regulations(
        session, caller, club_id, limit=limit, cursor=cursor
    )
    return Page(items=[regulation_out(r, club.province) for r in rows], next_cursor=next_cursor)


# -- funds -----------------------------------------------------------------------------


@router.post(
    "/clubs/{club_id}/funds",
    status_code=201,
    response_model=schemas.FundOut,
    responses=problems(401, 403, 404, 409, 422),
)
async def open_fund(
    club_id: ClubId,
    body: schemas.FundIn,
    caller: CurrentCaller,
    session: SessionDep,
    response: Response,
) -> schemas.FundOut:
    """Open the club's income fund (quỹ tăng thu nhập) or activity fund (quỹ hoạt động),
    under the regulation in force on `opened_on`."""
    view = await service.open_fund(session, caller, club_id, body)
    response.headers["Location"] = f"/v1/funds/{view.fund.id}"
    return fund_out(view)


@router.get(
    "/clubs/{club_id}/funds",
    response_model=Page[schemas.FundOut],
    responses=problems(401, 403, 404, 422),
)
async def list_club_funds(
    club_id: ClubId, caller: CurrentCaller, session: SessionDep, as_of: AsOf = None
) -> Page[schemas.FundOut]:
    """The club's two funds (income first) with their balances as of `as_of`."""
    views = await service.list_club_funds(session, caller, club_id, as_of)
    return Page(items=[fund_out(v) for v in views], next_cursor=None)


@router.get("/funds", response_model=Page[schemas.FundOut], responses=problems(401, 403, 422))
async def list_funds(
    caller: CurrentCaller,
    session: SessionDep,
    province: ProvinceCode = None,
    kind: FundKind | None = None,
    as_of: AsOf = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.FundOut]:
    """Funds of the clubs of a province (or of every province the token covers)."""
    views, next_cursor = await service.list_funds(
        session,
        caller,
        province=province,
        kind=kind,
        as_of=as_of,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=[fund_out(v) for v in views], next_cursor=next_cursor)


@router.get(
    "/funds/{fund_id}", response_model=schemas.FundOut, responses=problems(401, 403, 404, 422)
)
async def read_fund(
    fund_id: FundId, caller: CurrentCaller, session: SessionDep, as_of: AsOf = None
) -> schemas.FundOut:
    """The fund and every account's balance at the end of `as_of` (today)."""
    return fund_out(await service.read_fund(session, caller, fund_id, as_of))


# -- contributions ---------------------------------------------------------------------


@router.post(
    "/funds/{fund_id}/contributions",
    status_code=201,
    response_model=schemas.ContributionOut,
    responses=problems(401, 403, 404, 409, 422),
)
async def record_contribution(
    fund_id: FundId,
    body: schemas.ContributionIn,
    caller: CurrentCaller,
    session: SessionDep,
) -> schemas.ContributionOut:
    """Money, or a gift in kind at its value, given into the fund."""
    return contribution_out(await service.record_contribution(session, caller, fund_id, body))


@router.get(
    "/funds/{fund_id}/contributions",
    response_model=Page[schemas.ContributionOut],
    responses=problems(401, 403, 404, 422),
)
async def list_contributions(
    fund_id: FundId,
    caller: CurrentCaller,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.ContributionOut]:
    rows, next_cursor = await service.list_contributions(
        session, caller, fund_id, limit=limit, cursor=cursor
    )
    return Page(items=[contribution_out(r) for r in rows], next_cursor=next_cursor)


# -- fees ------------------------------------------------------------------------------


@router.post(
    "/funds/{fund_id}/fees",
    status_code=201,
    response_model=schemas.FeeOut,
    responses=problems(401, 403, 404, 409, 422),
)
async def record_fee(
    fund_id: FundId, body: schemas.FeeIn, caller: CurrentCaller, session: SessionDep
) -> schemas.FeeOut:
    """A member's monthly fee (hội phí) into the activity fund, once per month."""
    return fee_out(await service.record_fee(session, caller, fund_id, body))


@router.get(
    "/funds/{fund_id}/fees",
    response_model=Page[schemas.FeeOut],
    responses=problems(401, 403, 404, 422),
)
async def list_fees(
    fund_id: FundId,
    caller: CurrentCaller,
    session: SessionDep,
    member_id: MemberFilter = None,
    month: MonthFilter = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.FeeOut]:
    """Members' fees (province tokens: one person's payments)."""
    rows, next_cursor = await service.list_fees(
        session, caller, fund_id, member_id=member_id, month=month, limit=limit, cursor=cursor
    )
    return Page(items=[fee_out(r) for r in rows], next_cursor=next_cursor)


# -- expenses --------------------------------------------------------------------------


@router.post(
    "/funds/{fund_id}/expenses",
    status_code=201,
    response_model=schemas.ExpenseOut,
    responses=problems(401, 403, 404, 409, 422),
)
async def record_expense(
    fund_id: FundId, body: schemas.ExpenseIn, caller: CurrentCaller, session: SessionDep
) -> schemas.ExpenseOut:
    """Money spent from the activity fund on one of the eight activity areas."""
    return expense_out(await service.record_expense(session, caller, fund_id, body))


@router.get(
    "/funds/{fund_id}/expenses",
    response_model=Page[schemas.ExpenseOut],
    responses=problems(401, 403, 404, 422),
)
async def list_expenses(
    fund_id: FundId,
    caller: CurrentCaller,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.ExpenseOut]:
    rows, next_cursor = await service.list_expenses(
        session, caller, fund_id, limit=limit, cursor=cursor
    )
    return Page(items=[expense_out(r) for r in rows], next_cursor=next_cursor)


# -- corrections -----------------------------------------------------------------------


@router.post(
    "/funds/{fund_id}/reversals",
    status_code=201,
    response_model=schemas.ReversalOut,
    responses=problems(401, 403, 404, 409, 422),
)
async def reverse_entry(
    fund_id: FundId, body: schemas.ReversalIn, caller: CurrentCaller, session: SessionDep
) -> schemas.ReversalOut:
    """Correct a contribution, fee or expense of the fund by a reversing entry."""
    return reversal_out(*await service.reverse_entry(session, caller, fund_id, body))


@router.get(
    "/funds/{fund_id}/reversals",
    response_model=Page[schemas.ReversalOut],
    responses=problems(401, 403, 404, 422),
)
async def list_reversals(
    fund_id: FundId,
    caller: CurrentCaller,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.ReversalOut]:
    """The fund's corrections and their reasons (province tokens)."""
    rows, next_cursor = await service.list_reversals(
        session, caller, fund_id, limit=limit, cursor=cursor
    )
    return Page(items=[reversal_out(*row) for row in rows], next_cursor=next_cursor)


# -- the statement ---------------------------------------------------------------------

_FILES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            files.XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
            "text/html": {"schema": {"type": "string"}},
        }
    }
}


@router.get(
    "/funds/{fund_id}/statement",
    response_model=schemas.StatementOut,
    responses={**_FILES, **problems(401, 403, 404, 422)},
)
async def statement(
    fund_id: FundId,
    caller: CurrentCaller,
    session: SessionDep,
    date_from: Annotated[
        CalendarDate | None, Query(alias="from", description="first day (the 1st of this month)")
    ] = None,
    date_to: Annotated[
        CalendarDate | None, Query(alias="to", description="last day (today)")
    ] = None,
    format: Literal["json", "xlsx", "html"] = "json",
) -> Any:
    """The fund's public statement (công khai tài chính): opening cash, every inflow
    and outflow in date order, closing cash; as JSON, an XLSX workbook or a
    printable HTML page in Vietnamese. It names no member."""
    found = await statement_service.fund_statement(session, caller, fund_id, date_from, date_to)
    kept = found.statement
    if format == "json":
        return schemas.StatementOut(
            fund_id=found.fund.id,
            club_id=found.fund.club_id,
            province=found.club.province,
            kind=found.fund.kind,
            date_from=kept.date_from,
            date_to=kept.date_to,
            opening_balance_vnd=kept.opening_balance_vnd,
            total_inflow_vnd=kept.total_inflow_vnd,
            total_outflow_vnd=kept.total_outflow_vnd,
            closing_balance_vnd=kept.closing_balance_vnd,
            total_in_kind_vnd=kept.total_in_kind_vnd,
            entries=[
                schemas.StatementEntryOut.model_validate(e, from_attributes=True)
                for e in kept.entries
            ],
        )
    head = files.heading(found.club, FundKind(found.fund.kind), found.printed_on)
    if format == "xlsx":
        return Response(
            files.render_xlsx(kept, head),
            media_type=files.XLSX_MEDIA_TYPE,
            headers={
                "Content-Disposition": files.content_disposition(
                    files.file_name(kept, head, "xlsx")
                )
            },
        )
    return Response(
        files.render_html(kept, head),
        media_type=files.HTML_MEDIA_TYPE,
        headers={
            "Content-Disposition": files.content_disposition(
                files.file_name(kept, head, "html"), inline=True
            )
        },
    )
