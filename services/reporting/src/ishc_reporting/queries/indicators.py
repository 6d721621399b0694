"""The indicators read from the projection: the province table, the nation, a
province, a commune, a club, the rollout, and the stored plans they are
measured against.

NO ACCESS CHECKS: every public function here is named `*_unchecked` and
answers for whatever scope it is given. Use cases (`service/`) call them after
`service/policy.py` has decided what the caller may read; internal readers
(the live feed, the gauges, the CLI, report issuing, the public dashboard)
call them for the whole nation, which is what they show.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import structlog
from pydantic import ValidationError
from sqlalchemy import ColumnElement, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_platform import admin_units
from ishc_platform.admin_units import Boundary
from ishc_platform.clock import as_utc, today
from ishc_platform.errors import invalid, not_found
from ishc_reporting.domain import placement
from ishc_reporting.domain.indicators import (
    DEFAULT_BANDS,
    ClubFacts,
    ClubQuality,
    Rollup,
    default_period_start,
    finance_figures,
    health_figures,
    judge,
    percent,
    roll_up,
)
from ishc_reporting.domain.plans import (
    PLAN_ID_PATTERN,
    PlanDoc,
    bands_for,
    default_plan_summary,
    governing_plan,
    national_governing_plan,
    national_plans,
    plan_for_club,
    plans_about,
    plans_in_force,
)
from ishc_reporting.models import ClubFact, ClubTouch, MemberFact, Plan, ProjectionState
from ishc_reporting.queries import snapshots
from ishc_reporting.queries.clubs import active_clubs
from ishc_reporting.queries.facts import ClubRecord
from ishc_reporting.queries.snapshots import StoredRollups
from ishc_reporting.queries.targets import page_communes, plan_heading, plan_progress_unchecked
from ishc_reporting.queries.warm import NATION, Grouping, club_record, roll_up_groups, warm_cache

log = structlog.get_logger(__name__)

# Record ids are UUIDs (the registry's); anything else names no club and must
# not reach the database (a NUL there is a PostgreSQL error, not a 404).
RECORD_ID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

Provinces = Collection[str] | None
"""The current provinces a reader may see (a province token's own); None: every one."""


@dataclass(frozen=True)
class Query:
    """What every indicator route takes: the date, the map and the period."""

    as_of: date
    boundary: Boundary
    period_start: date
    older_age: int | None  # None: the plan's threshold, else 60


def make_query(
    as_of: date | None, boundary: Boundary, period_start: date | None, older_age: int | None
) -> Query:
    day = as_of or today()
    start = period_start or default_period_start(day)
    if start > day:
        raise invalid("period_start", "period_start is after as_of")
    return Query(day, boundary, start, older_age)


def todays_query(boundary: Boundary = Boundary.CURRENT) -> Query:
    """Today, the default period, each plan's own older age."""
    return make_query(None, boundary, None, None)


# -- plans -------------------------------------------------------------------------


async def load_plans(session: AsyncSession) -> list[PlanDoc]:
    rows = (await session.exec(select(Plan))).all()
    return [doc for row in rows if (doc := stored_plan(row)) is not None]


def stored_plan(row: Plan) -> PlanDoc | None:
    """A stored plan, or None for one written before today's rules (a year-1
    date, a control character) that no longer validates: it is skipped, and
    logged, rather than breaking every indicator."""
    try:
        return PlanDoc.model_validate_json(row.body)
    except ValidationError as exc:
        log.warning("plans.invalid_stored_plan", plan=row.id, errors=exc.error_count())
        return None


async def plan_row(session: AsyncSession, plan_id: str) -> Plan | None:
    if not re.fullmatch(PLAN_ID_PATTERN, plan_id):
        return None
    return await session.get(Plan, plan_id)


def plan_summary(plan: PlanDoc | None) -> dict[str, Any]:
    """The plan whose bands judge a page's clubs; the stated default without one."""
    return default_plan_summary() if plan is None else plan_heading(plan)


async def plans_progress_unchecked(
    session: AsyncSession, plans: list[PlanDoc], as_of: date
) -> list[dict[str, Any]]:
    """Each plan measured on its own territory (`queries/targets.py`)."""
    return [await plan_progress_unchecked(session, plan, as_of) for plan in plans]


# -- indicators ---------------------------------------------------------------------


async def _clubs_with_age(
    session: AsyncSession,
    q: Query,
    age: int,
    provinces: Provinces = None,
    club_ids: set[str] | None = None,
) -> list[ClubRecord]:
    return await active_clubs(
        session,
        as_of=q.as_of,
        period_start=q.period_start,
        older_age=age,
        provinces=provinces,
        club_ids=club_ids,
    )


def current_provinces_for(boundary: Boundary, codes: set[str]) -> set[str]:
    """The current provinces whose clubs can land in these provinces of `boundary`."""
    if boundary is Boundary.CURRENT:
        return codes
    found = set()
    for code in codes:
        successor = admin_units.current_province_of_legacy_province(code)
        if successor:
            found.add(successor.code)
    return found


def plans_fingerprint(plans: list[PlanDoc]) -> str:
    """What changes when any plan does (the bands and ages clubs are judged by)."""
    return hashlib.sha256("|".join(sorted(p.model_dump_json() for p in plans)).encode()).hexdigest()


def _fingerprint(plans: list[PlanDoc], older_age: int | None) -> str:
    """The plans' fingerprint, with the older age a reader asked for folded in."""
    plain = plans_fingerprint(plans)
    return (
        plain if older_age is None else hashlib.sha256(f"{plain}|{older_age}".encode()).hexdigest()
    )


async def _rollups(
    session: AsyncSession,
    q: Query,
    grouping: Grouping,
    groups: set[str],
    communes: Callable[[str], int | None],
    scope: set[str] | None,
    loaded: dict[int, dict[str, ClubRecord]] | None = None,
    *,
    use_stored: bool = True,
) -> tuple[dict[str, Rollup], int]:
    """Roll-ups per group: from a month end's stored roll-ups when they hold
    (ADR 0008), else from the warm cache of the date if kept, else from the
    database (`scope`: the current provinces whose clubs can count, None for
    all; `loaded`: records already read for this query and scope, by older
    age, so two groupings of one past date read the facts once)."""
    if use_stored:
        stored = await snapshots.stored_rollups(
            session, q.as_of, q.period_start, today(), boundary=grouping.boundary,
            per_province=grouping.per_province, fingerprint=grouping.fingerprint,
        )  # fmt: skip
        if stored is not None and groups <= stored.rollups.keys():
            return {g: stored.rollups[g] for g in groups}, stored.unplaced
    cache = warm_cache(session, q.as_of, q.period_start, whole=scope is None)
    if cache is not None:
        return await cache.rollups(session, q.as_of, q.period_start, grouping, groups, communes)
    loaded = {} if loaded is None else loaded
    for age in sorted({grouping.bands(g).older_age for g in groups} - loaded.keys()):
        loaded[age] = {r.club_id: r for r in await _clubs_with_age(session, q, age, scope)}
    ages = {grouping.bands(g).older_age for g in groups}
    records = {age: by_club for age, by_club in loaded.items() if age in ages}
    return roll_up_groups(records, grouping, groups, communes)


def _query_fields(q: Query) -> dict[str, Any]:
    return {"as_of": q.as_of, "boundary": q.boundary.value, "period_start": q.period_start}


def province_denominator(
    plan: PlanDoc | None, code: str, boundary: Boundary
) -> tuple[int, str | None]:
    """A province page's coverage denominator: its plan's own commune count
    when the page is exactly the plan's territory, else the package's; with the
    one-line note when the two differ."""
    own = page_communes(plan, code, boundary)
    if own is not None:
        return own.communes, own.note
    return placement.commune_count(code, boundary), None


async def province_table_unchecked(
    session: AsyncSession, q: Query, provinces: Provinces = None
) -> dict[str, Any]:
    """A row per province of the map within `provinces` (on the legacy map, the
    old provinces merged into them), with the plans in force about it, each
    measured on its own territory; the unplaced clubs are counted only for the
    whole nation."""
    every = placement.provinces(q.boundary)
    units = every
    if provinces is not None:
        visible = placement.visible_provinces(frozenset(provinces), q.boundary)
        units = [u for u in every if u.code in visible]
    all_plans = await load_plans(session)
    in_force = plans_in_force(all_plans, q.as_of)
    governing = {u.code: governing_plan(in_force, u.code, q.boundary) for u in every}
    rollups, unplaced = await _province_rollups(
        session, q, {u.code for u in units}, all_plans, governing, provinces
    )
    rows = []
    for unit in units:
        communes_note = province_denominator(governing[unit.code], unit.code, q.boundary)[1]
        rows.append(
            {
                "code": unit.code,
                "name": unit.name,
                "plan": plan_summary(governing[unit.code]),
                "communes_note": communes_note,
                "indicators": rollups[unit.code].as_dict(),
                "plans": await plans_progress_unchecked(
                    session, plans_about(in_force, unit.code, q.boundary), q.as_of
                ),
            }
        )
    national = national_governing_plan(in_force)
    return {
        **_query_fields(q),
        "provinces": rows,
        "unplaced": unplaced if provinces is None else None,
        "national_plan": plan_summary(national),
    }


async def _province_rollups(
    session: AsyncSession,
    q: Query,
    codes: set[str],
    all_plans: list[PlanDoc],
    governing: dict[str, PlanDoc | None],
    provinces: Provinces,
    loaded: dict[int, dict[str, ClubRecord]] | None = None,
) -> tuple[dict[str, Rollup], int]:
    """Each province's roll-up, its clubs judged by its governing plan's bands
    (the default plan's without one), coverage over its one denominator."""
    grouping, communes = _province_grouping(q, all_plans, governing)
    scope = None if provinces is None else current_provinces_for(q.boundary, codes)
    return await _rollups(session, q, grouping, codes, communes, scope, loaded)


def _province_grouping(
    q: Query, all_plans: list[PlanDoc], governing: dict[str, PlanDoc | None]
) -> tuple[Grouping, Callable[[str], int | None]]:
    bands = {code: bands_for(plan, q.older_age) for code, plan in governing.items()}
    grouping = Grouping(
        boundary=q.boundary,
        per_province=True,
        bands=lambda code: bands.get(code, DEFAULT_BANDS),
        fingerprint=_fingerprint(all_plans, q.older_age),
    )
    return grouping, lambda code: province_denominator(governing.get(code), code, q.boundary)[0]


def _national_grouping(
    q: Query, all_plans: list[PlanDoc], in_force: list[PlanDoc]
) -> tuple[Grouping, Callable[[str], int | None]]:
    bands = bands_for(national_governing_plan(in_force), q.older_age)
    grouping = Grouping(
        boundary=q.boundary,
        per_province=False,
        bands=lambda _group: bands,
        fingerprint=_fingerprint(all_plans, q.older_age),
    )
    every = placement.provinces(q.boundary)
    total_communes = sum(placement.commune_count(u.code, q.boundary) for u in every)
    return grouping, lambda _group: total_communes


async def month_rollups(
    session: AsyncSession, month_end: date
) -> list[tuple[Boundary, bool, str, StoredRollups]]:
    """A month end's roll-ups as the pages compute them, per province and of the
    nation on both maps, with the default older age of each plan: what the
    snapshot job stores, as (boundary, per province, plans' fingerprint, roll-ups)."""
    all_plans = await load_plans(session)
    in_force = plans_in_force(all_plans, month_end)
    loaded: dict[int, dict[str, ClubRecord]] = {}  # the clubs, read once for all four
    stored = []
    for boundary in Boundary:
        q = make_query(month_end, boundary, None, None)
        every = placement.provinces(boundary)
        governing = {u.code: governing_plan(in_force, u.code, boundary) for u in every}
        for grouping, communes, groups in (
            (*_province_grouping(q, all_plans, governing), {u.code for u in every}),
            (*_national_grouping(q, all_plans, in_force), {NATION}),
        ):
            rollups, unplaced = await _rollups(
                session, q, grouping, groups, communes, None, loaded, use_stored=False
            )
            stored.append(
                (boundary, grouping.per_province, grouping.fingerprint,
                 StoredRollups(rollups=rollups, unplaced=unplaced))
            )  # fmt: skip
    return stored


async def national_unchecked(session: AsyncSession, q: Query) -> dict[str, Any]:
    """The nation's indicators, and every national plan in force measured on its own map."""
    all_plans = await load_plans(session)
    in_force = plans_in_force(all_plans, q.as_of)
    plan = national_governing_plan(in_force)
    grouping, communes = _national_grouping(q, all_plans, in_force)
    every = placement.provinces(q.boundary)
    loaded: dict[int, dict[str, ClubRecord]] = {}  # a past date's facts, read once
    rollups, _unplaced = await _rollups(session, q, grouping, {NATION}, communes, None, loaded)
    result = rollups[NATION].as_dict()
    governing = {u.code: governing_plan(in_force, u.code, q.boundary) for u in every}
    per_province, _ = await _province_rollups(
        session, q, {u.code for u in every}, all_plans, governing, None, loaded
    )
    result["provinces"] = len(every)
    result["provinces_with_clubs"] = sum(1 for r in per_province.values() if r.clubs)
    return {
        **_query_fields(q),
        "scope": "nation",
        "plan": plan_summary(plan),
        "indicators": result,
        "plans": await plans_progress_unchecked(session, national_plans(in_force), q.as_of),
    }


async def _placed_records(
    session: AsyncSession, q: Query, province: str
) -> tuple[list[PlanDoc], list[tuple[ClubRecord, placement.Place]]]:
    """The plans in force, and the clubs that can land in a province of the map,
    each with its place."""
    in_force = plans_in_force(await load_plans(session), q.as_of)
    plan = governing_plan(in_force, province, q.boundary)
    age = bands_for(plan, q.older_age).older_age
    scope = current_provinces_for(q.boundary, {province})
    records = await _clubs_with_age(session, q, age, scope)
    placed = [
        (r, placement.place(r.commune_code, r.legacy_commune_code, q.boundary)) for r in records
    ]
    return in_force, placed


async def province_detail_unchecked(session: AsyncSession, code: str, q: Query) -> dict[str, Any]:
    """A province with its communes (every one, with or without a club)."""
    detail, _communes = await _province_detail(session, code, q)
    return detail


async def province_page_unchecked(session: AsyncSession, code: str, q: Query) -> dict[str, Any]:
    """`province_detail_unchecked` with each commune's quality shares beside its
    counts, as the dashboard's province page shows them (the reports keep the
    detail's own shape, so this is a separate reading)."""
    detail, communes = await _province_detail(session, code, q)
    for row in detail["communes"]:
        rollup = communes[row["code"]]
        row["coverage"] = rollup.coverage
        row["shares"] = rollup.shares()
    return detail


async def _province_detail(
    session: AsyncSession, code: str, q: Query
) -> tuple[dict[str, Any], dict[str, Rollup]]:
    unit = placement.province_unit(code, q.boundary)
    if unit is None:
        raise not_found("province")
    in_force, placed = await _placed_records(session, q, code)
    plan = governing_plan(in_force, code, q.boundary)
    bands = bands_for(plan, q.older_age)
    names = {c.code: c.name for c in placement.communes(code, q.boundary)}
    denominator, communes_note = province_denominator(plan, code, q.boundary)
    in_province = [(r.facts, p.commune) for r, p in placed if p.province == code]
    # A club placed in the province but in none of its communes counts in the province only.
    rollup = roll_up(
        ((facts, c if c in names else None) for facts, c in in_province), bands, denominator
    )
    by_commune: dict[str | None, list[tuple[ClubFacts, str | None]]] = defaultdict(list)
    for facts, commune in in_province:
        by_commune[commune].append((facts, commune))
    communes = {c: roll_up(by_commune[c], bands, 1) for c in names}
    return {
        **_query_fields(q),
        "scope": "province",
        "code": code,
        "name": unit.name,
        "plan": plan_summary(plan),
        "communes_note": communes_note,
        "indicators": rollup.as_dict(),
        "plans": await plans_progress_unchecked(
            session, plans_about(in_force, code, q.boundary), q.as_of
        ),
        "clubs_placed_in_province_only": sum(1 for _f, c in in_province if c not in names),
        "communes": [
            {
                "code": c,
                "name": names[c],
                "clubs": r.clubs,
                "members": r.members,
                "has_club": r.clubs > 0,
            }
            for c, r in communes.items()
        ],
    }, communes


async def commune_detail_unchecked(session: AsyncSession, code: str, q: Query) -> dict[str, Any]:
    """A commune with its clubs."""
    unit = placement.commune_unit(code, q.boundary)
    if unit is None:
        raise not_found("commune")
    in_force, placed = await _placed_records(session, q, unit.province_code)
    bands = bands_for(governing_plan(in_force, unit.province_code, q.boundary), q.older_age)
    records = [r for r, p in placed if p.commune == code]
    rollup = roll_up(((r.facts, code) for r in records), bands, 1)
    clubs = [_club_row(r, judge(r.facts, bands)) for r in records]
    return {
        **_query_fields(q),
        "scope": "commune",
        "code": code,
        "name": unit.name,
        "province": unit.province_code,
        "indicators": rollup.as_dict(),
        "clubs": sorted(clubs, key=lambda c: (c["name"] or "", c["club_id"])),
    }


def _club_row(record: ClubRecord, quality: ClubQuality) -> dict[str, Any]:
    f = record.facts
    alone = Rollup()  # the club's finance and health figures, counted as for a group
    alone.add(f, quality)
    return {
        "club_id": record.club_id,
        "name": record.name,
        "commune_code": record.commune_code,
        "legacy_commune_code": record.legacy_commune_code,
        "founded_on": record.founded_on,
        "members": f.members,
        "women": f.women,
        "older": f.older,
        "young": f.young,
        "poor": f.poor,
        "poor_older_women": f.poor_older_women,
        "ethnic_minority_members": f.ethnic_minority_members,
        "volunteers": f.volunteers,
        "new_members": f.new_members,
        "board_complete": f.board_complete,
        "months_required": len(f.months_required),
        "months_met": len(f.months_required & f.months_met),
        "activity_areas": sorted(f.activity_areas),
        "hardship_cases_supported": f.hardship_cases_supported,
        "meetings": f.meetings,
        "meetings_with_hardship_case": f.meetings_with_hardship_case,
        **finance_figures(alone),
        **health_figures(alone),
        "checks": {flag: getattr(quality, flag) for flag in quality.__dataclass_fields__},
    }


async def club_fact(session: AsyncSession, club_id: str) -> ClubFact | None:
    """A club as the projection knows it (None for an id that names no club)."""
    if not re.fullmatch(RECORD_ID_PATTERN, club_id):
        return None
    return await session.get(ClubFact, club_id)


async def club_detail_unchecked(session: AsyncSession, club_id: str, q: Query) -> dict[str, Any]:
    """A club's counts and checks (never its members); not found without a place."""
    club = await club_fact(session, club_id)
    if club is None or club.province is None:
        raise not_found("club")
    in_force = plans_in_force(await load_plans(session), q.as_of)
    legacy = placement.place(club.commune_code or "", club.legacy_commune_code, Boundary.LEGACY)
    plan = plan_for_club(in_force, club.province, legacy.province)
    bands = bands_for(plan, q.older_age)
    record = await club_record(session, club.club_id, q.as_of, q.period_start, bands.older_age)
    base = {
        **_query_fields(q),
        "scope": "club",
        "club_id": club.club_id,
        "name": club.name,
        "province": club.province,
        "founded_on": club.founded_on,
        "dissolved_on": club.dissolved_on,
    }
    if record is None:
        return {**base, "active": False, "indicators": None}
    place = placement.place(record.commune_code, record.legacy_commune_code, q.boundary)
    return {
        **base,
        "active": True,
        "place": {"province": place.province, "commune": place.commune},
        "indicators": _club_row(record, judge(record.facts, bands)),
    }


# -- rollout ------------------------------------------------------------------------


def _last_month(on: date) -> tuple[date, date]:
    first_this = on.replace(day=1)
    last_prev = first_this - timedelta(days=1)
    return last_prev.replace(day=1), last_prev


async def rollout_unchecked(session: AsyncSession, provinces: Provinces = None) -> dict[str, Any]:
    """Where each province's rollout stands: plan, clubs and members, last data,
    and its reporting rate (active clubs with a meeting recorded for last month,
    over active clubs, as DHIS2 counts reporting rates)."""
    return await rollout_on_unchecked(session, today(), provinces)


async def rollout_on_unchecked(
    session: AsyncSession, on: date, provinces: Provinces = None
) -> dict[str, Any]:
    """`rollout_unchecked` as of a day (the dashboard's date picker): clubs and
    members of that day, the reporting rate of the month before it; the last
    data is the latest received, whatever the day. Each plan also by its title."""
    start, end = _last_month(on)
    plans = await load_plans(session)
    records = await active_clubs(session, as_of=on, period_start=start, older_age=60)
    current: tuple[ColumnElement[bool], ...] = (
        col(MemberFact.joined_on).is_not(None),
        col(MemberFact.left_on).is_(None),
    )
    if on < today():  # members of that day: joined by then and not yet left
        current = (
            col(MemberFact.joined_on) <= on,
            col(MemberFact.left_on).is_(None) | (col(MemberFact.left_on) > on),
        )
    members = dict(
        (
            await session.exec(
                select(MemberFact.province, func.count())
                .where(*current)
                .group_by(col(MemberFact.province))
            )
        ).all()
    )
    last_data = dict(
        (
            await session.exec(
                select(ClubTouch.province, func.max(ClubTouch.last_event_at)).group_by(
                    col(ClubTouch.province)
                )
            )
        ).all()
    )
    clubs: dict[str, int] = defaultdict(int)
    reporting: dict[str, int] = defaultdict(int)
    for record in records:
        clubs[record.province] += 1
        if any(start <= date(y, m, 1) <= end for y, m in record.facts.months_met):
            reporting[record.province] += 1
    rows = []
    for unit in placement.provinces(Boundary.CURRENT):
        if provinces is not None and unit.code not in provinces:
            continue
        last = last_data.get(unit.code)
        rows.append(
            {
                "code": unit.code,
                "name": unit.name,
                "plans": sorted(p.id for p in plans if p.province == unit.code),
                "plan_titles": [
                    p.title for p in sorted(plans, key=lambda p: p.id) if p.province == unit.code
                ],
                "clubs": clubs[unit.code],
                "members": int(members.get(unit.code, 0)),
                "last_data_at": as_utc(last) if last else None,
                "reporting_month": f"{start:%Y-%m}",
                "reporting_rate": percent(reporting[unit.code], clubs[unit.code]),
                "live": last is not None and clubs[unit.code] > 0,
            }
        )
    return {"as_of": on, "provinces": rows}


async def projection_state(session: AsyncSession) -> ProjectionState | None:
    return await session.get(ProjectionState, 1)
