"""Reads of the health service shared by several use cases or routes, including
the locked loads (`SELECT ... FOR UPDATE`) a use case takes before it changes
anything."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_platform.directory import DirectoryClub, DirectoryMember


async def club(session: AsyncSession, club_id: str, *, lock: bool = False) -> DirectoryClub | None:
    query = select(DirectoryClub).where(DirectoryClub.club_id == club_id)
    if lock:
        query = query.with_for_update()
    return (await session.exec(query)).first()


async def member(session: AsyncSession, member_id: str) -> DirectoryMember | None:
    return await session.get(DirectoryMember, member_id)
