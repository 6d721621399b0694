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
from ishc_platform.db import Database
from ishc_reporting.domain.plans import PlanDoc
from ishc_reporting.domain.targets import Depth
from ishc_reporting.queries import warm
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


async def test_a_national_plans_window_is_patched_per_batch_and_equals_a_cold_read(
    reporting_db: Database, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = PlanDoc.model_validate(
        json.loads(json.dumps(tomllib.loads(PLAN.read_text()), default=str))
    )
    async with reporting_db.sessions() as session:
        await plan_service.put_plan(session, NATIONAL, doc)
    club = registry.club("29623", date(2025, 2, 1))
    registry.members(club, "86", 3, joined_on=date(2025, 3, 1), birth_year=1950)
    consumer = feeder(reporting_db)
    await consumer.apply_log(registry.log)
    warm.forget_warm_caches()
    forget_measurements()

    before = await national_plans(reporting_db)
    windows = warm._CACHES[str(reporting_db.engine.url)].windows
    assert (today(), date(2025, 1, 1), Depth.MEMBERSHIP) in windows

    # Whole reads of the nation from here on would mean the window was not kept.
    whole_reads = []
    load = warm.active_clubs

    async def counting(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("club_ids") is None:
            whole_reads.append(kwargs.get("period_start"))
        return await load(*args, **kwargs)

    monkeypatch.setattr(warm, "active_clubs", counting)
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
