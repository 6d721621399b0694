"""Reads of the health service shared by several use cases or routes, including
the locked loads (`SELECT ... FOR UPDATE`) a use case takes before it changes
anything."""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_health.models import Consent, ExerciseSession, HealthCheck, HomeCareVisit, Insurance
from ishc_platform.directory import DirectoryClub, DirectoryMember


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
