"""Use cases of the reporting service: indicators, plans, the rollout view.
Only this module commits."""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import structlog
from fastapi.encoders import jsonable_encoder
from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_platform import admin_units
from ishc_platform.admin_units import Boundary
from ishc_platform.auth import Caller, Role, ensure_collection_allowed
from ishc_platform.clock import today, utcnow
from ishc_platform.errors import Problem, invalid, not_found
from ishc_reporting.domain import placement
from ishc_reporting.domain.indicators import (
    DEFAULT_BANDS,
    Bands,
    Rollup,
    default_period_start,
    judge,
    percent,
)
from ishc_reporting.domain.plans import (
    PLAN_ID_PATTERN,
    PlanDoc,
    choose_plan,
    gap,
    legacy_province_fits,
    province_may_write,
    target_for,
)
from ishc_reporting.models import ClubFact, ClubTouch, MemberFact, Plan, ProjectionState
from ishc_reporting.projections import ClubRecord, active_clubs
from ishc_reporting.today import NATION as NATION_GROUP
from ishc_reporting.today import Grouping, TodayCache, cache_for, roll_up_groups

log = structlog.get_logger(__name__)
# Record ids are UUIDs (the registry's); anything else names no club and must
# not reach the database (a NUL there is a PostgreSQL error, not a 404).
RECORD_ID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


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


def require_reader(caller: Caller) -> None:
    if caller.role not in (Role.NATIONAL, Role.PROVINCE):
        raise Problem(403, "indicators are read with a national or province token")


# -- plans -------------------------------------------------------------------------


async def load_plans(session: AsyncSession) -> list[PlanDoc]:
    rows = (await session.exec(select(Plan))).all()
    return [doc for row in rows if (doc := _stored_plan(row)) is not None]


def _stored_plan(row: Plan) -> PlanDoc | None:
    """A stored plan, or None for one written before today's rules (a year-1
    date, a control character) that no longer validates: it is skipped, and
    logged, rather than breaking every indicator."""
    try:
        return PlanDoc.model_validate_json(row.body)
    except ValidationError as exc:
        log.warning("plans.invalid_stored_plan", plan=row.id, errors=exc.error_count())
        return None


def plans_by_province(
    plans: list[PlanDoc], as_of: date
) -> tuple[dict[str, PlanDoc], PlanDoc | None]:
    """The plan in force per province (keyed by current and by legacy code), and the nation's."""
    grouped: dict[str, list[PlanDoc]] = defaultdict(list)
    national: list[PlanDoc] = []
    for plan in plans:
        if plan.scope == "nation":
            national.append(plan)
            continue
        if plan.province:
            grouped[f"current:{plan.province}"].append(plan)
        if plan.legacy_province:
            grouped[f"legacy:{plan.legacy_province}"].append(plan)
    chosen = {key: p for key, group in grouped.items() if (p := choose_plan(group, as_of))}
    return chosen, choose_plan(national, as_of)


def plan_for(chosen: dict[str, PlanDoc], province: str, boundary: Boundary) -> PlanDoc | None:
    if boundary is Boundary.LEGACY:
        found = chosen.get(f"legacy:{province}")
        if found:
            return found
        successor = admin_units.current_province_of_legacy_province(province)
        return chosen.get(f"current:{successor.code}") if successor else None
    return chosen.get(f"current:{province}")


