"""Reconciliation: what each source service holds, per club, of what reporting
projects from its events, so an operator can check the projections over HTTP
(services never read each other's databases).

A *tally* is one club's counts and sums, by name, integers only and nothing
personal: e.g. the registry's `meetings` and `meeting_attendance`, finance's
`loans` and `loans_disbursed_vnd`. Each source service serves its tallies at
`GET /v1/reconciliation/clubs` (this module's `reconciliation_router`, with the
query in the service's own `queries.py`); reporting computes the same tallies
from its projections and compares (`ishc-reporting reconcile`). A tally differs
when an event was lost, or applied twice.

Counts are of what was committed by `as_of` (an instant, default now): a
record created after it is left out, so the pages of one listing agree with
each other even while the service keeps writing (the cursor carries `as_of`).
States a record changes later (a member who left, a club dissolved) are counted
as they are now.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, create_model
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_platform.auth import Caller, Role, require_role
from ishc_platform.clock import utcnow
from ishc_platform.deps import Cursor, Limit, SessionDep
from ishc_platform.directory import DirectoryClub
from ishc_platform.errors import invalid
from ishc_platform.pagination import decode_cursor, encode_cursor

PATH = "/v1/reconciliation/clubs"
PROVINCE_PATTERN = r"^[0-9]{2}$"
Reconciler = Annotated[Caller, require_role(Role.OPS, Role.SERVICE)]
"""Reads tallies: ops tokens (an operator) and service tokens (another service)."""


class Tally(BaseModel):
    """One club's counts and sums held by one source service."""

    club_id: str = Field(description="the club's id (a UUID)")
    province: str = Field(description="the club's province now (2 digits)")
    counts: dict[str, int] = Field(description="named counts and sums, integers only")


class TallyPage(BaseModel):
    items: list[Tally]
    next_cursor: str | None = None
    as_of: datetime = Field(description="the instant counted up to (UTC)")


@dataclass(frozen=True)
class TallyScope:
    """Which clubs a page reads: those after `after` (by id, at most `limit`), in
    `province` (None: every one), counting what was created by `as_of` (UTC)."""

    as_of: datetime
    province: str | None
    after: str | None
    limit: int


TallyReader = Callable[[AsyncSession, TallyScope], Awaitable[Sequence[Tally]]]
"""A service's tally query (in its `queries.py`): the clubs of the scope in id
order, each with every one of the service's tally names."""


def reconciliation_router(service: str, names: Sequence[str], read: TallyReader) -> APIRouter:
    """`GET /v1/reconciliation/clubs` for a source service whose tallies are
    `names` (documented one by one in its OpenAPI), read by `read`."""
    title = service.capitalize()
    fields: dict[str, Any] = {
        name: (int, Field(description=f"{service}: {name}")) for name in names
    }
    counts_model: Any = create_model(f"{title}TallyCounts", **fields)
    item_model: Any = create_model(
        f"{title}ClubTally",
        __base__=Tally,
        counts=(counts_model, ...),
    )
    page_model: Any = create_model(
        f"{title}TallyPage", __base__=TallyPage, items=(list[item_model], ...)
    )
    router = APIRouter(tags=["reconciliation"])

    @router.get(PATH, response_model=page_model)
    async def club_tallies(
        _caller: Reconciler,
        session: SessionDep,
        province: Annotated[
            str | None,
            Query(pattern=PROVINCE_PATTERN, description="only clubs of this province (2 digits)"),
        ] = None,
        as_of: Annotated[
            datetime | None,
            Query(
                description="count what was committed by this instant (ISO, with its offset); "
                "default now. A cursor carries the first page's."
            ),
        ] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> dict[str, Any]:
        """Per club, this service's counts and sums of what reporting projects from
        its events, for `ishc-reporting reconcile` (ops and service tokens)."""
        scope = _scope(province, as_of, limit, cursor)
        rows = list(await read(session, scope))
        more = len(rows) > limit
        page = rows[:limit]
        next_cursor = (
            encode_cursor({"after": page[-1].club_id, "as_of": scope.as_of.isoformat()})
            if more and page
            else None
        )
        return {
            "items": [row.model_dump() for row in page],
            "next_cursor": next_cursor,
            "as_of": scope.as_of,
        }

    return router


def _scope(
    province: str | None, as_of: datetime | None, limit: int, cursor: str | None
) -> TallyScope:
    requested = _utc("as_of", as_of) if as_of is not None else None
    position = decode_cursor(cursor, {"after", "as_of"})
    after = None
    if position is not None:
        try:
            carried = _utc("cursor", datetime.fromisoformat(position["as_of"]))
        except ValueError:
            raise invalid("cursor", "the cursor is not one this API returned") from None
        if requested is not None and requested != carried:
            raise invalid("as_of", "a cursor continues its first page's as_of: leave as_of out")
        requested, after = carried, position["after"]
    # One more row than the page says whether another page follows.
    return TallyScope(
        as_of=requested or utcnow().astimezone(UTC), province=province, after=after, limit=limit + 1
    )


def _utc(field: str, instant: datetime) -> datetime:
    """The instant in UTC; a 422 naming `field` when it has no offset or leaves
    the calendar in UTC (0001-01-01T00:00:00+01:00)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        if field == "cursor":
            raise invalid(field, "the cursor is not one this API returned")
        raise invalid(field, "give the instant with its offset, e.g. 2026-12-01T00:00:00+07:00")
    try:
        return instant.astimezone(UTC)
    except OverflowError:
        raise invalid(field, "the instant is out of range") from None


def tally(club_id: str, province: str, names: Sequence[str], **found: int) -> Tally:
    """A club's tally with every name (zero where nothing was found)."""
    return Tally(
        club_id=club_id,
        province=province,
        counts={name: int(found.get(name) or 0) for name in names},
    )


def add_counts(
    into: dict[str, dict[str, int]], rows: Any, *names: str
) -> dict[str, dict[str, int]]:
    """Fold grouped rows `(club_id, value, value, …)` into per-club counts under
    `names` (a `None` sum of no rows is 0)."""
    for club_id, *values in rows:
        counts = into.setdefault(club_id, {})
        for name, value in zip(names, values, strict=True):
            counts[name] = counts.get(name, 0) + int(value or 0)
    return into


async def directory_clubs(session: AsyncSession, scope: TallyScope) -> list[tuple[str, str]]:
    """The clubs of the scope as a service's directory knows them, `(id,
    province)` in id order: finance and health tally every club they know (a
    club with no record tallies zeros), since no record is taken for a club
    they do not know."""
    query = select(DirectoryClub.club_id, DirectoryClub.province)
    if scope.province is not None:
        query = query.where(DirectoryClub.province == scope.province)
    if scope.after is not None:
        query = query.where(DirectoryClub.club_id > scope.after)
    query = query.order_by(col(DirectoryClub.club_id)).limit(scope.limit)
    return [(club_id, province) for club_id, province in (await session.exec(query)).all()]
