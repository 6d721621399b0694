"""A plan's targets measured from the projection (`domain/targets.py` says how).

NO ACCESS CHECKS, as everywhere in `queries`: callers pass a plan the reader
may see. A plan is measured on its own territory whatever page shows it, with
its own older age, so every answer, page and report gives one figure for it.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import date
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_platform import admin_units
from ishc_platform.admin_units import Boundary
from ishc_reporting.domain import placement
from ishc_reporting.domain.indicators import count_up, roll_up
from ishc_reporting.domain.plans import PlanDoc
from ishc_reporting.domain.targets import (
    Depth,
    Measurement,
    MeasurementKey,
    Territory,
    assess_plan,
    measurement_depths,
    plan_boundary,
    territory_province,
)
from ishc_reporting.models import ProjectionState
from ishc_reporting.queries.clubs import active_clubs
from ishc_reporting.queries.warm import warm_cache, warm_window


def territory_of(plan: PlanDoc) -> Territory:
    """Where the plan is measured, and the one denominator of its coverage."""
    boundary = plan_boundary(plan)
    province = territory_province(plan)
    if province is None:
        in_package = sum(
            placement.commune_count(u.code, boundary) for u in placement.provinces(boundary)
        )
    else:
        in_package = placement.commune_count(province, boundary)
    return Territory(boundary, province, plan.commune_count or in_package, in_package)


def page_communes(plan: PlanDoc | None, code: str, boundary: Boundary) -> Territory | None:
    """The plan's own commune count when the page is exactly its territory
    (old Vĩnh Long on the old map under its 2016-2020 plan: 109, not the
    package's 102), so a page and its plan never show two coverages."""
    if plan is None or plan.commune_count is None:
        return None
    territory = territory_of(plan)
    if territory.province != code or territory.boundary is not boundary:
        return None
    return territory


def _current_provinces(territory: Territory) -> set[str] | None:
    """The current provinces whose clubs can lie in the territory (None: all)."""
    if territory.province is None:
        return None
    if territory.boundary is Boundary.CURRENT:
        return {territory.province}
    successor = admin_units.current_province_of_legacy_province(territory.province)
    return {successor.code} if successor else set()


async def _measure(
    session: AsyncSession, plan: PlanDoc, territory: Territory, key: MeasurementKey, depth: Depth
) -> Measurement:
    on, window_start = key
    whole = territory.province is None
    # Today's records, or a date a reader keeps warm already; else a national
    # plan's window or baseline date (31/12/2020, 31/07/2025) is kept apart,
    # at the depth its targets need: it must not push out the dates people
    # read, nor read a whole past date where the clubs' places are enough.
    cache = warm_cache(session, on, window_start, whole=False)
    if cache is None and whole:
        cache = warm_window(session, on, window_start, depth)
    if cache is not None:
        # Patched per batch, like the pages' own.
        cached = await cache.club_records(session, on, window_start, plan.older_age)
        records = list(cached.values())
    else:
        records = await active_clubs(
            session,
            as_of=on,
            period_start=window_start,
            older_age=plan.older_age,
            provinces=_current_provinces(territory),
            depth=depth,
        )
    placed = [
        (r, placement.place(r.commune_code, r.legacy_commune_code, territory.boundary))
        for r in records
    ]
    inside = [
        (r, p)
        for r, p in placed
        if not p.unplaced and (territory.province is None or p.province == territory.province)
    ]
    if depth is Depth.ALL:
        rollup = roll_up(
            ((r.facts, p.commune) for r, p in inside), plan.bands_for_indicators, territory.communes
        )
    else:
        rollup = count_up(((r.facts, p.commune) for r, p in inside), territory.communes)
    return Measurement(
        on=on,
        window_start=window_start,
        rollup=rollup,
        club_ids=frozenset(r.club_id for r, _p in inside),
        provinces_with_club=len({p.province for _r, p in inside}),
        provinces=len(placement.provinces(territory.boundary)),
    )


# Measurements kept per process while the projection's revision stays: a page
# asked again before any new event reads them, not the facts (bounded).
_MEMO: OrderedDict[tuple[str, str, MeasurementKey, Depth], tuple[int, Measurement]] = OrderedDict()
_MEMO_SIZE = 256


def forget_measurements() -> None:
    """Drop the kept measurements (the benchmark's cold case; a new revision does it per entry)."""
    _MEMO.clear()


async def _measured(
    session: AsyncSession,
    plan: PlanDoc,
    territory: Territory,
    key: MeasurementKey,
    depth: Depth,
    revision: int,
) -> Measurement:
    memo_key = (str(session.get_bind().engine.url), plan.model_dump_json(), key, depth)
    found = _MEMO.get(memo_key)
    if found is not None and found[0] == revision:
        _MEMO.move_to_end(memo_key)
        return found[1]
    measurement = await _measure(session, plan, territory, key, depth)
    _MEMO[memo_key] = (revision, measurement)
    _MEMO.move_to_end(memo_key)
    while len(_MEMO) > _MEMO_SIZE:
        _MEMO.popitem(last=False)
    return measurement


def plan_heading(plan: PlanDoc) -> dict[str, Any]:
    """What names a plan beside its figures."""
    return {
        "id": plan.id,
        "title": plan.title,
        "source": plan.source,
        "period_start": plan.period_start,
        "period_end": plan.period_end,
        "older_age": plan.older_age,
        "default": False,
    }


async def plan_progress_unchecked(
    session: AsyncSession, plan: PlanDoc, as_of: date
) -> dict[str, Any]:
    """A plan on `as_of`: its territory and every target measured over its window."""
    territory = territory_of(plan)
    revision = (
        await session.scalar(select(ProjectionState.revision).where(col(ProjectionState.id) == 1))
        or 0
    )
    measurements = {
        key: await _measured(session, plan, territory, key, depth, revision)
        for key, depth in sorted(measurement_depths(plan, as_of).items())
    }
    unit = (
        None
        if territory.province is None
        else placement.province_unit(territory.province, territory.boundary)
    )
    return {
        **plan_heading(plan),
        "territory": {
            "boundary": territory.boundary.value,
            "province": territory.province,
            "name": unit.name if unit else None,
            "communes": territory.communes,
            "communes_in_package": territory.communes_in_package,
            "communes_note": territory.note,
        },
        "targets": [t.as_dict() for t in assess_plan(plan, as_of, measurements, territory)],
    }