async def put_plan(session: AsyncSession, caller: Caller, doc: PlanDoc) -> tuple[PlanDoc, bool]:
    """Create or replace a plan. National tokens write any plan; province tokens
    only plans wholly within their provinces, current and legacy (the policy is
    `domain.plans.province_may_write`), and never replace a plan that is not
    wholly theirs. Returns the plan and whether it is new."""
    if caller.role is Role.PROVINCE:
        if not province_may_write(doc, caller.provinces):
            raise Problem(403, "a province token writes only its own provinces' plans")
    elif caller.role is not Role.NATIONAL:
        raise Problem(403, "plans are written with a national or province token")
    if doc.province and admin_units.current_province(doc.province) is None:
        raise invalid("province", f"{doc.province} is not a current province code")
    if doc.legacy_province and admin_units.legacy_province(doc.legacy_province) is None:
        raise invalid("legacy_province", f"{doc.legacy_province} is not a legacy province code")
    if not legacy_province_fits(doc):
        raise invalid(
            "legacy_province",
            f"old province {doc.legacy_province} was not merged into province {doc.province}",
        )
    row = await session.get(Plan, doc.id)
    if row is not None and caller.role is Role.PROVINCE:
        stored = _stored_plan(row)
        if stored is None or not province_may_write(stored, caller.provinces):
            # A plan the caller can read (the nation's, its own province's) is
            # refused; another province's does not exist for it.
            readable = row.scope == "nation" or caller.can_see_province(row.province or "")
            if readable:
                raise Problem(403, "this plan is not the token's provinces' to replace")
            raise not_found("plan")
    created = row is None
    body = doc.model_dump_json(by_alias=True, exclude_none=True)
    if row is None:
        row = Plan(
            id=doc.id,
            scope=doc.scope,
            province=doc.province,
            period_start=doc.period_start,
            period_end=doc.period_end,
            body=body,
            updated_at=utcnow(),
            updated_by=caller.sub,
        )
    else:
        row.scope, row.province, row.body = doc.scope, doc.province, body
        row.period_start, row.period_end = doc.period_start, doc.period_end
        row.version += 1
        row.updated_at, row.updated_by = utcnow(), caller.sub
    session.add(row)
    await session.commit()
    return doc, created


async def list_plans(session: AsyncSession, caller: Caller, province: str | None) -> list[PlanDoc]:
    require_reader(caller)
    if province is not None:
        ensure_collection_allowed(caller, province)
    plans = await load_plans(session)
    visible = [p for p in plans if p.scope == "nation" or caller.can_see_province(p.province or "")]
    if province is not None:
        visible = [p for p in visible if p.province == province]
    return sorted(visible, key=lambda p: (p.scope, p.province or "", p.period_start, p.id))


async def get_plan(session: AsyncSession, caller: Caller, plan_id: str) -> PlanDoc:
    require_reader(caller)
    if not re.fullmatch(PLAN_ID_PATTERN, plan_id):
        raise not_found("plan")
    row = await session.get(Plan, plan_id)
    if row is None or (row.scope == "province" and not caller.can_see_province(row.province or "")):
        raise not_found("plan")
    return PlanDoc.model_validate_json(row.body)


# -- indicators ---------------------------------------------------------------------


def _targets(
    plan: PlanDoc | None, rollup: Rollup, as_of: date, boundary: Boundary
) -> dict[str, dict[str, Any]]:
    """Each indicator the plan sets a target for, with the value, target and gap."""
    if plan is None:
        return {}
    values: dict[str, Decimal | int | None] = {
        "coverage": rollup.coverage,
        "clubs": rollup.clubs,
        "new_clubs": rollup.new_clubs,
        "members": rollup.members,
        "new_members": rollup.new_members,
        "new_older_members": rollup.new_older_members,
        **rollup.shares(),
    }
    # A plan written on the old map counts coverage over its own communes.
    if boundary is Boundary.LEGACY and plan.commune_count:
        values["coverage"] = percent(rollup.communes_with_club, plan.commune_count)
    result = {}
    for indicator, value in values.items():
        target = target_for(plan, indicator, as_of)
        if target is not None:
            result[indicator] = {
                "value": value,
                "target": target.value,
                "by": target.by,
                "gap": gap(value, target),
            }
    return result


def _plan_summary(plan: PlanDoc | None) -> dict[str, Any] | None:
    if plan is None:
        return None
    return {
        "id": plan.id,
        "title": plan.title,
        "period_start": plan.period_start,
        "period_end": plan.period_end,
        "older_age": plan.older_age,
    }


def _bands(plan: PlanDoc | None, older_age: int | None) -> Bands:
    bands = plan.bands_for_indicators if plan else DEFAULT_BANDS
    if older_age is not None and older_age != bands.older_age:
        bands = replace(bands, older_age=older_age)
    return bands


