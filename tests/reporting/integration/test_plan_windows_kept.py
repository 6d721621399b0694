"""A national plan's windows (a target measured from its start, 01/01/2025 for
1648/QĐ-TTg, to today) are kept per process like a date, and a batch
recomputes only the clubs it touched (issue 16: a national page read again
after any event measured every club of the nation over every window). The
page after a batch equals a cold read. SQLite and PostgreSQL; the tests'
clock makes today 01/12/2026."""

from __future__ import annotations

import json
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ishc_platform.admin_units import Boundary
from ishc_platform.clock import today
from ishc_platform.consumer import InboxConsumer
from ishc_platform.db import Database
from ishc_reporting.domain.indicators import Rollup, count_up
from ishc_reporting.domain.plans import PlanDoc
from ishc_reporting.domain.targets import Depth
from ishc_reporting.queries import warm
from ishc_reporting.queries.facts import computed_clubs
from ishc_reporting.queries.targets import forget_measurements
from ishc_reporting.service import indicators as service
from ishc_reporting.service import plans as plan_service
from tests.reporting.conftest import NATIONAL, Registry, feeder

PLAN = Path(__file__).parents[3] / "services/reporting/plans/national-2025-2035.toml"


async def national_plans(db: Database) -> list[dict[str, Any]]:
    q = service.make_query(None, Boundary.CURRENT, None, None)
    async with db.sessions() as session:
        page = await service.national(session, NATIONAL, q)
    plans: list[dict[str, Any]] = page["plans"]
    return plans


async def put_plans(db: Database, *paths: Path) -> None:
    async with db.sessions() as session:
        for path in paths:
            body = json.loads(json.dumps(tomllib.loads(path.read_text()), default=str))
            await plan_service.put_plan(session, NATIONAL, PlanDoc.model_validate(body))


async def one_club_under_the_plan(db: Database, registry: Registry) -> tuple[str, InboxConsumer]:
    """1648/QĐ-TTg stored, and a club of 2025 with three older members applied."""
    await put_plans(db, PLAN)
    club = registry.club("29623", date(2025, 2, 1))
    registry.members(club, "86", 3, joined_on=date(2025, 3, 1), birth_year=1950)
    consumer = feeder(db)
    await consumer.apply_log(registry.log)
    return club, consumer


