"""HTTP routes of a club's board, meetings and activities: they only translate
HTTP to `service.board`."""

from __future__ import annotations

from fastapi import APIRouter

from ishc_platform.deps import CurrentCaller, Cursor, Limit, SessionDep
from ishc_platform.errors import problems
from ishc_platform.pagination import Page
from ishc_registry import schemas
from ishc_registry.api.http import ClubId, page_of, seat_out
from ishc_registry.service import board as service

router = APIRouter(prefix="/v1")


def board_out(board: service.Board) -> schemas.BoardOut:
    return schemas.BoardOut(
        club_id=board.club_id,
        complete=board.complete,
        seats=[seat_out(s) for s in board.seats],
        history=[seat_out(s) for s in board.history] if board.history is not None else None,
    )


@router.get(
    "/clubs/{club_id}/board",
    tags=["board"],
    response_model=schemas.BoardOut,
    responses=problems(401, 403, 404, 422),
)
async def read_board(
    club_id: ClubId, caller: CurrentCaller, session: SessionDep, history: bool = False
) -> schemas.BoardOut:
    return board_out(await service.read_board(session, caller, club_id, history=history))


@router.put(
    "/clubs/{club_id}/board",
    tags=["board"],
    response_model=schemas.BoardOut,
    responses=problems(401, 403, 404, 409, 422),
)
async def set_board(
    club_id: ClubId, body: schemas.BoardIn, caller: CurrentCaller, session: SessionDep
) -> schemas.BoardOut:
    """Seat the board from `effective_on`; the seats it replaces end that day."""
    return board_out(await service.set_board(session, caller, club_id, body))


@router.post(
    "/clubs/{club_id}/meetings",
    status_code=201,
    tags=["meetings"],
    response_model=schemas.MeetingOut,
    responses=problems(401, 403, 404, 409, 422),
)
async def record_meeting(
    club_id: ClubId, body: schemas.MeetingIn, caller: CurrentCaller, session: SessionDep
) -> schemas.MeetingOut:
    meeting = await service.record_meeting(session, caller, club_id, body)
    return schemas.MeetingOut.model_validate(meeting, from_attributes=True)


@router.get(
    "/clubs/{club_id}/meetings",
    tags=["meetings"],
    response_model=Page[schemas.MeetingOut],
    responses=problems(401, 403, 404, 422),
)
async def list_meetings(
    club_id: ClubId,
    caller: CurrentCaller,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.MeetingOut]:
    rows, next_cursor = await service.list_meetings(session, caller, club_id, limit, cursor)
    return page_of(schemas.MeetingOut, rows, next_cursor)


@router.post(
    "/clubs/{club_id}/activities",
    status_code=201,
    tags=["activities"],
    response_model=schemas.ActivityOut,
    responses=problems(401, 403, 404, 409, 422),
)
async def record_activity(
    club_id: ClubId, body: schemas.ActivityIn, caller: CurrentCaller, session: SessionDep
) -> schemas.ActivityOut:
    activity = await service.record_activity(session, caller, club_id, body)
    return schemas.ActivityOut.model_validate(activity, from_attributes=True)


@router.get(
    "/clubs/{club_id}/activities",
    tags=["activities"],
    response_model=Page[schemas.ActivityOut],
    responses=problems(401, 403, 404, 422),
)
async def list_activities(
    club_id: ClubId,
    caller: CurrentCaller,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.ActivityOut]:
    rows, next_cursor = await service.list_activities(session, caller, club_id, limit, cursor)
    return page_of(schemas.ActivityOut, rows, next_cursor)