async def _clubs_with_ages(
    session: AsyncSession,
    q: Query,
    ages: set[int],
    provinces: set[str] | None = None,
    club_ids: set[str] | None = None,
) -> dict[int, list[ClubRecord]]:
    """Active clubs counted with each older-age threshold asked for."""
    return {
        age: await active_clubs(
            session,
            as_of=q.as_of,
            period_start=q.period_start,
            older_age=age,
            provinces=provinces,
            club_ids=club_ids,
        )
        for age in sorted(ages)
    }


def _current_provinces_for(boundary: Boundary, codes: set[str]) -> set[str]:
    """The current provinces whose clubs can land in these provinces of `boundary`."""
    if boundary is Boundary.CURRENT:
        return codes
    found = set()
    for code in codes:
        successor = admin_units.current_province_of_legacy_province(code)
        if successor:
            found.add(successor.code)
    return found


def _fingerprint(plans: list[PlanDoc], older_age: int | None) -> str:
    body = "|".join(sorted(p.model_dump_json() for p in plans))
    return hashlib.sha256(f"{body}|{older_age}".encode()).hexdigest()


async def _rollups(
    session: AsyncSession,
    q: Query,
    grouping: Grouping,
    groups: set[str],
    communes: Callable[[str], int | None],
    scope: set[str] | None,
) -> tuple[dict[str, Rollup], int]:
    """Roll-ups per group: from the warm cache for today, else from the database
    (`scope`: the current provinces whose clubs can count, None for all)."""
    if TodayCache.applies(q.as_of, q.period_start):
        return await cache_for(session).rollups(
            session, q.as_of, q.period_start, grouping, groups, communes
        )
    ages = {grouping.bands(g).older_age for g in groups}
    by_age = await _clubs_with_ages(session, q, ages, scope)
    records = {age: {r.club_id: r for r in rows} for age, rows in by_age.items()}
    return roll_up_groups(records, grouping, groups, communes)


async def province_table(session: AsyncSession, caller: Caller, q: Query) -> dict[str, Any]:
    """Every province the caller may see, one row each, with its plan's targets."""
    require_reader(caller)
    every = placement.provinces(q.boundary)
    units = every
    if caller.role is Role.PROVINCE:
        visible = placement.visible_provinces(caller.provinces, q.boundary)
        units = [u for u in every if u.code in visible]
    all_plans = await load_plans(session)
    chosen, national = plans_by_province(all_plans, q.as_of)
    plans = {u.code: plan_for(chosen, u.code, q.boundary) for u in every}
    bands = {code: _bands(plan, q.older_age) for code, plan in plans.items()}
    grouping = Grouping(
        boundary=q.boundary,
        per_province=True,
        bands=lambda code: bands.get(code, DEFAULT_BANDS),
        fingerprint=_fingerprint(all_plans, q.older_age),
    )
    codes = {u.code for u in units}
    scope = None if caller.role is Role.NATIONAL else _current_provinces_for(q.boundary, codes)
    rollups, unplaced = await _rollups(
        session,
        q,
        grouping,
        codes,
        lambda code: placement.commune_count(code, q.boundary),
        scope,
    )
    rows = [
        {
            "code": unit.code,
            "name": unit.name,
            "plan": _plan_summary(plans[unit.code]),
            "indicators": rollups[unit.code].as_dict(),
            "targets": _targets(plans[unit.code], rollups[unit.code], q.as_of, q.boundary),
        }
        for unit in units
    ]
    return {
        **_query_fields(q),
        "provinces": rows,
        "unplaced": unplaced if caller.role is Role.NATIONAL else None,
        "national_plan": _plan_summary(national),
    }


def _query_fields(q: Query) -> dict[str, Any]:
    return {"as_of": q.as_of, "boundary": q.boundary.value, "period_start": q.period_start}


