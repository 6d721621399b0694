"""Reads of the health service shared by several use cases or routes, including
the locked loads (`SELECT ... FOR UPDATE`) a use case takes before it changes
anything."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts.tallies import HEALTH_TALLIES
from ishc_health.models import Consent, ExerciseSession, HealthCheck, HomeCareVisit, Insurance
from ishc_platform.directory import DirectoryClub, DirectoryMember
from ishc_platform.reconciliation import (
    Tally,
    TallyScope,
    add_counts,
    directory_clubs,
    tally,
)


async def club(session: AsyncSession, club_id: str, *, lock: bool = False) -> DirectoryClub | None:
    query = select(DirectoryClub).where(DirectoryClub.club_id == club_id)
    if lock:
        query = query.with_for_update()
    return (await session.exec(query)).first()


async def member(session: AsyncSession, member_id: str) -> DirectoryMember | None:
    return await session.get(DirectoryMember, member_id)


_RECORDS: tuple[Any, ...] = (ExerciseSession, HomeCareVisit, Insurance, Consent, HealthCheck)
"""The kinds of record a POST answers with, each with the `club_id` it belongs to."""


async def record_province(session: AsyncSession, record_id: str) -> str | None:
    """Where a record lives now: its club's province (None: no such record). The
    platform's idempotency replays ask it, so a stored answer goes only to a
    token that may still see the record."""
    for model in _RECORDS:
        club_id = await session.scalar(select(model.club_id).where(model.id == record_id))
        if club_id is not None:
            found = await club(session, club_id)
            return found.province if found is not None else None
    return None


# -- reconciliation (ishc_platform.reconciliation) ----------------------------------

RECONCILIATION_TALLIES = HEALTH_TALLIES


async def club_tallies(session: AsyncSession, scope: TallyScope) -> list[Tally]:
    """Per club of the scope (every club the directory knows), its health tallies
    (`RECONCILIATION_TALLIES`) of what was created by `scope.as_of`."""
    clubs = await directory_clubs(session, scope)
    ids = [club_id for club_id, _ in clubs]
    found: dict[str, dict[str, int]] = {}
    if ids:
        for model, names in (
            (HealthCheck, ("health_checks",)),
            (HomeCareVisit, ("home_care_visits",)),
            (Insurance, ("insurance",)),
        ):
            query = (
                select(model.club_id, func.count())
                .where(col(model.club_id).in_(ids), col(model.created_at) <= scope.as_of)
                .group_by(col(model.club_id))
            )
            add_counts(found, (await session.exec(query)).all(), *names)
        sessions = (
            select(ExerciseSession.club_id, func.count(), func.sum(ExerciseSession.participants))
            .where(
                col(ExerciseSession.club_id).in_(ids),
                col(ExerciseSession.created_at) <= scope.as_of,
            )
            .group_by(col(ExerciseSession.club_id))
        )
        add_counts(
            found,
            (await session.exec(sessions)).all(),
            "exercise_sessions",
            "exercise_participants",
        )
    return [
        tally(club_id, province, RECONCILIATION_TALLIES, **found.get(club_id, {}))
        for club_id, province in clubs
    ]
