"""Reading indicators: each use case checks the caller (`policy`), then reads
the projection for what it may see (`queries`)."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_platform.auth import Caller
from ishc_platform.errors import not_found
from ishc_reporting import queries
from ishc_reporting.domain import placement
from ishc_reporting.queries import Query, make_query
from ishc_reporting.service import policy

__all__ = [
    "Query",
    "club_detail",
    "commune_detail",
    "make_query",
    "national",
    "province_detail",
    "province_table",
    "rollout",
]


async def province_table(session: AsyncSession, caller: Caller, q: Query) -> dict[str, Any]:
    """Every province the caller may see, one row each, with its plan's targets."""
    provinces = policy.readable_provinces(caller)
    return await queries.province_table_unchecked(session, q, provinces)


async def national(session: AsyncSession, caller: Caller, q: Query) -> dict[str, Any]:
    policy.require_national(caller)
    return await queries.national_unchecked(session, q)


async def province_detail(
    session: AsyncSession, caller: Caller, code: str, q: Query
) -> dict[str, Any]:
    policy.ensure_province_visible(caller, code, q.boundary, "province")
    return await queries.province_detail_unchecked(session, code, q)


async def commune_detail(
    session: AsyncSession, caller: Caller, code: str, q: Query
) -> dict[str, Any]:
    policy.require_reader(caller)
    unit = placement.commune_unit(code, q.boundary)
    if unit is None:
        raise not_found("commune")
    policy.ensure_province_visible(caller, unit.province_code, q.boundary, "commune")
    return await queries.commune_detail_unchecked(session, code, q)


async def club_detail(
    session: AsyncSession, caller: Caller, club_id: str, q: Query
) -> dict[str, Any]:
    policy.require_reader(caller)
    club = await queries.club_fact(session, club_id)
    policy.ensure_club_visible(caller, club)
    # `club` held here keeps it in the session's (weak) identity map: the
    # query's own lookup of it costs no second round trip.
    return await queries.club_detail_unchecked(session, club_id, q)


async def rollout(session: AsyncSession, caller: Caller) -> dict[str, Any]:
    """Where each province the caller may see stands in its rollout."""
    return await queries.rollout_unchecked(session, policy.readable_provinces(caller))
