"""Use cases of a club's exercise sessions (dưỡng sinh): record one, list them,
and judge a period against the rule of at least 3 sessions a week.

Sessions are counts, not anyone's health data: national tokens read them too;
only province tokens of the club's province record them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts.health_events import ExerciseSessionHeld
from ishc_health import schemas
from ishc_health.domain import activities
from ishc_health.models import ExerciseSession
from ishc_health.service.access import club_for_read, club_for_write
from ishc_health.service.writes import new_id
from ishc_platform.auth import Caller
from ishc_platform.clock import today, utcnow
from ishc_platform.db import is_unique_violation
from ishc_platform.directory import DirectoryClub, DirectoryMember
from ishc_platform.errors import conflict, invalid
from ishc_platform.outbox import publish
from ishc_platform.pagination import decode_cursor, keyset


@dataclass(frozen=True)
class Summary:
    club: DirectoryClub
    date_from: date
    date_to: date
    rate: activities.ExerciseRate


# -- shared by the club's activities (sessions and visits) ------------------------------


def after_date(cursor: str | None, key: str) -> tuple[date, str] | None:
    """The (date, id) position a cursor of a list in date order holds."""
    position = decode_cursor(cursor, {key, "after"})
    if position is None:
        return None
    try:
        return date.fromisoformat(position[key]), position["after"]
    except ValueError:
        raise invalid("cursor", "the cursor is not one this API returned") from None


async def ensure_key_free(
    session: AsyncSession, model: Any, province: str, external_id: str | None
) -> None:
    """409 naming `external_id` when a record of the kind holds it in the province."""
    if external_id is None:
        return
    holder = await session.scalar(
        select(model.id)
        .join(DirectoryClub, col(DirectoryClub.club_id) == col(model.club_id))
        .where(DirectoryClub.province == province, model.external_id == external_id)
    )
    if holder is not None:
        raise conflict(
            "external_id",
            f"external_id {external_id!r} is taken in province {province}",
            existing_id=holder,
        )


async def recheck_key_on_race(
    session: AsyncSession, exc: IntegrityError, model: Any, province: str, external_id: str | None
) -> None:
    """A lost race for the key answers what the check answers (409), not a 500."""
    if is_unique_violation(exc):
        await session.rollback()
        await ensure_key_free(session, model, province, external_id)


async def record_session(
    session: AsyncSession, caller: Caller, club_id: str, data: schemas.ExerciseSessionIn
) -> tuple[ExerciseSession, DirectoryClub]:
    """A session held on `held_on` with its participants, and its event."""
    club = await club_for_write(session, caller, club_id, "recording an exercise session")
    club_key, province = club.club_id, club.province
    activities.check_club_date(
        data.held_on,
        "held_on",
        today=today(),
        founded_on=club.founded_on,
        dissolved_on=club.dissolved_on,
    )
    members = (
        await session.exec(select(DirectoryMember).where(DirectoryMember.club_id == club_key))
    ).all()
    activities.check_participants(
        data.participants, activities.active_members_on(members, data.held_on), data.held_on
    )
    await ensure_key_free(session, ExerciseSession, province, data.external_id)
    row = ExerciseSession(
        id=new_id(),
        club_id=club_key,
        held_on=data.held_on,
        participants=data.participants,
        external_id=data.external_id,
        created_at=utcnow(),
    )
    try:
        session.add(row)
        await publish(
            session,
            club_key,
            province,
            ExerciseSessionHeld(
                session_id=row.id,
                club_id=club_key,
                held_on=data.held_on,
                participants=data.participants,
            ),
        )
        await session.commit()
    except IntegrityError as exc:
        await recheck_key_on_race(session, exc, ExerciseSession, province, data.external_id)
        raise
    return row, club


async def list_sessions(
    session: AsyncSession,
    caller: Caller,
    club_id: str,
    *,
    date_from: date | None,
    date_to: date | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[ExerciseSession], str | None, DirectoryClub]:
    """The club's sessions in date order (then id), within `date_from`..`date_to`."""
    club = await club_for_read(session, caller, club_id)
    query = select(ExerciseSession).where(ExerciseSession.club_id == club.club_id)
    if date_from is not None:
        query = query.where(col(ExerciseSession.held_on) >= date_from)
    if date_to is not None:
        query = query.where(col(ExerciseSession.held_on) <= date_to)
    position = after_date(cursor, "held_on")
    if position is not None:
        on, after = position
        query = query.where(
            or_(
                col(ExerciseSession.held_on) > on,
                and_(col(ExerciseSession.held_on) == on, col(ExerciseSession.id) > after),
            )
        )
    rows = (
        await session.exec(
            query.order_by(col(ExerciseSession.held_on), col(ExerciseSession.id)).limit(limit + 1)
        )
    ).all()
    page, next_cursor = keyset(
        rows, limit, lambda r: {"held_on": r.held_on.isoformat(), "after": r.id}
    )
    return page, next_cursor, club


async def summary(
    session: AsyncSession,
    caller: Caller,
    club_id: str,
    *,
    date_from: date | None,
    date_to: date | None,
) -> Summary:
    """Sessions over the period (the last 12 months by default) against the weeks
    the club was active in it."""
    club = await club_for_read(session, caller, club_id)
    start, end = activities.default_period(date_to, date_from, today())
    held = (
        await session.exec(
            select(col(ExerciseSession.held_on), col(ExerciseSession.participants)).where(
                ExerciseSession.club_id == club.club_id,
                col(ExerciseSession.held_on) >= start,
                col(ExerciseSession.held_on) <= end,
            )
        )
    ).all()
    rate = activities.exercise_rate(
        [(on, people) for on, people in held],
        start,
        end,
        founded_on=club.founded_on,
        dissolved_on=club.dissolved_on,
        today=today(),
    )
    return Summary(club, start, end, rate)
