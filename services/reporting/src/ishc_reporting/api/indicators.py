"""Indicator routes: they only translate HTTP to `service/indicators.py`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from ishc_platform.admin_units import Boundary
from ishc_platform.deps import CurrentCaller, SessionDep
from ishc_platform.errors import problems
from ishc_platform.validation import CalendarDate
from ishc_reporting import queries, schemas
from ishc_reporting.schemas import jsonable
from ishc_reporting.service import indicators as service

router = APIRouter(prefix="/v1")

# Dates lie in 1900-01-01..2100-12-31 (ishc_platform.validation): beyond, a 422
# naming the field, never a date overflow deeper down.
AsOf = Annotated[
    CalendarDate | None,
    Query(description="the date to count as of (default: today in Vietnam)"),
]
BoundaryParam = Annotated[
    Boundary,
    Query(description="current: the 34 provinces since 1 July 2025; legacy: the 63 before"),
]
PeriodStart = Annotated[
    CalendarDate | None,
    Query(
        description="start of the period for new clubs/members, meetings and activities "
        "(default: the twelve months up to as_of)"
    ),
]
OlderAge = Annotated[
    int | None,
    Query(
        ge=40, le=80, description="count older members from this age (default: the plan's, else 60)"
    ),
]
# Ids are checked before any query: a NUL byte is a PostgreSQL error, not a 404.
ClubId = Annotated[str, Path(pattern=queries.RECORD_ID_PATTERN, description="a club's id")]


def indicator_query(
    as_of: AsOf = None,
    boundary: BoundaryParam = Boundary.CURRENT,
    period_start: PeriodStart = None,
    older_age: OlderAge = None,
) -> service.Query:
    """The parameters every indicator route takes, as one query."""
    return service.make_query(as_of, boundary, period_start, older_age)


IndicatorQuery = Annotated[service.Query, Depends(indicator_query)]


def _json(content: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = jsonable(content)
    return result


@router.get(
    "/indicators/national",
    response_model=schemas.NationalFigures,
    responses=problems(401, 403, 422),
)
async def national_indicators(
    session: SessionDep,
    caller: CurrentCaller,
    q: IndicatorQuery,
) -> dict[str, Any]:
    """The nation's indicators with the national plan's targets and gaps."""
    return _json(await service.national(session, caller, q))


@router.get(
    "/indicators/provinces", response_model=schemas.ProvinceTable, responses=problems(401, 403, 422)
)
async def province_indicators(
    session: SessionDep,
    caller: CurrentCaller,
    q: IndicatorQuery,
) -> dict[str, Any]:
    """One row per province the caller may see (a province token: its own and,
    on the legacy map, the old provinces merged into it)."""
    return _json(await service.province_table(session, caller, q))


@router.get(
    "/indicators/provinces/{code}",
    response_model=schemas.ProvinceFigures,
    responses=problems(401, 403, 404, 422),
)
async def province_indicator_detail(
    session: SessionDep,
    caller: CurrentCaller,
    code: Annotated[str, Path(pattern=r"^[0-9]{2}$")],
    q: IndicatorQuery,
) -> dict[str, Any]:
    return _json(await service.province_detail(session, caller, code, q))


@router.get(
    "/indicators/communes/{code}",
    response_model=schemas.CommuneFigures,
    responses=problems(401, 403, 404, 422),
)
async def commune_indicators(
    session: SessionDep,
    caller: CurrentCaller,
    code: Annotated[str, Path(pattern=r"^[0-9]{5}$")],
    q: IndicatorQuery,
) -> dict[str, Any]:
    return _json(await service.commune_detail(session, caller, code, q))


@router.get(
    "/indicators/clubs/{club_id}",
    response_model=schemas.ClubFigures,
    response_model_exclude_unset=True,  # `place` only for an active club
    responses=problems(401, 403, 404, 422),
)
async def club_indicators(
    session: SessionDep,
    caller: CurrentCaller,
    club_id: ClubId,
    q: IndicatorQuery,
) -> dict[str, Any]:
    return _json(await service.club_detail(session, caller, club_id, q))


@router.get("/rollout", response_model=schemas.Rollout, responses=problems(401, 403))
async def rollout(session: SessionDep, caller: CurrentCaller) -> dict[str, Any]:
    """Per province: plan loaded, clubs and members, when it last sent data, reporting rate."""
    return _json(await service.rollout(session, caller))
