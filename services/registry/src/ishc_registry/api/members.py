"""HTTP routes of members: they only translate HTTP to `service.members`."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response

from ishc_platform.deps import CurrentCaller, Cursor, Limit, SessionDep
from ishc_platform.errors import problems
from ishc_platform.pagination import Page
from ishc_registry import schemas
from ishc_registry.api.http import (
    ClubId,
    IfMatch,
    MemberId,
    SearchQuery,
    created,
    etag,
    expected_version,
    member_out,
)
from ishc_registry.service import members as service

router = APIRouter(prefix="/v1", tags=["members"])


@router.post(
    "/clubs/{club_id}/members",
    status_code=201,
    response_model=schemas.MemberOut,
    responses=problems(401, 403, 404, 409, 422),
)
async def join_member(
    club_id: ClubId,
    body: schemas.MemberIn,
    caller: CurrentCaller,
    session: SessionDep,
    response: Response,
) -> schemas.MemberOut:
    member = await service.join_member(session, caller, club_id, body)
    created(response, member.version, f"/v1/members/{member.id}")
    return member_out(member)


@router.get(
    "/clubs/{club_id}/members",
    response_model=Page[schemas.MemberOut],
    responses=problems(401, 403, 404, 422),
)
async def list_members(
    club_id: ClubId,
    caller: CurrentCaller,
    session: SessionDep,
    status: Literal["active", "left", "all"] = "active",
    q: SearchQuery = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.MemberOut]:
    members, next_cursor = await service.list_members(
        session, caller, club_id, status=status, q=q, limit=limit, cursor=cursor
    )
    return Page(items=[member_out(m) for m in members], next_cursor=next_cursor)


@router.get(
    "/members/{member_id}",
    response_model=schemas.MemberOut,
    responses=problems(401, 403, 404, 422),
)
async def read_member(
    member_id: MemberId, caller: CurrentCaller, session: SessionDep, response: Response
) -> schemas.MemberOut:
    member = await service.read_member(session, caller, member_id)
    response.headers["ETag"] = etag(member.version)
    return member_out(member)


@router.patch(
    "/members/{member_id}",
    response_model=schemas.MemberOut,
    responses=problems(401, 403, 404, 409, 412, 422, 428),
)
async def update_member(
    member_id: MemberId,
    body: schemas.MemberPatch,
    caller: CurrentCaller,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> schemas.MemberOut:
    member = await service.update_member(
        session, caller, member_id, body, expected_version(if_match)
    )
    response.headers["ETag"] = etag(member.version)
    return member_out(member)


@router.post(
    "/members/{member_id}/leave",
    response_model=schemas.MemberOut,
    responses=problems(401, 403, 404, 409, 422),
)
async def leave(
    member_id: MemberId, body: schemas.LeaveIn, caller: CurrentCaller, session: SessionDep
) -> schemas.MemberOut:
    return member_out(await service.leave_member(session, caller, member_id, body))


@router.post(
    "/members/{member_id}/erase",
    response_model=schemas.MemberOut,
    responses=problems(401, 403, 404, 422),
)
async def erase(
    member_id: MemberId, caller: CurrentCaller, session: SessionDep
) -> schemas.MemberOut:
    """Erase the person's identifying data on request (Law 91/2025/QH15)."""
    return member_out(await service.erase_member(session, caller, member_id))