async def national(session: AsyncSession, caller: Caller, q: Query) -> dict[str, Any]:
    require_reader(caller)
    if caller.role is not Role.NATIONAL:
        raise Problem(403, "the national figures are read with a national token")
    all_plans = await load_plans(session)
    _chosen, plan = plans_by_province(all_plans, q.as_of)
    bands = _bands(plan, q.older_age)
    grouping = Grouping(
        boundary=q.boundary,
        per_province=False,
        bands=lambda _group: bands,
        fingerprint=_fingerprint(all_plans, q.older_age),
    )
    total_communes = sum(
        placement.commune_count(u.code, q.boundary) for u in placement.provinces(q.boundary)
    )
    rollups, _unplaced = await _rollups(
        session, q, grouping, {NATION_GROUP}, lambda _group: total_communes, None
    )
    rollup = rollups[NATION_GROUP]
    table = await province_table(session, caller, q)
    provinces_with_club = sum(1 for row in table["provinces"] if row["indicators"]["clubs"])
    result = rollup.as_dict()
    total = len(table["provinces"])
    result["provinces"] = total
    result["provinces_with_clubs"] = provinces_with_club
    targets = _targets(plan, rollup, q.as_of, q.boundary)
    share = percent(provinces_with_club, total)
    target = target_for(plan, "provinces_with_clubs", q.as_of) if plan else None
    if target is not None:
        targets["provinces_with_clubs"] = {
            "value": share,
            "target": target.value,
            "by": target.by,
            "gap": gap(share, target),
        }
    return {
        **_query_fields(q),
        "scope": "nation",
        "plan": _plan_summary(plan),
        "indicators": result,
        "targets": targets,
    }


async def province_detail(
    session: AsyncSession, caller: Caller, code: str, q: Query
) -> dict[str, Any]:
    """A province with its communes (every one, with or without a club)."""
    require_reader(caller)
    unit = placement.province_unit(code, q.boundary)
    visible = caller.role is Role.NATIONAL or code in placement.visible_provinces(
        caller.provinces, q.boundary
    )
    if unit is None or not visible:
        raise not_found("province")
    chosen, _national = plans_by_province(await load_plans(session), q.as_of)
    plan = plan_for(chosen, code, q.boundary)
    bands = _bands(plan, q.older_age)
    scope = _current_provinces_for(q.boundary, {code})
    records = (await _clubs_with_ages(session, q, {bands.older_age}, scope))[bands.older_age]
    communes = {c.code: Rollup(communes=1) for c in placement.communes(code, q.boundary)}
    rollup = Rollup(communes=len(communes))
    province_only = 0
    for record in records:
        place = placement.place(record.commune_code, record.legacy_commune_code, q.boundary)
        if place.province != code:
            continue
        quality = judge(record.facts, bands)
        rollup.add(record.facts, quality)
        if place.commune in communes:
            communes[place.commune].add(record.facts, quality)
        else:
            province_only += 1
    for commune in communes.values():
        commune.communes_with_club = 1 if commune.clubs else 0
    rollup.communes_with_club = sum(1 for c in communes.values() if c.clubs)
    names = {c.code: c.name for c in placement.communes(code, q.boundary)}
    return {
        **_query_fields(q),
        "scope": "province",
        "code": code,
        "name": unit.name,
        "plan": _plan_summary(plan),
        "indicators": rollup.as_dict(),
        "targets": _targets(plan, rollup, q.as_of, q.boundary),
        "clubs_placed_in_province_only": province_only,
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
    }


async def commune_detail(
    session: AsyncSession, caller: Caller, code: str, q: Query
) -> dict[str, Any]:
    """A commune with its clubs."""
    require_reader(caller)
    unit = placement.commune_unit(code, q.boundary)
    if unit is None:
        raise not_found("commune")
    visible = caller.role is Role.NATIONAL or unit.province_code in placement.visible_provinces(
        caller.provinces, q.boundary
    )
    if not visible:
        raise not_found("commune")
    chosen, _national = plans_by_province(await load_plans(session), q.as_of)
    plan = plan_for(chosen, unit.province_code, q.boundary)
    bands = _bands(plan, q.older_age)
    scope = _current_provinces_for(q.boundary, {unit.province_code})
    records = (await _clubs_with_ages(session, q, {bands.older_age}, scope))[bands.older_age]
    rollup = Rollup(communes=1)
    clubs = []
    for record in records:
        place = placement.place(record.commune_code, record.legacy_commune_code, q.boundary)
        if place.commune != code:
            continue
        quality = judge(record.facts, bands)
        rollup.add(record.facts, quality)
        clubs.append(_club_row(record, quality))
    rollup.communes_with_club = 1 if rollup.clubs else 0
    return {
        **_query_fields(q),
        "scope": "commune",
        "code": code,
        "name": unit.name,
        "province": unit.province_code,
        "indicators": rollup.as_dict(),
        "clubs": sorted(clubs, key=lambda c: (c["name"] or "", c["club_id"])),
    }


