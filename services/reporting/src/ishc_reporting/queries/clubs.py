"""Every active club's facts as of a date: from the month's snapshot where one
serves (ADR 0008), with the clubs changed since computed afresh; computed from
the facts otherwise. Both give the same records (a property test holds them
equal on random histories). No access checks here: callers pass the provinces
or clubs they may read."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_platform.clock import today
from ishc_reporting.domain.snapshots import snapshot_serves
from ishc_reporting.domain.targets import Depth
from ishc_reporting.queries import snapshots
from ishc_reporting.queries.facts import ClubRecord, computed_clubs

# Past this many clubs changed since the snapshot (a bulk import, say), computing
# them all from the facts costs less than the snapshot and the changes on top.
RECOMPUTE_ALL_ABOVE = 2_000


async def active_clubs(
    session: AsyncSession,
    *,
    as_of: date,
    period_start: date,
    older_age: int,
    provinces: Collection[str] | None = None,
    club_ids: Collection[str] | None = None,
    depth: Depth = Depth.ALL,
) -> list[ClubRecord]:
    """Clubs active on `as_of` (founded on or before it, not dissolved by it),
    in `provinces` (current codes, where the club is now) when given; see
    `facts.computed_clubs` for `depth`. A snapshot gives every depth."""
    if snapshot_serves(as_of, period_start, today()) and await snapshots.month_built(
        session, as_of, older_age
    ):
        # Changed clubs first: a snapshot rewritten after this read is newer, never older.
        changed = await snapshots.changed_since_snapshot(session, as_of)
        if club_ids is not None:
            changed &= set(club_ids)
        if len(changed) <= RECOMPUTE_ALL_ABOVE:
            kept = await snapshots.snapshot_records(
                session, as_of, older_age, provinces=provinces, club_ids=club_ids,
                leaving_out=changed,
            )  # fmt: skip
            fresh = []
            if changed:
                fresh = await computed_clubs(
                    session, as_of=as_of, period_start=period_start, older_age=older_age,
                    provinces=provinces, club_ids=changed,
                )  # fmt: skip
            return kept + fresh
    return await computed_clubs(
        session, as_of=as_of, period_start=period_start, older_age=older_age,
        provinces=provinces, club_ids=club_ids, depth=depth,
    )  # fmt: skip
