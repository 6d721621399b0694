"""Figures kept warm: today's, which the dashboard, the live feed and most API
calls ask for, at national scale, many times a second; and the last few past
dates read, so that a reader comparing quarters pays the first read of each
date only (ADR 0008). Like every module of `queries`, it does no access
checks: its callers scope what they ask for.

Per process and date, a cache holds every active club's facts over the date's
default period, and the province roll-ups built from them. When the
projection's revision moves, it reads which clubs the new batches touched
(`club_touch`), recomputes only those clubs, and rebuilds only the provinces
they were or are now in: late data reaches a past date's figures as it reaches
today's. Any other period goes to the database directly.

A club read on its own (its page) is kept by club and date, with the club's
touch revision: it is read again only once a batch has touched the club. A
national plan's window (a target counted from its start to a date) is kept
like a date, patched the same way.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_platform.admin_units import Boundary
from ishc_platform.clock import today
from ishc_reporting.domain import placement
from ishc_reporting.domain.indicators import (
    Bands,
    ClubFacts,
    Rollup,
    default_period_start,
    roll_up,
)
from ishc_reporting.domain.targets import Depth
from ishc_reporting.models import ClubTouch, ProjectionState
from ishc_reporting.queries.clubs import active_clubs
from ishc_reporting.queries.facts import ClubRecord

FULL_RELOAD_ABOVE = 5_000  # touched clubs past which one reload beats patching
NATION = "nation"


@dataclass
class Grouping:
    """A way to roll clubs up: per province on a map, or the whole nation."""

    boundary: Boundary
    per_province: bool
    bands: Callable[[str], Bands]  # by group (province code, or NATION)
    fingerprint: str  # changes when the plans (hence the bands) change

    def group(self, record: ClubRecord) -> tuple[str | None, str | None]:
        """(group, commune) of a club; group None when it cannot be placed."""
        place = placement.place(record.commune_code, record.legacy_commune_code, self.boundary)
        if not self.per_province:
            return (NATION if not place.unplaced else None), place.commune
        return place.province, place.commune


@dataclass
class View:
    rollups: dict[str, Rollup]
    unplaced: int
    dirty: set[str] = field(default_factory=set)
    stale: bool = False  # the unplaced count needs a rescan


@dataclass
class DateCache:
    """One date's club records and roll-ups (today's follows the calendar)."""

    day: date | None = None
    depth: Depth = Depth.ALL  # how much of each club is read (a plan's window may need less)
    revision: int = -1
    records: dict[int, dict[str, ClubRecord]] = field(default_factory=dict)  # by older age
    views: dict[tuple[object, ...], View] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def rollups(
        self,
        session: AsyncSession,
        as_of: date,
        period_start: date,
        grouping: Grouping,
        groups: Iterable[str],
        communes: Callable[[str], int | None],
    ) -> tuple[dict[str, Rollup], int]:
        """The roll-up of each group asked for, and how many clubs are unplaced."""
        wanted = set(groups)
        ages = {grouping.bands(g).older_age for g in wanted}
        async with self.lock:
            await self._refresh(session, as_of, period_start, ages)
            key = (grouping.boundary, grouping.per_province, grouping.fingerprint, frozenset(ages))
            view = self.views.get(key)
            if view is None:
                view = self.views[key] = View(rollups={}, unplaced=0, stale=True)
                view.dirty = set(wanted)
            missing = wanted - view.rollups.keys()
            if view.dirty or missing or view.stale:
                self._rebuild(view, grouping, view.dirty | missing, communes)
            return {g: view.rollups[g] for g in wanted}, view.unplaced

    async def club_records(
        self, session: AsyncSession, as_of: date, period_start: date, age: int
    ) -> dict[str, ClubRecord]:
        """Today's club records counted with one older age, fresh to the
        projection's revision (a plan's targets measured today read these)."""
        async with self.lock:
            await self._refresh(session, as_of, period_start, {age})
            return dict(self.records[age])

    async def _refresh(
        self, session: AsyncSession, as_of: date, period_start: date, ages: set[int]
    ) -> None:
        revision = (
            await session.scalar(
                select(ProjectionState.revision).where(col(ProjectionState.id) == 1)
            )
            or 0
        )
        if self.day != as_of:
            self.day, self.revision, self.records, self.views = as_of, revision, {}, {}
        touched: list[str] = []
        if revision > self.revision:
            touched = list(
                (
                    await session.exec(
                        select(ClubTouch.club_id).where(col(ClubTouch.revision) > self.revision)
                    )
                ).all()
            )
        if len(touched) > FULL_RELOAD_ABOVE:
            self.records, self.views, touched = {}, {}, []
        for age, records in self.records.items():
            if not touched:
                break
            fresh = await active_clubs(
                session,
                as_of=as_of,
                period_start=period_start,
                older_age=age,
                club_ids=touched,
                depth=self.depth,
            )
            for club_id in touched:
                self._mark(records.pop(club_id, None))
            for record in fresh:
                records[record.club_id] = record
                self._mark(record)
        for age in ages - self.records.keys():
            loaded = await active_clubs(
                session, as_of=as_of, period_start=period_start, older_age=age, depth=self.depth
            )
            self.records[age] = {r.club_id: r for r in loaded}
            for view in self.views.values():
                view.stale = True
        self.revision = revision

    def _mark(self, record: ClubRecord | None) -> None:
        """The club's groups on every view need rebuilding."""
        if record is None:
            return
        for (boundary, per_province, _fp, _ages), view in self.views.items():
            place = placement.place(record.commune_code, record.legacy_commune_code, boundary)
            if not per_province:
                view.dirty.add(NATION)
            elif place.province is not None:
                view.dirty.add(place.province)
            if place.unplaced:
                view.stale = True

    def _rebuild(
        self,
        view: View,
        grouping: Grouping,
        groups: set[str],
        communes: Callable[[str], int | None],
    ) -> None:
        fresh, unplaced = roll_up_groups(self.records, grouping, groups, communes)
        view.rollups.update(fresh)
        view.unplaced = unplaced
        view.dirty.clear()
        view.stale = False


