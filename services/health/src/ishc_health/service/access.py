"""The clubs and members a caller may read or write: each checked through the
policy; those to write are taken under the club's lock until commit."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_health import queries
from ishc_health.service import policy
from ishc_platform.auth import Caller
from ishc_platform.directory import DirectoryClub, DirectoryMember
from ishc_platform.errors import not_found


async def club_for_read(session: AsyncSession, caller: Caller, club_id: str) -> DirectoryClub:
    """A club whose counts the caller may read; 404 for one of another province,
    and for one the registry's events have not brought here yet."""
    policy.require_reader_of_club_counts(caller)
    club = await queries.club(session, club_id)
    if club is None:
        raise not_found("club")
    policy.ensure_visible(caller, club.province, "club")
    return club


async def club_for_write(
    session: AsyncSession, caller: Caller, club_id: str, what: str
) -> DirectoryClub:
    """The club, locked until commit (SELECT … FOR UPDATE on PostgreSQL; SQLite's
    BEGIN IMMEDIATE serialises writers): every write of the club's health records
    takes this one lock first, so its checks and the change are one step."""
    policy.require_province_token(caller, what)
    club = await queries.club(session, club_id, lock=True)
    if club is None:
        raise not_found("club")
    policy.ensure_visible(caller, club.province, "club")
    return club


async def member_for_read(
    session: AsyncSession, caller: Caller, member_id: str, what: str
) -> DirectoryMember:
    """A member whose health data the caller may read: province tokens of the
    member's province only."""
    policy.require_province_token(caller, what)
    member = await queries.member(session, member_id)
    if member is None:
        raise not_found("member")
    club = await queries.club(session, member.club_id)
    policy.ensure_visible(caller, club.province if club else member.province, "member")
    return member


async def member_for_write(
    session: AsyncSession, caller: Caller, member_id: str, what: str
) -> tuple[DirectoryMember, DirectoryClub]:
    """The member, with their club locked first (`club_for_write`)."""
    member = await member_for_read(session, caller, member_id, what)
    club = await queries.club(session, member.club_id, lock=True)
    if club is None:
        raise not_found("member")
    policy.ensure_visible(caller, club.province, "member")
    return member, club