def count_whole_reads(monkeypatch: pytest.MonkeyPatch) -> list[date]:
    """From now on, the dates of every read of all the nation's clubs (not of
    the clubs a batch touched) by the kept dates and windows."""
    whole_reads: list[date] = []
    load = warm.active_clubs

    async def counting(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("club_ids") is None:
            whole_reads.append(kwargs["as_of"])
        return await load(*args, **kwargs)

    monkeypatch.setattr(warm, "active_clubs", counting)
    return whole_reads


async def test_a_national_plans_window_is_patched_per_batch_and_equals_a_cold_read(
    reporting_db: Database, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    club, consumer = await one_club_under_the_plan(reporting_db, registry)
    warm.forget_warm_caches()
    forget_measurements()

    before = await national_plans(reporting_db)
    windows = warm._CACHES[str(reporting_db.engine.url)].windows
    assert (today(), date(2025, 1, 1), Depth.MEMBERSHIP) in windows

    # Whole reads of the nation from here on would mean the window was not kept.
    load = warm.active_clubs
    whole_reads = count_whole_reads(monkeypatch)
    registry.log.clear()
    other = registry.club("29623", date(2026, 11, 1))
    registry.members(other, "86", 2, joined_on=date(2026, 11, 20), birth_year=1955)
    registry.members(club, "86", 1, joined_on=date(2025, 6, 1), birth_year=1948)  # late
    await consumer.apply_log(registry.log)

    patched = await national_plans(reporting_db)
    assert patched != before
    assert whole_reads == []
    monkeypatch.setattr(warm, "active_clubs", load)
    warm.forget_warm_caches()
    forget_measurements()
    assert await national_plans(reporting_db) == patched  # as computed from the facts


async def test_the_windows_kept_are_bounded(
    reporting_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(warm, "WINDOWS_KEPT", 2)
    warm.forget_warm_caches()
    async with reporting_db.sessions() as session:
        for year in (2021, 2022, 2023):
            assert warm.warm_window(session, today(), date(year, 1, 1), Depth.PLACES) is not None
        with warm.not_kept():
            assert warm.warm_window(session, today(), date(2020, 1, 1), Depth.PLACES) is None
    kept = warm._CACHES[str(reporting_db.engine.url)].windows
    assert [start.year for _on, start, _depth in kept] == [2022, 2023]


async def test_a_plans_baseline_date_is_kept_apart_at_its_depth(
    reporting_db: Database, registry: Registry
) -> None:
    """1648/QĐ-TTg's baseline, 31/07/2025, needs only where the clubs were: it
    is kept with the windows at that depth, and takes no place among the past
    dates people read (four per process)."""
    await one_club_under_the_plan(reporting_db, registry)
    warm.forget_warm_caches()
    forget_measurements()

    plans = await national_plans(reporting_db)

    caches = warm._CACHES[str(reporting_db.engine.url)]
    assert list(caches.past) == []
    baseline = date(2025, 7, 31)
    kept = [(on, depth) for on, _start, depth in caches.windows if on == baseline]
    assert kept == [(baseline, Depth.PLACES)]
    warm.forget_warm_caches()
    forget_measurements()
    with warm.not_kept():  # nothing kept: every measurement read from the facts
        assert await national_plans(reporting_db) == plans


async def test_a_window_kept_deeper_serves_a_shallower_target(reporting_db: Database) -> None:
    warm.forget_warm_caches()
    async with reporting_db.sessions() as session:
        deep = warm.warm_window(session, today(), date(2025, 1, 1), Depth.ALL)
        assert warm.warm_window(session, today(), date(2025, 1, 1), Depth.PLACES) is deep
        assert warm.warm_window(session, today(), date(2025, 1, 1), Depth.MEMBERSHIP) is deep
        other = warm.warm_window(session, today(), date(2026, 1, 1), Depth.PLACES)
        assert other is not deep
        assert warm.warm_window(session, today(), date(2026, 1, 1), Depth.ALL) is not other


async def test_a_shallow_read_counts_what_a_full_read_counts(
    reporting_db: Database, registry: Registry
) -> None:
    """A window of years read at the places' or the members' depth gives the
    counts a full read gives; it only leaves out what it does not read (the
    meetings, and the months a club had to meet in)."""
    founded = registry.club("29623", date(2020, 3, 1))
    registry.members(founded, "86", 4, joined_on=date(2020, 4, 1), birth_year=1950)
    registry.members(founded, "86", 2, joined_on=date(2022, 5, 1), birth_year=1990, sex="male")
    registry.meeting(founded, "86", date(2023, 6, 10))
    late = registry.club("29623", date(2024, 2, 1))
    registry.members(late, "86", 3, joined_on=date(2024, 3, 1), birth_year=1955)
    leaver = registry.members(late, "86", 1, joined_on=date(2024, 3, 1), birth_year=1940)[0]
    registry.leave(leaver, late, "86", date(2025, 1, 1))
    await feeder(reporting_db).apply_log(registry.log)

    async def count(depth: Depth) -> tuple[Rollup, list[frozenset[tuple[int, int]]]]:
        async with reporting_db.sessions() as session:
            records = await computed_clubs(
                session, as_of=date(2025, 11, 30), period_start=date(2021, 1, 1),
                older_age=60, depth=depth,
            )  # fmt: skip
        rollup = count_up((r.facts, r.commune_code) for r in records)
        return rollup, [r.facts.months_required for r in records]

    full, full_months = await count(Depth.ALL)
    assert (full.clubs, full.new_clubs, full.members, full.new_members) == (2, 1, 9, 5)
    assert all(len(months) > 0 for months in full_months)
    for depth in (Depth.MEMBERSHIP, Depth.PLACES):
        shallow, months = await count(depth)
        assert months == [frozenset(), frozenset()]
        if depth is Depth.MEMBERSHIP:
            assert shallow == full
        else:
            assert (shallow.clubs, shallow.new_clubs, shallow.communes_with_club) == (
                full.clubs, full.new_clubs, full.communes_with_club,
            )  # fmt: skip


async def test_a_page_with_both_national_plans_keeps_all_it_reads(
    reporting_db: Database, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On 30/11/2025 both national plans are in force: their windows and
    baseline dates all stay kept, so the page read again after the
    measurements are dropped reads no club set of the nation again."""
    await put_plans(reporting_db, *sorted(PLAN.parent.glob("national-*.toml")))
    club = registry.club("29623", date(2021, 2, 1))
    registry.members(club, "86", 3, joined_on=date(2025, 3, 1), birth_year=1950)
    await feeder(reporting_db).apply_log(registry.log)
    month_end = date(2025, 11, 30)
    warm.forget_warm_caches()
    forget_measurements()
    q = service.make_query(month_end, Boundary.CURRENT, None, None)

    async def page() -> dict[str, Any]:
        async with reporting_db.sessions() as session:
            return await service.national(session, NATIONAL, q)

    first = await page()
    windows = warm._CACHES[str(reporting_db.engine.url)].windows
    assert len(first["plans"]) == 2
    assert 4 <= len(windows) <= warm.WINDOWS_KEPT
    whole_reads = count_whole_reads(monkeypatch)
    forget_measurements()
    assert await page() == first
    assert whole_reads == []


async def test_forgetting_past_dates_keeps_todays_records(
    reporting_db: Database, registry: Registry
) -> None:
    club = registry.club("29623", date(2025, 2, 1))
    registry.members(club, "86", 2, joined_on=date(2025, 3, 1))
    await feeder(reporting_db).apply_log(registry.log)
    warm.forget_warm_caches()
    async with reporting_db.sessions() as session:
        for as_of in (None, date(2025, 11, 30)):
            q = service.make_query(as_of, Boundary.CURRENT, None, None)
            await service.national(session, NATIONAL, q)
        warm.warm_window(session, today(), date(2025, 1, 1), Depth.PLACES)
    caches = warm._CACHES[str(reporting_db.engine.url)]
    assert caches.today.records and caches.past and caches.windows

    warm.forget_past_dates()

    assert caches.today.records
    assert not caches.past and not caches.windows and not caches.clubs
