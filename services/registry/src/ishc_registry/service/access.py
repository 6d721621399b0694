"""The records a caller may read or write: each checked through the policy,
those to write locked until commit."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_platform.auth import Caller
from ishc_platform.errors import not_found
from ishc_registry import queries
from ishc_registry.models import Club, Member
from ishc_registry.service import policy


async def load_club(session: AsyncSession, caller: Caller, club_id: str) -> Club:
    """A club the caller may see; 404 for one of another province."""
    policy.require_reader_of_clubs(caller)
    club = await queries.club(session, club_id)
    if club is None:
        raise not_found("club")
    policy.ensure_visible(caller, club.province, "club")
    return club


async def club_for_write(session: AsyncSession, caller: Caller, club_id: str, what: str) -> Club:
    """The club, locked until commit: its checks and the change they guard are
    one step (SELECT … FOR UPDATE on PostgreSQL, where replicas and requests
    write at once; SQLite's BEGIN IMMEDIATE already serialises writers).
    Every write that reads the club, or records an event of the club, takes it."""
    policy.require_province_token(caller, what)
    club = await queries.club(session, club_id, lock=True)
    if club is None:
        raise not_found("club")
    policy.ensure_visible(caller, club.province, "club")
    return club


async def member_for(session: AsyncSession, caller: Caller, member_id: str, what: str) -> Member:
    policy.require_province_token(caller, what)
    member = await queries.member(session, member_id)
    if member is None:
        raise not_found("member")
    policy.ensure_visible(caller, member.province, "member")
    return member


async def member_for_write(
    session: AsyncSession, caller: Caller, member_id: str, what: str, *, with_club: bool = False
) -> Member:
    """The member, locked until commit (as `club_for_write` does for clubs).
    `with_club` locks the club first, for writes that record an event of the
    club (a board change): the same order as dissolution, so neither deadlocks."""
    member = await member_for(session, caller, member_id, what)
    if with_club:
        await queries.club(session, member.club_id, lock=True)
    locked = await queries.member(session, member_id, lock=True)
    if locked is None:
        raise not_found("member")
    policy.ensure_visible(caller, locked.province, "member")  # it may have moved meanwhile
    return locked
