"""HTTP routes of clubs: they only translate HTTP to `service.clubs`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from ishc_contracts.people import DEFAULT_OLDER_AGE
from ishc_platform.deps import CurrentCaller, Cursor, Limit, SessionDep
from ishc_platform.errors import problems
from ishc_platform.pagination import Page
from ishc_platform.validation import CalendarDate
from ishc_registry import schemas
from ishc_registry.api.http import (
    ClubId,
    IfMatch,
    ProvinceCode,
    SearchQuery,
    club_out,
    created,
    etag,
    expected_version,
)
from ishc_registry.service import clubs as service

router = APIRouter(prefix="/v1", tags=["clubs"])


@router.post(
    "/clubs",
    status_code=201,
    response_model=schemas.ClubOut,
    responses=problems(401, 403, 409, 422),
)
async def register_club(
    body: schemas.ClubIn, caller: CurrentCaller, session: SessionDep, response: Response
) -> schemas.ClubOut:
    """Register a club. Its province comes from its current commune."""
    club = await service.register_club(session, caller, body)
    created(response, club.version, f"/v1/clubs/{club.id}")
    return club_out(club)


@router.get("/clubs", response_model=Page[schemas.ClubOut], responses=problems(401, 403, 422))
async def list_clubs(
    caller: CurrentCaller,
    session: SessionDep,
    province: ProvinceCode = None,
    commune_code: Annotated[str | None, Query(pattern=r"^[0-9]{5}$")] = None,
    status: Literal["active", "dissolved"] | None = None,
    q: SearchQuery = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.ClubOut]:
    clubs, next_cursor = await service.list_clubs(
        session,
        caller,
        province=province,
        commune_code=commune_code,
        status=status,
        q=q,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=[club_out(c) for c in clubs], next_cursor=next_cursor)


@router.get(
    "/clubs/{club_id}", response_model=schemas.ClubOut, responses=problems(401, 403, 404, 422)
)
async def read_club(
    club_id: ClubId,
    caller: CurrentCaller,
    session: SessionDep,
    response: Response,
    older_age: Annotated[
        int, Query(ge=40, le=100, description="older from this age")
    ] = DEFAULT_OLDER_AGE,
    as_of: CalendarDate | None = None,
) -> schemas.ClubOut:
    """A club and its composition now (or `as_of`): counts, never people."""
    club, composition = await service.read_club(session, caller, club_id, as_of, older_age)
    response.headers["ETag"] = etag(club.version)
    return club_out(club, composition)


@router.patch(
    "/clubs/{club_id}",
    response_model=schemas.ClubOut,
    responses=problems(401, 403, 404, 409, 412, 422, 428),
)
async def update_club(
    club_id: ClubId,
    body: schemas.ClubPatch,
    caller: CurrentCaller,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> schemas.ClubOut:
    club = await service.update_club(session, caller, club_id, body, expected_version(if_match))
    response.headers["ETag"] = etag(club.version)
    return club_out(club)


@router.post(
    "/clubs/{club_id}/relocate",
    response_model=schemas.ClubOut,
    responses=problems(401, 403, 404, 409, 422),
)
async def relocate_club(
    club_id: ClubId, body: schemas.RelocationIn, caller: CurrentCaller, session: SessionDep
) -> schemas.ClubOut:
    return club_out(await service.relocate_club(session, caller, club_id, body))


@router.post(
    "/clubs/{club_id}/dissolve",
    response_model=schemas.ClubOut,
    responses=problems(401, 403, 404, 409, 422),
)
async def dissolve_club(
    club_id: ClubId, body: schemas.DissolutionIn, caller: CurrentCaller, session: SessionDep
) -> schemas.ClubOut:
    return club_out(await service.dissolve_club(session, caller, club_id, body))
