"""Trends: clubs, members and coverage at each month's end, and the quality
shares at each month's end the snapshot job has measured (else at each year's
end), for the nation or one province of a map, up to a page's as-of date.
No access checks (see `queries/__init__`).

Each point equals what the indicators give with `as_of` = that point:

- the last point (the as-of date) is the indicators' own reading
  (`national_unchecked`, `province_detail_unchecked`), so it agrees with the page;
- the month ends before it come from two set-wise reads (the clubs in scope
  with their moves, and the members grouped by the months they start and stop
  counting), placed in Python by the indicators' rule (`domain/placement.place`
  on the club's commune at the date), over the same commune denominators
  (`queries/indicators.province_denominator` for a province, every province's package
  count for the nation) and the same formula (`Rollup.coverage`);
- the quality shares judge every club's full facts (meetings, money, health),
  which no grouped read gives per month: they are the indicators themselves.
  At each month's end they are read by the snapshot job once the month's
  snapshot is built, and kept in `trend_shares` with the plans they were
  measured with (ADR 0008); the as-of date's are read with the page, and year
  ends the job has not reached yet are read here (at most `MAX_SHARE_POINTS`).

What is kept, and for how long, is `trends_unchecked`'s to say.
"""

from __future__ import annotations

import asyncio
import json
import time
from bisect import bisect_left
from collections import OrderedDict, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy import case, func, literal, or_
from sqlalchemy import select as select_columns
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts.people import DEFAULT_OLDER_AGE
from ishc_platform.admin_units import Boundary
from ishc_platform.errors import not_found
from ishc_reporting.domain import placement
from ishc_reporting.domain.charts import (
    CountPoint,
    SharePoint,
    TrendData,
    month_points,
    trends_view,
)
from ishc_reporting.domain.indicators import QUALITY_FLAGS, Rollup
from ishc_reporting.domain.plans import PlanDoc, governing_plan, plans_in_force
from ishc_reporting.models import ClubFact, MemberFact, ProjectionState, TrendShares
from ishc_reporting.queries.clubs import active_clubs
from ishc_reporting.queries.facts import moves_until
from ishc_reporting.queries.indicators import (
    Query,
    current_provinces_for,
    load_plans,
    make_query,
    national_unchecked,
    plans_fingerprint,
    province_denominator,
    province_detail_unchecked,
)
from ishc_reporting.queries.scope import Scope, fetch_rows
from ishc_reporting.queries.warm import not_kept

log = structlog.get_logger(__name__)
MAX_SHARE_POINTS = 6  # year ends and the as-of date: each costs a full indicator read
PAST_FRESH_FOR = timedelta(minutes=5)  # how late a late event may show in past points


@dataclass(frozen=True)
class _Club:
    club_id: str
    founded_on: date
    dissolved_on: date | None
    # (from, commune, legacy commune): where it was from each date on; the first
    # entry's date is None: before any recorded move, where it is now.
    places: tuple[tuple[date | None, str, str | None], ...]


def _month_of(value: Any) -> int:
    """The month index of what `_month_start` returns: a date or timestamp
    (PostgreSQL), or "YYYY-MM" (SQLite)."""
    if isinstance(value, str):
        return int(value[:4]) * 12 + int(value[5:7]) - 1
    return int(value.year) * 12 + int(value.month) - 1


