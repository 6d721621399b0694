"""Use cases of a club's board, meetings and activities."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts.registry_events import BoardPosition
from ishc_platform.auth import Caller
from ishc_platform.clock import today, utcnow
from ishc_platform.errors import conflict
from ishc_registry import queries, schemas
from ishc_registry.domain import board as board_rules
from ishc_registry.domain import clubs as club_rules
from ishc_registry.domain import events, people
from ishc_registry.models import Activity, BoardSeat, Club, Meeting
from ishc_registry.service.access import club_for_write, load_club
from ishc_registry.service.writes import (
    ensure_unique_external_id,
    new_id,
    publish,
    raise_first,
    unique_or_conflict,
)


@dataclass(frozen=True)
class Board:
    """A club's board now, whether it is complete, and (when asked) every seat it had."""

    club_id: str
    seats: Sequence[BoardSeat]
    history: Sequence[BoardSeat] | None = None

    @property
    def complete(self) -> bool:
        return board_rules.is_complete(_pairs(self.seats))


def _pairs(seats: Sequence[BoardSeat]) -> list[tuple[BoardPosition, str]]:
    return [(BoardPosition(s.position), s.member_id) for s in seats]


async def board_changed(session: AsyncSession, club_id: str, province: str, on: date) -> None:
    """Record the board as it now stands (`board.changed`); the club is locked."""
    await session.flush()
    pairs = _pairs(await queries.current_seats(session, club_id))
    await publish(
        session,
        club_id,
        province,
        events.board_changed(club_id, on, pairs, board_rules.is_complete(pairs)),
    )


async def read_board(
    session: AsyncSession, caller: Caller, club_id: str, *, history: bool
) -> Board:
    club = await load_club(session, caller, club_id)
    return Board(
        club_id=club.id,
        seats=await queries.current_seats(session, club.id),
        history=await queries.board_history(session, club.id) if history else None,
    )


async def set_board(
    session: AsyncSession, caller: Caller, club_id: str, data: schemas.BoardIn
) -> Board:
    """Seat the board from `effective_on`; the seats it replaces end that day."""
    club = await club_for_write(session, caller, club_id, "changing the board")
    if club.dissolved_on is not None:
        raise conflict("club_id", club_rules.dissolved_message(club.dissolved_on))
    raise_first(club_rules.not_in_future(data.effective_on, "effective_on", today()))
    members = await queries.club_members(session, club.id)
    current = {
        m.id for m in members if people.is_member_on(queries.as_person(m), data.effective_on)
    }
    proposed = [(s.position, s.member_id) for s in data.seats]
    raise_first(board_rules.board_problems(proposed, current))
    for seat in await queries.current_seats(session, club.id):
        seat.to_on = data.effective_on
        session.add(seat)
    for position, member_id in proposed:
        session.add(
            BoardSeat(
                club_id=club.id, member_id=member_id, position=position, from_on=data.effective_on
            )
        )
    await board_changed(session, club.id, club.province, data.effective_on)
    await session.commit()
    return Board(club_id=club_id, seats=await queries.current_seats(session, club.id))


async def _writable_club_on(
    session: AsyncSession, caller: Caller, club_id: str, held_on: date, what: str
) -> Club:
    """The club, locked, when something it did on `held_on` can be recorded."""
    club = await club_for_write(session, caller, club_id, what)
    raise_first(
        club_rules.happened_problems(
            held_on,
            "held_on",
            founded_on=club.founded_on,
            dissolved_on=club.dissolved_on,
            today=today(),
        )
    )
    return club


async def _insert_held[T: (Meeting, Activity)](
    session: AsyncSession, club: Club, model: type[T], data: schemas.MeetingIn | schemas.ActivityIn
) -> T:
    """A meeting or activity of the club, with its event, committed; a key
    taken meanwhile is the 409 the look-up gives."""
    province, external_id = club.province, data.external_id
    await ensure_unique_external_id(session, model, province, external_id)
    async with unique_or_conflict(
        session, lambda: ensure_unique_external_id(session, model, province, external_id)
    ):
        record = model(
            id=new_id(),
            club_id=club.id,
            province=province,
            created_at=utcnow(),
            **data.model_dump(),
        )
        session.add(record)
        payload = (
            events.meeting_held(record)
            if isinstance(record, Meeting)
            else events.activity_held(record)
        )
        await publish(session, record.id, province, payload, new_aggregate=True)
        await session.commit()
    return record


async def record_meeting(
    session: AsyncSession, caller: Caller, club_id: str, data: schemas.MeetingIn
) -> Meeting:
    club = await _writable_club_on(session, caller, club_id, data.held_on, "recording a meeting")
    raise_first(
        club_rules.hardship_problems(data.hardship_cases_chosen, data.hardship_cases_supported)
    )
    return await _insert_held(session, club, Meeting, data)


async def record_activity(
    session: AsyncSession, caller: Caller, club_id: str, data: schemas.ActivityIn
) -> Activity:
    club = await _writable_club_on(session, caller, club_id, data.held_on, "recording an activity")
    return await _insert_held(session, club, Activity, data)


async def list_meetings(
    session: AsyncSession, caller: Caller, club_id: str, limit: int, cursor: str | None
) -> tuple[list[Meeting], str | None]:
    club = await load_club(session, caller, club_id)
    return await queries.held_page(session, Meeting, club.id, limit, cursor)


async def list_activities(
    session: AsyncSession, caller: Caller, club_id: str, limit: int, cursor: str | None
) -> tuple[list[Activity], str | None]:
    club = await load_club(session, caller, club_id)
    return await queries.held_page(session, Activity, club.id, limit, cursor)
