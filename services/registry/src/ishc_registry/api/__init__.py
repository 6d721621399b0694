"""HTTP routes of the registry: they only translate HTTP to the service layer."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Header, Path, Query, Response, UploadFile

from ishc_contracts.people import DEFAULT_OLDER_AGE
from ishc_platform.clock import today
from ishc_platform.deps import CurrentCaller, Cursor, Limit, SessionDep
from ishc_platform.errors import Problem, field_error, invalid
from ishc_platform.pagination import Page
from ishc_platform.validation import CalendarDate
from ishc_registry import imports, schemas, service
from ishc_registry.adapters.spreadsheet import template
from ishc_registry.domain.board import is_complete
from ishc_registry.domain.spreadsheet import MAX_BYTES, SheetKind
from ishc_registry.models import Activity, BoardSeat, Club, Meeting, Member

router = APIRouter(prefix="/v1")
ProvinceCode = Annotated[str | None, Query(pattern=r"^[0-9]{2}$")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Parsed by expected_version, so every bad value is one 422 naming "If-Match".
IfMatch = Annotated[str | None, Header(description='the ETag you read, e.g. "3"')]
ClubId = Annotated[str, Path(pattern=schemas.ID_PATTERN, description="a club's id")]
MemberId = Annotated[str, Path(pattern=schemas.ID_PATTERN, description="a member's id")]
SearchQuery = Annotated[
    schemas.SearchText | None, Query(max_length=100, description="name, accents optional")
]
# Versions are small counters; nine digits keep any ETag inside a 32-bit column.
MAX_VERSION_DIGITS = 9
_ETAG = re.compile(rf'(?:W/)?"?([0-9]{{1,{MAX_VERSION_DIGITS}}})"?')


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    # ASCII digits only, and few: str.isdigit() takes "²" and int() takes any length.
    match = _ETAG.fullmatch(if_match.strip())
    if match is None:
        raise invalid("If-Match", 'If-Match must be one ETag this API sent, e.g. "3"')
    return int(match.group(1))


def club_out(club: Club, composition: object | None = None) -> schemas.ClubOut:
    return schemas.ClubOut(
        id=club.id,
        name=club.name,
        province=club.province,
        commune_code=club.commune_code,
        legacy_commune_code=club.legacy_commune_code,
        hamlet=club.hamlet,
        founded_on=club.founded_on,
        external_id=club.external_id,
        status="dissolved" if club.dissolved_on else "active",
        dissolved_on=club.dissolved_on,
        version=club.version,
        composition=schemas.CompositionOut.model_validate(composition, from_attributes=True)
        if composition is not None
        else None,
    )


def member_out(member: Member) -> schemas.MemberOut:
    return schemas.MemberOut(
        id=member.id,
        club_id=member.club_id,
        province=member.province,
        full_name=member.full_name,
        sex=member.sex,
        birth_year=member.birth_year,
        birth_date=member.birth_date,
        poverty_status=member.poverty_status,
        ethnic_minority=member.ethnic_minority,
        is_volunteer=member.is_volunteer,
        joined_on=member.joined_on,
        left_on=member.left_on,
        external_id=member.external_id,
        erased=member.erased_at is not None,
        version=member.version,
    )


def seat_out(seat: BoardSeat) -> schemas.SeatOut:
    return schemas.SeatOut(
        position=seat.position, member_id=seat.member_id, from_on=seat.from_on, to_on=seat.to_on
    )


# -- clubs ----------------------------------------------------------------------


@router.post("/clubs", status_code=201, tags=["clubs"])
async def register_club(
    body: schemas.ClubIn, caller: CurrentCaller, session: SessionDep, response: Response
) -> schemas.ClubOut:
    """Register a club. Its province comes from its current commune."""
    club = await service.register_club(session, caller, body)
    response.headers["ETag"] = etag(club.version)
    response.headers["Location"] = f"/v1/clubs/{club.id}"
    return club_out(club)


@router.get("/clubs", tags=["clubs"])
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


@router.get("/clubs/{club_id}", tags=["clubs"])
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
    club = await service.load_club(session, caller, club_id)
    composition = await service.composition(session, club, as_of or today(), older_age)
    response.headers["ETag"] = etag(club.version)
    return club_out(club, composition)


@router.patch("/clubs/{club_id}", tags=["clubs"])
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


@router.post("/clubs/{club_id}/relocate", tags=["clubs"])
async def relocate_club(
    club_id: ClubId, body: schemas.RelocationIn, caller: CurrentCaller, session: SessionDep
) -> schemas.ClubOut:
    return club_out(await service.relocate_club(session, caller, club_id, body))


@router.post("/clubs/{club_id}/dissolve", tags=["clubs"])
async def dissolve_club(
    club_id: ClubId, body: schemas.DissolutionIn, caller: CurrentCaller, session: SessionDep
) -> schemas.ClubOut:
    return club_out(await service.dissolve_club(session, caller, club_id, body))


# -- members --------------------------------------------------------------------


@router.post("/clubs/{club_id}/members", status_code=201, tags=["members"])
async def join_member(
    club_id: ClubId,
    body: schemas.MemberIn,
    caller: CurrentCaller,
    session: SessionDep,
    response: Response,
) -> schemas.MemberOut:
    member = await service.join_member(session, caller, club_id, body)
    response.headers["ETag"] = etag(member.version)
    response.headers["Location"] = f"/v1/members/{member.id}"
    return member_out(member)


@router.get("/clubs/{club_id}/members", tags=["members"])
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


@router.get("/members/{member_id}", tags=["members"])
async def read_member(
    member_id: MemberId, caller: CurrentCaller, session: SessionDep, response: Response
) -> schemas.MemberOut:
    member = await service.read_member(session, caller, member_id)
    response.headers["ETag"] = etag(member.version)
    return member_out(member)


@router.patch("/members/{member_id}", tags=["members"])
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


@router.post("/members/{member_id}/leave", tags=["members"])
async def leave(
    member_id: MemberId, body: schemas.LeaveIn, caller: CurrentCaller, session: SessionDep
) -> schemas.MemberOut:
    return member_out(await service.leave_member(session, caller, member_id, body))


@router.post("/members/{member_id}/erase", tags=["members"])
async def erase(
    member_id: MemberId, caller: CurrentCaller, session: SessionDep
) -> schemas.MemberOut:
    """Erase the person's identifying data on request (Law 91/2025/QH15)."""
    return member_out(await service.erase_member(session, caller, member_id))


