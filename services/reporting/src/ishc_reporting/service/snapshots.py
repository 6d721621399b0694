"""Keeping the monthly club snapshots (ADR 0008): rewrite what changes have
made stale, build the months not built yet, newest first, then measure their
trend shares. Each month is a transaction of its own, so the projection's
writers never wait long on it; one process writes at a time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts.people import DEFAULT_OLDER_AGE
from ishc_platform.clock import today
from ishc_platform.db import Database
from ishc_reporting.adapters import snapshot_store
from ishc_reporting.domain.indicators import default_period_start
from ishc_reporting.domain.snapshots import last_complete_month_end, month_ends
from ishc_reporting.queries import snapshots
from ishc_reporting.queries.facts import computed_clubs
from ishc_reporting.queries.indicators import load_plans, month_rollups, plans_fingerprint
from ishc_reporting.queries.trends import month_share_points
from ishc_reporting.queries.warm import not_kept

CLUBS_A_ROUND = 500  # changed clubs rewritten per transaction


@dataclass
class SnapshotWork:
    """What one round did, and what is left."""

    club_months_rewritten: int = 0
    months_built: list[tuple[date, int]] = field(default_factory=list)
    months_missing: int = 0
    trend_months_measured: int = 0
    trend_months_missing: int = 0
    rollup_months_stored: int = 0
    rollup_months_missing: int = 0
    busy: bool = False  # another replica holds the writer


async def keep_snapshots(db: Database, *, months_to_build: int = 1) -> SnapshotWork:
    work = SnapshotWork()
    await _rewrite_changed(db, work)
    await _build_missing(db, work, months_to_build)
    await _measure_trends(db, work, months_to_build)
    await _store_rollups(db, work, months_to_build)
    return work


async def _rewrite_changed(db: Database, work: SnapshotWork) -> None:
    """Rewrite the built months that changes made stale, a month a transaction
    (a club stays marked, and read afresh, until all its months are done)."""
    async with db.sessions() as session:
        changes = (await snapshots.pending_changes(session))[:CLUBS_A_ROUND]
        built = await snapshots.built_months(session)
    if not changes:
        return
    stale: dict[tuple[date, int], set[str]] = defaultdict(set)
    for club_id, since, _ in changes:
        for month_end, age in built:
            if month_end >= since:
                stale[month_end, age].add(club_id)
    for (month_end, age), club_ids in sorted(stale.items()):
        async with db.sessions() as session:
            if not await snapshot_store.hold_the_writer(session):
                work.busy = True
                return
            records = await computed_clubs(
                session, as_of=month_end, period_start=default_period_start(month_end),
                older_age=age, club_ids=club_ids,
            )  # fmt: skip
            await snapshot_store.replace_records(
                session, month_end, age, records, club_ids=club_ids
            )
            await snapshot_store.forget_month_summaries(session, {month_end})
            await session.commit()
        work.club_months_rewritten += len(club_ids)
    async with db.sessions() as session:
        if not await snapshot_store.hold_the_writer(session):
            work.busy = True
            return
        # A month another process built meanwhile may predate a change: those
        # clubs stay marked for the next round.
        since_read = await snapshots.built_months(session) - built
        done = [
            (club_id, revision)
            for club_id, since, revision in changes
            if not any(month_end >= since for month_end, _ in since_read)
        ]
        await snapshot_store.clear_changes(session, done)
        await session.commit()


async def _build_missing(db: Database, work: SnapshotWork, months_to_build: int) -> None:
    async with db.sessions() as session:
        first = await snapshots.first_founding(session)
        if first is None:
            return
        built = await snapshots.built_months(session)
        ages = sorted(await snapshots.snapshot_ages(session))
    missing = [
        (month_end, age)
        for month_end in reversed(month_ends(first, last_complete_month_end(today())))
        for age in ages
        if (month_end, age) not in built
    ]
    work.months_missing = len(missing)
    for month_end, age in missing[:months_to_build]:
        if not await build_month(db, month_end, age):
            work.busy = True
            return
        work.months_built.append((month_end, age))
        work.months_missing -= 1


async def build_month(db: Database, month_end: date, older_age: int) -> bool:
    """The month's snapshot of every club active on its last day, from the facts
    (whether built before or not); False when another replica holds the writer."""
    async with db.sessions() as session:
        if not await snapshot_store.hold_the_writer(session):
            return False
        records = await computed_clubs(
            session, as_of=month_end, period_start=default_period_start(month_end),
            older_age=older_age,
        )  # fmt: skip
        await snapshot_store.replace_records(session, month_end, older_age, records, club_ids=None)
        await snapshot_store.refresh_statistics(session)
        await snapshot_store.mark_built(session, month_end, older_age)
        await snapshot_store.forget_month_summaries(session, {month_end})
        await session.commit()
    return True


async def _built_months_not_in(
    db: Database, done_with: Callable[[AsyncSession, str], Awaitable[set[date]]]
) -> tuple[str, list[date]]:
    """The plans' fingerprint, and the built months that `done_with` does not
    list for it, newest first."""
    async with db.sessions() as session:
        fingerprint = plans_fingerprint(await load_plans(session))
        built = {m for m, age in await snapshots.built_months(session) if age == DEFAULT_OLDER_AGE}
        return fingerprint, sorted(built - await done_with(session, fingerprint), reverse=True)


async def _measure_trends(db: Database, work: SnapshotWork, months: int) -> None:
    """The trends' monthly quality shares of built months, newest first: each
    month's as the indicators give them then, read from its snapshot."""
    fingerprint, todo = await _built_months_not_in(db, snapshots.trend_months)
    work.trend_months_missing = len(todo)
    for month_end in todo[:months]:
        async with db.sessions() as session:
            if not await snapshot_store.hold_the_writer(session):
                work.busy = True
                return
            with not_kept():
                points = await month_share_points(session, month_end)
            await snapshot_store.replace_trend_month(session, month_end, fingerprint, points)
            await session.commit()
        work.trend_months_measured += 1
        work.trend_months_missing -= 1


async def _store_rollups(db: Database, work: SnapshotWork, months: int) -> None:
    """The roll-ups of built months with today's plans, newest first: a month
    end's first read is then one row (the pages check it is still current)."""
    _, todo = await _built_months_not_in(db, snapshots.rollup_months)
    work.rollup_months_missing = len(todo)
    for month_end in todo[:months]:
        if not await store_month_rollups(db, month_end):
            work.busy = True
            return
        work.rollup_months_stored += 1
        work.rollup_months_missing -= 1


async def store_month_rollups(db: Database, month_end: date) -> bool:
    """Store a built month's roll-ups with today's plans; False when another
    replica holds the writer."""
    async with db.sessions() as session:
        if not await snapshot_store.hold_the_writer(session):
            return False
        with not_kept():
            rollups = await month_rollups(session, month_end)
        await snapshot_store.replace_month_rollups(session, month_end, rollups)
        await session.commit()
    return True