def roll_up_groups(
    records: dict[int, dict[str, ClubRecord]],
    grouping: Grouping,
    groups: set[str],
    communes: Callable[[str], int | None],
) -> tuple[dict[str, Rollup], int]:
    """Each group's roll-up from club records counted with each older age (a
    group takes the records of its bands' age), and the clubs that cannot be placed."""
    members: dict[str, list[tuple[ClubFacts, str | None]]] = {g: [] for g in groups}
    unplaced = 0
    first_age = min(records, default=0)
    for age, by_club in records.items():
        for record in by_club.values():
            group, commune = grouping.group(record)
            if group is None:
                unplaced += age == first_age  # each club once
                continue
            if group in members and grouping.bands(group).older_age == age:
                members[group].append((record.facts, commune))
    fresh = {g: roll_up(clubs, grouping.bands(g), communes(g)) for g, clubs in members.items()}
    for rollup in fresh.values():
        rollup.unplaced = unplaced if not grouping.per_province else 0
    return fresh, unplaced


PAST_DATES_KEPT = 4  # per process: each holds every active club's records
# Per process: the national plans' windows and baseline dates, each every club's
# records. A page of a date in 2025, when both national plans are in force,
# reads up to five (ADR 0008).
WINDOWS_KEPT = 6
CLUBS_KEPT = 4_096  # per process: one club's record as of one date, with one older age


@dataclass(frozen=True)
class KeptClub:
    revision: int  # the club's touch revision read before its record was
    record: ClubRecord | None  # None: not active that day


@dataclass
class WarmCaches:
    """A process's caches for one database: today's, the past dates last read,
    and the clubs last read one by one (a club's page, polled while its
    members are entered, reads one club and not the nation)."""

    today: DateCache = field(default_factory=DateCache)
    past: OrderedDict[date, DateCache] = field(default_factory=OrderedDict)
    clubs: OrderedDict[tuple[str, date, int], KeptClub] = field(default_factory=OrderedDict)
    windows: OrderedDict[tuple[date, date, Depth], DateCache] = field(default_factory=OrderedDict)

    def for_date(self, as_of: date, keep: bool) -> DateCache | None:
        if as_of == today():
            return self.today
        cache = self.past.get(as_of)
        if cache is None and not keep:
            return None
        return _keep_last(self.past, as_of, cache or DateCache(), PAST_DATES_KEPT)