@router.get("/audit", tags=["members"])
async def audit_log(
    caller: CurrentCaller,
    session: SessionDep,
    province: ProvinceCode = None,
    member_id: Annotated[str | None, Query(pattern=schemas.ID_PATTERN)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.AuditOut]:
    """Who read, exported or erased members' personal data, newest first."""
    entries, next_cursor = await service.audit_log(
        session, caller, province=province, member_id=member_id, limit=limit, cursor=cursor
    )
    return Page(
        items=[schemas.AuditOut.model_validate(e, from_attributes=True) for e in entries],
        next_cursor=next_cursor,
    )


# -- board, meetings, activities ---------------------------------------------------


@router.get("/clubs/{club_id}/board", tags=["board"])
async def read_board(
    club_id: ClubId, caller: CurrentCaller, session: SessionDep, history: bool = False
) -> schemas.BoardOut:
    club = await service.load_club(session, caller, club_id)
    seats = await service.current_seats(session, club.id)
    past = await service.board_history(session, club.id) if history else None
    return schemas.BoardOut(
        club_id=club.id,
        complete=is_complete([(s.position, s.member_id) for s in seats]),
        seats=[seat_out(s) for s in seats],
        history=[seat_out(s) for s in past] if past is not None else None,
    )


@router.put("/clubs/{club_id}/board", tags=["board"])
async def set_board(
    club_id: ClubId, body: schemas.BoardIn, caller: CurrentCaller, session: SessionDep
) -> schemas.BoardOut:
    """Seat the board from `effective_on`; the seats it replaces end that day."""
    seats = await service.set_board(session, caller, club_id, body)
    return schemas.BoardOut(
        club_id=club_id,
        complete=is_complete([(s.position, s.member_id) for s in seats]),
        seats=[seat_out(s) for s in seats],
    )


@router.post("/clubs/{club_id}/meetings", status_code=201, tags=["meetings"])
async def record_meeting(
    club_id: ClubId, body: schemas.MeetingIn, caller: CurrentCaller, session: SessionDep
) -> schemas.MeetingOut:
    meeting = await service.record_meeting(session, caller, club_id, body)
    return schemas.MeetingOut.model_validate(meeting, from_attributes=True)


@router.get("/clubs/{club_id}/meetings", tags=["meetings"])
async def list_meetings(
    club_id: ClubId,
    caller: CurrentCaller,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.MeetingOut]:
    club = await service.load_club(session, caller, club_id)
    rows, next_cursor = await service.list_of(session, Meeting, club.id, "held_on", limit, cursor)
    return Page(
        items=[schemas.MeetingOut.model_validate(r, from_attributes=True) for r in rows],
        next_cursor=next_cursor,
    )


@router.post("/clubs/{club_id}/activities", status_code=201, tags=["activities"])
async def record_activity(
    club_id: ClubId, body: schemas.ActivityIn, caller: CurrentCaller, session: SessionDep
) -> schemas.ActivityOut:
    activity = await service.record_activity(session, caller, club_id, body)
    return schemas.ActivityOut.model_validate(activity, from_attributes=True)


@router.get("/clubs/{club_id}/activities", tags=["activities"])
async def list_activities(
    club_id: ClubId,
    caller: CurrentCaller,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.ActivityOut]:
    club = await service.load_club(session, caller, club_id)
    rows, next_cursor = await service.list_of(session, Activity, club.id, "held_on", limit, cursor)
    return Page(
        items=[schemas.ActivityOut.model_validate(r, from_attributes=True) for r in rows],
        next_cursor=next_cursor,
    )


# -- imports --------------------------------------------------------------------


@router.post("/imports", tags=["imports"])
async def import_spreadsheet(
    caller: CurrentCaller,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="CSV or XLSX, Vietnamese or English headers")],
    kind: Annotated[SheetKind, Form(description="clubs or members")],
    club_id: Annotated[
        str | None, Form(pattern=schemas.ID_PATTERN, description="the club of every member row")
    ] = None,
    dry_run: Annotated[bool, Form(description="check only; report every bad row")] = False,
) -> schemas.ImportReport:
    """Import clubs or members: all or nothing, re-runnable by `external_id`."""
    content = await file.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise Problem(
            413,
            f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB",
            kind="file-too-large",
            errors=[field_error("file", "too large")],
        )
    return await imports.import_sheet(
        session,
        caller,
        content=content,
        filename=file.filename,
        kind=kind,
        club_id=club_id,
        dry_run=dry_run,
    )


@router.get("/imports/templates/{kind}.xlsx", tags=["imports"])
async def import_template(
    kind: SheetKind, caller: CurrentCaller, language: Literal["vi", "en"] = "vi"
) -> Response:
    """A spreadsheet to fill in, with the headers the import reads."""
    return Response(
        template(kind, language),
        media_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="ishc-{kind.value}-{language}.xlsx"'
        },
    )