def _club_row(record: ClubRecord, quality: Any) -> dict[str, Any]:
    f = record.facts
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
        "volunteers": f.volunteers,
        "new_members": f.new_members,
        "board_complete": f.board_complete,
        "months_required": len(f.months_required),
        "months_met": len(f.months_required & f.months_met),
        "activity_areas": sorted(f.activity_areas),
        "hardship_cases_supported": f.hardship_cases_supported,
        "checks": {flag: getattr(quality, flag) for flag in quality.__dataclass_fields__},
    }


async def club_detail(
    session: AsyncSession, caller: Caller, club_id: str, q: Query
) -> dict[str, Any]:
    require_reader(caller)
    if not re.fullmatch(RECORD_ID_PATTERN, club_id):
        raise not_found("club")
    club = await session.get(ClubFact, club_id)
    if club is None or club.province is None or not caller.can_see_province(club.province):
        raise not_found("club")
    chosen, _national = plans_by_province(await load_plans(session), q.as_of)
    plan = plan_for(chosen, club.province, Boundary.CURRENT)
    bands = _bands(plan, q.older_age)
    records = (await _clubs_with_ages(session, q, {bands.older_age}, club_ids={club_id}))[
        bands.older_age
    ]
    base = {
        **_query_fields(q),
        "scope": "club",
        "club_id": club_id,
        "name": club.name,
        "province": club.province,
        "founded_on": club.founded_on,
        "dissolved_on": club.dissolved_on,
    }
    if not records:
        return {**base, "active": False, "indicators": None}
    record = records[0]
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


async def rollout(session: AsyncSession, caller: Caller) -> dict[str, Any]:
    """Where each province's rollout stands: plan, clubs and members, last data,
    and its reporting rate (active clubs with a meeting recorded for last month,
    over active clubs, as DHIS2 counts reporting rates)."""
    require_reader(caller)
    on = today()
    start, end = _last_month(on)
    plans = await load_plans(session)
    records = await active_clubs(session, as_of=on, period_start=start, older_age=60)
    members = dict(
        (
            await session.exec(
                select(MemberFact.province, func.count())
                .where(col(MemberFact.joined_on).is_not(None), col(MemberFact.left_on).is_(None))
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
        if not caller.can_see_province(unit.code):
            continue
        last = last_data.get(unit.code)
        rows.append(
            {
                "code": unit.code,
                "name": unit.name,
                "plans": sorted(p.id for p in plans if p.province == unit.code),
                "clubs": clubs[unit.code],
                "members": int(members.get(unit.code, 0)),
                "last_data_at": aware(last) if last else None,
                "reporting_month": f"{start:%Y-%m}",
                "reporting_rate": percent(reporting[unit.code], clubs[unit.code]),
                "live": last is not None and clubs[unit.code] > 0,
            }
        )
    return {"as_of": on, "provinces": rows}


async def projection_state(session: AsyncSession) -> ProjectionState | None:
    return await session.get(ProjectionState, 1)


def jsonable(value: Any) -> Any:
    """For JSON answers: decimals stay exact strings ("0.80", not 0.8)."""
    return jsonable_encoder(value, custom_encoder={Decimal: str})


def aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def dump(value: Any) -> str:
    """JSON with dates and decimals as strings (reports keep exactly what they said)."""
    return json.dumps(value, default=_default, ensure_ascii=False, sort_keys=True)


def _default(value: Any) -> str:
    if isinstance(value, date | datetime | Decimal):
        return str(value) if not isinstance(value, date | datetime) else value.isoformat()
    raise TypeError(type(value).__name__)