def _keep_last[K, V](kept: OrderedDict[K, V], key: K, value: V, limit: int) -> V:
    """Keep `value` as the most recently used, dropping the least recently
    used past `limit`."""
    kept[key] = value
    kept.move_to_end(key)
    while len(kept) > limit:
        kept.popitem(last=False)
    return value


_CACHES: dict[str, WarmCaches] = {}


def _caches_of(session: AsyncSession) -> WarmCaches:
    """This process's caches for the session's database."""
    return _CACHES.setdefault(str(session.get_bind().engine.url), WarmCaches())


# Reads of many past dates (the trends' points, the snapshot job) would evict the
# dates people are reading: they go to the database instead (`not_kept`).
_NOT_KEPT: ContextVar[bool] = ContextVar("ishc_reporting_not_kept", default=False)


@contextmanager
def not_kept() -> Iterator[None]:
    """Past dates read within are not kept warm (today's cache still serves)."""
    token = _NOT_KEPT.set(True)
    try:
        yield
    finally:
        _NOT_KEPT.reset(token)


def warm_cache(
    session: AsyncSession, as_of: date, period_start: date, *, whole: bool = True
) -> DateCache | None:
    """The cache for this date, if it is kept: a date up to today, over its
    default period (one cache per database this process reads). A past date
    not kept yet starts being kept only by a reader of the `whole` country:
    a province's reader reads its own clubs faster than the nation's."""
    if as_of > today() or period_start != default_period_start(as_of):
        return None
    if _NOT_KEPT.get() and as_of != today():
        return None
    return _caches_of(session).for_date(as_of, keep=whole)


def warm_window(
    session: AsyncSession, on: date, window_start: date, depth: Depth
) -> DateCache | None:
    """The cache of a national plan's window (a target measured from its start
    to `on`), kept like a date: a batch recomputes only the clubs it touched,
    where the plans' measurements read every club of the nation again. The
    windows last measured are kept; none is kept for a read of many past dates.
    A window kept at a greater depth serves a lesser one: its records hold
    the places and members too."""
    if on > today() or _NOT_KEPT.get():
        return None
    windows = _caches_of(session).windows
    deeper = [k for k in windows if k[:2] == (on, window_start) and k[2] >= depth]
    key = max(deeper, key=lambda k: k[2]) if deeper else (on, window_start, depth)
    return _keep_last(windows, key, windows.get(key) or DateCache(depth=depth), WINDOWS_KEPT)


async def club_record(
    session: AsyncSession, club_id: str, as_of: date, period_start: date, age: int
) -> ClubRecord | None:
    """One club's record, kept until a batch touches the club (`club_touch`):
    a poll of an unchanged club costs one indexed read. Only over the date's
    default period, up to today, like the dates kept."""
    if as_of > today() or period_start != default_period_start(as_of):
        return await _one_club(session, club_id, as_of, period_start, age)
    # The revision first: a batch landing while the record is read leaves the
    # kept revision behind the club's, and the next read recomputes.
    revision = (
        await session.scalar(select(ClubTouch.revision).where(col(ClubTouch.club_id) == club_id))
        or 0
    )
    kept_clubs = _caches_of(session).clubs
    key = (club_id, as_of, age)
    kept = kept_clubs.get(key)
    if kept is None or kept.revision != revision:
        record = await _one_club(session, club_id, as_of, period_start, age)
        kept = KeptClub(revision, record)
    return _keep_last(kept_clubs, key, kept, CLUBS_KEPT).record


async def _one_club(
    session: AsyncSession, club_id: str, as_of: date, period_start: date, age: int
) -> ClubRecord | None:
    found = await active_clubs(
        session, as_of=as_of, period_start=period_start, older_age=age, club_ids={club_id}
    )
    return found[0] if found else None


def forget_warm_caches() -> None:
    """Drop every kept date, today's too."""
    _CACHES.clear()


def forget_past_dates() -> None:
    """Drop the past dates, the plans' windows and the clubs kept, and keep
    today's records: a past date's first read in service, where today's stay
    warm (the benchmark's first-read cases)."""
    for caches in _CACHES.values():
        caches.past.clear()
        caches.windows.clear()
        caches.clubs.clear()