def _month_start(column: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    # date_trunc is ~3x cheaper than EXTRACT (numeric) on PostgreSQL; SQLite has neither.
    if dialect == "postgresql":
        return func.date_trunc("month", column)
    return func.strftime("%Y-%m", column)


def _index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _later(a: Any, b: Any) -> ColumnElement[Any]:
    """The later of two dates that are never NULL (GREATEST is not SQLite's)."""
    return case((col(a) > col(b), col(a)), else_=col(b))


def _earlier(a: Any, b: Any) -> ColumnElement[Any]:
    """The earlier of two dates, either NULL meaning "never" (NULL when both are)."""
    return case(
        (col(a).is_(None), col(b)),
        (col(b).is_(None), col(a)),
        (col(a) < col(b), col(a)),
        else_=col(b),
    )


async def trends_unchecked(
    session: AsyncSession, q: Query, province: str | None = None
) -> TrendData:
    """The nation's trend (`province` None), or a province's of the query's map.

    The last point (the as-of date) is the indicators' own figures of that
    day, kept only while the projection's revision stays, so it always agrees
    with the page. The points before the as-of date's month are kept per
    scope, map and month: they change only when a late event arrives, but any
    batch moves the revision, which under live ingestion would recompute them
    (seconds at national scale) on nearly every view; so once computed they
    serve whatever the revision, and past `PAST_FRESH_FOR` a view starts their
    recomputation in the background: a late event shows in them within that
    time and a little more."""
    if province is not None and placement.province_unit(province, q.boundary) is None:
        raise not_found("province")
    plans = await load_plans(session)
    revision = (
        await session.scalar(select(ProjectionState.revision).where(col(ProjectionState.id) == 1))
        or 0
    )
    fingerprint = plans_fingerprint(plans)
    base = (str(session.get_bind().engine.url), province, q.boundary, q.older_age, fingerprint)

    async def last(session: AsyncSession) -> tuple[CountPoint, SharePoint]:
        return await _point_at(session, q, province, q.as_of)

    point = ("point", *base, q.as_of)
    last_count, last_shares = await _kept(session, point, revision, False, last)
    month_before = q.as_of.replace(day=1) - timedelta(days=1)

    async def before(session: AsyncSession) -> list[CountPoint]:
        return await _count_points(session, month_before, q.boundary, province, plans)

    past = await _kept(session, ("series", *base, month_before), revision, True, before)
    counts = [*past, last_count] if past or last_count.clubs else []
    shares: dict[date, SharePoint] = {}
    if counts and q.older_age is None:  # the job measures with the plans' own ages
        kept = await stored_shares(session, q.boundary, province, fingerprint, month_before)
        shares = {p.on: kept[p.on] for p in counts if p.on in kept}  # where the counts are
    for on in share_days([p.on for p in counts])[:-1]:
        if on in shares:
            continue

        async def at(session: AsyncSession, on: date = on) -> SharePoint:
            with not_kept():
                return (await _point_at(session, q, province, on))[1]

        shares[on] = await _kept(session, ("shares", *base, on), revision, True, at)
    if counts:
        shares[q.as_of] = last_shares
    return TrendData(as_of=q.as_of, counts=counts, shares=[shares[d] for d in sorted(shares)])


NATION_KEY = ""  # `trend_shares.province` of the nation's points


async def stored_shares(
    session: AsyncSession, boundary: Boundary, province: str | None, fingerprint: str, until: date
) -> dict[date, SharePoint]:
    """The month ends' shares the snapshot job kept, up to `until`, measured
    with these plans."""
    t = TrendShares
    rows = await fetch_rows(
        session,
        select_columns(col(t.month_end), col(t.members), col(t.shares)).where(
            col(t.boundary) == boundary.value,
            col(t.province) == (province or NATION_KEY),
            col(t.fingerprint) == fingerprint,
            col(t.month_end) <= until,
        ),
    )
    return {
        on: SharePoint(
            on=on,
            members=members,
            shares={k: None if v is None else Decimal(v) for k, v in json.loads(body).items()},
        )
        for on, members, body in rows
    }


async def month_share_points(
    session: AsyncSession, month_end: date
) -> list[tuple[Boundary, str, SharePoint]]:
    """The month end's shares of the nation and of every province with a club
    then, on both maps, as the indicators give them (the snapshot job keeps
    them); the caller reads them `not_kept`, as many past dates are."""
    query = make_query(month_end, Boundary.CURRENT, None, None)
    records = await active_clubs(
        session, as_of=month_end, period_start=query.period_start, older_age=DEFAULT_OLDER_AGE
    )
    points = []
    for boundary in Boundary:
        provinces = {
            place.province
            for r in records
            if (place := placement.place(r.commune_code, r.legacy_commune_code, boundary)).province
        }
        at = make_query(month_end, boundary, None, None)
        for province in [None, *sorted(provinces)]:
            _, shares = await _point_at(session, at, province, month_end)
            points.append((boundary, province or NATION_KEY, shares))
    return points


def encode_shares(point: SharePoint) -> str:
    return json.dumps({k: None if v is None else str(v) for k, v in point.shares.items()})


async def page_trends(
    session: AsyncSession, q: Query, province: str | None, lang: str, threshold: int | None
) -> dict[str, Any]:
    """The trend as a dashboard page shows it (`templates/_trends.html`):
    `threshold` is the public's small-cell threshold, None for a signed-in viewer."""
    return trends_view(await trends_unchecked(session, q, province), lang, threshold)


def share_days(days: list[date]) -> list[date]:
    """Where the shares are read: each year's end in the series and its last
    point, the latest `MAX_SHARE_POINTS` of them."""
    if not days:
        return []
    chosen = [d for d in days[:-1] if (d.month, d.day) == (12, 31)] + [days[-1]]
    return chosen[-MAX_SHARE_POINTS:]


async def _point_at(
    session: AsyncSession, q: Query, province: str | None, on: date
) -> tuple[CountPoint, SharePoint]:
    """What the indicators give as of `on` (the default period, the plans' own
    older age unless the query sets one), for the nation or the province."""
    at = make_query(on, q.boundary, None, q.older_age)
    if province is None:
        figures = (await national_unchecked(session, at))["indicators"]
    else:
        figures = (await province_detail_unchecked(session, province, at))["indicators"]
    count = CountPoint(
        on=on,
        clubs=int(figures["clubs"]),
        members=int(figures["members"]),
        communes_with_club=int(figures["communes_with_club"]),
        communes=figures["communes"],
        coverage=figures["coverage"],
    )
    shares = SharePoint(
        on=on,
        members=int(figures["members"]),
        shares={flag: figures["shares"].get(flag) for flag in QUALITY_FLAGS},
    )
    return count, shares


# -- clubs, members, coverage -----------------------------------------------------


async def _count_points(
    session: AsyncSession,
    until: date,
    boundary: Boundary,
    province: str | None,
    plans: list[PlanDoc],
) -> list[CountPoint]:
    """Each month's end up to `until` (itself one), from the first club's month."""
    scope = None if province is None else current_provinces_for(boundary, {province})
    clubs = await _clubs(session, until, scope)
    if not clubs:
        return []
    days = month_points(min(c.founded_on for c in clubs.values()), until)
    names = None if province is None else {c.code for c in placement.communes(province, boundary)}

    def counted(commune: str, legacy: str | None) -> tuple[bool, str | None]:
        """Whether a club there counts in the scope, and the commune it covers."""
        place = placement.place(commune, legacy, boundary)
        if province is None:
            return not place.unplaced, place.commune
        if place.province != province:
            return False, None
        # As province_detail_unchecked: a commune not of the province covers none of it.
        return True, place.commune if place.commune in (names or ()) else None

    n = len(days)
    club_steps = [0] * (n + 1)
    spans: dict[str, list[tuple[int, int]]] = {}  # club -> point ranges where it counts
    covered: dict[str, list[tuple[int, int]]] = defaultdict(list)  # commune -> ranges
    regular: set[str] = set()  # counted whenever active: their members group set-wise
    for club in clubs.values():
        lo = bisect_left(days, club.founded_on)
        hi = n if club.dissolved_on is None else bisect_left(days, club.dissolved_on)
        ranges: list[tuple[int, int]] = []
        whole = True
        for i, (since, commune, legacy) in enumerate(club.places):
            start = lo if since is None else max(lo, bisect_left(days, since))
            moved_on = club.places[i + 1][0] if i + 1 < len(club.places) else None
            end = hi if moved_on is None else min(hi, bisect_left(days, moved_on))
            ok, covers = counted(commune, legacy)
            whole = whole and ok
            if not ok or start >= end:
                continue
            ranges.append((start, end))
            club_steps[start] += 1
            club_steps[end] -= 1
            if covers is not None:
                covered[covers].append((start, end))
        spans[club.club_id] = ranges
        if whole and len(club.places) == 1:
            regular.add(club.club_id)

    commune_steps = [0] * (n + 1)
    for ranges in covered.values():
        for start, end in _merged(ranges):
            commune_steps[start] += 1
            commune_steps[end] -= 1
    members = await _members(session, days, scope, spans, regular)

    if province is None:
        every = placement.provinces(boundary)
        # As national_unchecked: every province's communes in the package.
        national = sum(placement.commune_count(u.code, boundary) for u in every)
    points = []
    clubs_now = communes_now = 0
    for i, on in enumerate(days):
        clubs_now += club_steps[i]
        communes_now += commune_steps[i]
        if province is None:
            communes = national
        else:
            plan = governing_plan(plans_in_force(plans, on), province, boundary)
            communes = province_denominator(plan, province, boundary)[0]
        rollup = Rollup(communes=communes, communes_with_club=communes_now)
        points.append(
            CountPoint(
                on=on,
                clubs=clubs_now,
                members=members[i],
                communes_with_club=communes_now,
                communes=communes,
                coverage=rollup.coverage,
            )
        )
    while points and points[0].clubs == 0:  # from the first month with a club in scope
        points.pop(0)
    return points


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


async def _clubs(session: AsyncSession, as_of: date, scope: set[str] | None) -> dict[str, _Club]:
    """The clubs founded by the date (as `active_clubs` reads them, at any date),
    each with where it was over time (`facts._places_on`: the latest of a moved
    club's locations from its date on, else where it is now)."""
    query = select_columns(
        col(ClubFact.club_id),
        col(ClubFact.commune_code),
        col(ClubFact.legacy_commune_code),
        col(ClubFact.founded_on),
        col(ClubFact.dissolved_on),
    ).where(col(ClubFact.founded_on) <= as_of, col(ClubFact.commune_code).is_not(None))
    if scope is not None:
        query = query.where(col(ClubFact.province).in_(sorted(scope)))
    rows = await fetch_rows(session, query)
    moves = await moves_until(session, as_of, Scope(scope, None))
    history: dict[str, list[tuple[date, int, str, str | None]]] = defaultdict(list)
    for club_id, valid_from, sequence, commune, legacy in moves:
        history[club_id].append((valid_from, sequence, commune, legacy))
    clubs = {}
    for club_id, commune, legacy, founded_on, dissolved_on in rows:
        places: list[tuple[date | None, str, str | None]] = [(None, commune, legacy)]
        # Sorted as `facts._places_on` picks: by date, then sequence, the last one wins.
        places += [(v, c, lg) for v, _s, c, lg in sorted(history.get(club_id, []))]
        clubs[club_id] = _Club(club_id, founded_on, dissolved_on, tuple(places))
    return clubs


async def _members(
    session: AsyncSession,
    days: list[date],
    scope: set[str] | None,
    spans: dict[str, list[tuple[int, int]]],
    regular: set[str],
) -> list[int]:
    """Members at each month's end, in one grouped read: a member of an active
    club counts from the month both it joined and the club was founded, until
    the month it left or the club was dissolved (`left_on` and `dissolved_on`
    are first days away, so a member who left on the 1st no longer counts at
    the previous month's end). Clubs counted only at times (moved, or placed
    out of scope at times) group one by one, the others all together."""
    n = len(days)
    first_month = _index(days[0])
    m, c = MemberFact, ClubFact
    dialect = session.get_bind().dialect.name
    start = _month_start(_later(m.joined_on, c.founded_on), dialect)
    end = _month_start(_earlier(m.left_on, c.dissolved_on), dialect)
    odd = sorted(spans.keys() - regular)
    key = case((col(m.club_id).in_(odd), col(m.club_id)), else_=literal("")) if odd else literal("")
    inner = (
        select_columns(key.label("club"), start.label("first"), end.label("stop"))
        .select_from(m)
        .join(c, col(c.club_id) == col(m.club_id))
        .where(
            col(m.joined_on) <= days[-1],
            or_(col(m.left_on).is_(None), col(m.left_on) > days[0]),
            col(c.founded_on) <= days[-1],
            col(c.commune_code).is_not(None),
            or_(col(c.dissolved_on).is_(None), col(c.dissolved_on) > days[0]),
            *Scope(scope, None).members(),
        )
    )
    if scope is not None:
        inner = inner.where(col(c.province).in_(sorted(scope)))
    sub = inner.subquery("joined")
    rows = await fetch_rows(
        session,
        select_columns(sub.c.club, sub.c.first, sub.c.stop, func.count()).group_by(
            sub.c.club, sub.c.first, sub.c.stop
        ),
    )
    steps = [0] * (n + 1)
    whole = [(0, n)]
    for club, first, stop, count in rows:
        lo = max(_month_of(first) - first_month, 0)
        hi = n if stop is None else min(_month_of(stop) - first_month, n)
        for a, b in spans.get(club, []) if club else whole:
            if max(a, lo) < min(b, hi):
                steps[max(a, lo)] += int(count)
                steps[min(b, hi)] -= int(count)
    out, running = [], 0
    for i in range(n):
        running += steps[i]
        out.append(running)
    return out


# -- quality shares -------------------------------------------------------------------

_MEMO: OrderedDict[tuple[Any, ...], tuple[int, float, Any]] = OrderedDict()
_MEMO_SIZE = 512  # a few scopes and maps, each a series, its last point and its share points
_REFRESHING: dict[tuple[Any, ...], asyncio.Task[None]] = {}


async def _kept[T](
    session: AsyncSession,
    key: tuple[Any, ...],
    revision: int,
    past: bool,
    compute: Callable[[AsyncSession], Awaitable[T]],
) -> T:
    """A value kept while the projection's revision stays. A `past` point,
    once computed, is served as it is; past `PAST_FRESH_FOR` with the revision
    moved, it is recomputed in the background on a session of its own and
    replaced, so no page waits seconds for a late event's correction (at
    national scale a past point is a full indicator read)."""
    found = _MEMO.get(key)
    now = time.monotonic()
    if found is not None and found[0] == revision:
        _MEMO.move_to_end(key)
        kept: T = found[2]
        return kept
    if found is not None and past:
        _MEMO.move_to_end(key)
        if now - found[1] >= PAST_FRESH_FOR.total_seconds() and key not in _REFRESHING:
            task = asyncio.create_task(_refresh(session.bind, key, revision, compute))
            _REFRESHING[key] = task
            task.add_done_callback(lambda _: _REFRESHING.pop(key, None))
        stale: T = found[2]
        return stale
    fresh = await compute(session)
    _keep(key, revision, fresh)
    return fresh


async def _refresh(
    bind: Any,
    key: tuple[Any, ...],
    revision: int,
    compute: Callable[[AsyncSession], Awaitable[Any]],
) -> None:
    try:
        async with AsyncSession(bind) as session:
            _keep(key, revision, await compute(session))
    except Exception:  # the stale value stays; the next view past the window tries again
        log.warning("trends.refresh_failed", exc_info=True)


def _keep(key: tuple[Any, ...], revision: int, value: Any) -> None:
    _MEMO[key] = (revision, time.monotonic(), value)
    _MEMO.move_to_end(key)
    while len(_MEMO) > _MEMO_SIZE:
        _MEMO.popitem(last=False)


async def refreshed() -> None:
    """Wait for the background refreshes under way (tests, benchmarks)."""
    while _REFRESHING:
        await asyncio.gather(*list(_REFRESHING.values()), return_exceptions=True)


def forget_trends() -> None:
    """Drop every kept series and share point (a benchmark's cold case)."""
    _MEMO.clear()


__all__ = [
    "MAX_SHARE_POINTS",
    "PAST_FRESH_FOR",
    "forget_trends",
    "page_trends",
    "refreshed",
    "share_days",
    "trends_unchecked",
]
