"""The past dates last read are kept warm per process (ADR 0008), and late data
reaches them as it reaches today's figures; SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ishc_platform.admin_units import Boundary
from ishc_platform.db import Database
from ishc_platform.migrate import upgrade
from ishc_reporting.queries import snapshots, warm
from ishc_reporting.queries.indicators import plans_fingerprint
from ishc_reporting.service import indicators as service
from tests.reporting.conftest import NATIONAL, Registry, feeder, loaded_client

MID_JUNE = date(2025, 6, 15)


async def test_a_kept_past_date_takes_late_data_and_equals_a_cold_read(
    reporting_db: Database, registry: Registry
) -> None:
    a = registry.club("29623", date(2025, 1, 1))
    members = registry.members(a, "86", 3, joined_on=date(2025, 2, 1))
    consumer = feeder(reporting_db)
    await consumer.apply_log(registry.log)
    q = service.make_query(MID_JUNE, Boundary.CURRENT, None, None)
    url = str(reporting_db.engine.url)

    async def figures() -> tuple[Any, Any]:
        async with reporting_db.sessions() as session:
            table = await service.province_table(session, NATIONAL, q)
            nation = await service.national(session, NATIONAL, q)
        row = next(r for r in table["provinces"] if r["code"] == "86")
        return row["indicators"], nation["indicators"]

    warm.forget_warm_caches()
    first = await figures()
    assert first[0]["members"] == 3
    assert MID_JUNE in warm._CACHES[url].past  # kept

    # Late: two joined in March and one left in April, entered in November.
    registry.log.clear()
    registry.members(a, "86", 2, joined_on=date(2025, 3, 1))
    registry.leave(members[0], a, "86", date(2025, 4, 1))
    registry.members(a, "86", 1, joined_on=date(2025, 7, 1))  # after the date: not counted
    await consumer.apply_log(registry.log)

    patched = await figures()
    assert patched[0]["members"] == 4  # 3 + 2 - 1
    warm.forget_warm_caches()
    assert await figures() == patched  # as computed from the facts


async def test_only_the_last_past_dates_read_are_kept(
    reporting_db: Database, registry: Registry
) -> None:
    registry.club("29623", date(2020, 1, 1))
    await feeder(reporting_db).apply_log(registry.log)
    url = str(reporting_db.engine.url)
    warm.forget_warm_caches()
    days = [date(2025, month, 10) for month in range(1, warm.PAST_DATES_KEPT + 3)]
    async with reporting_db.sessions() as session:
        for day in days:
            q = service.make_query(day, Boundary.CURRENT, None, None)
            table = await service.province_table(session, NATIONAL, q)
            assert (
                next(r for r in table["provinces"] if r["code"] == "86")["indicators"]["clubs"] == 1
            )
        # A period other than the date's default is not kept.
        other = service.make_query(date(2024, 5, 5), Boundary.CURRENT, date(2024, 1, 1), None)
        await service.province_table(session, NATIONAL, other)
    assert list(warm._CACHES[url].past) == days[-warm.PAST_DATES_KEPT :]


def test_the_service_builds_its_snapshots_in_the_background(
    tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app's snapshot job (`ISHC_SNAPSHOT_SECONDS`) builds the months from
    the first club's founding to last month, and their trend shares."""
    url = f"sqlite:///{tmp_path}/reporting.db"
    registry = Registry()
    club = registry.club("29623", date(2026, 8, 20))
    registry.members(club, "86", 3, joined_on=date(2026, 8, 20))
    monkeypatch.setenv("ISHC_SNAPSHOT_SECONDS", "0.05")

    async def built() -> tuple[set[date], set[date]]:
        db = Database(url)
        try:
            async with db.sessions() as session:
                months = {m for m, _ in await snapshots.built_months(session)}
                return months, await snapshots.trend_months(session, plans_fingerprint([]))
        finally:
            await db.dispose()

    # The tests' clock: 18:30 UTC on 30/11/2026, already 01/12 in Vietnam.
    expected = {date(2026, 8, 31), date(2026, 9, 30), date(2026, 10, 31), date(2026, 11, 30)}
    with loaded_client(url, redis_url, "s" * 48, registry=registry):
        deadline = time.monotonic() + 30
        while asyncio.run(built()) != (expected, expected) and time.monotonic() < deadline:
            time.sleep(0.2)
    assert asyncio.run(built()) == (expected, expected)


def test_the_snapshots_command_builds_every_month_and_says_so(tmp_path: Path) -> None:
    """`ishc-reporting snapshots` does at once what the job does a month at a time."""
    from typer.testing import CliRunner

    from ishc_reporting.cli import app

    url = f"sqlite:///{tmp_path}/reporting.db"
    upgrade("reporting", url)
    registry = Registry()
    club = registry.club("29623", date(2026, 9, 5))
    registry.members(club, "86", 2, joined_on=date(2026, 9, 5))

    async def load() -> None:
        db = Database(url)
        await feeder(db).apply_log(registry.log)
        await db.dispose()

    asyncio.run(load())
    runner = CliRunner()
    first = runner.invoke(app, ["snapshots", "--database-url", url])
    assert first.exit_code == 0, first.output
    said = " ".join(first.output.split())  # the console wraps its lines
    # September, October and November 2026 (today is 01/12/2026 in Vietnam).
    assert "3 months built" in said and "3 months of trend shares measured" in said
    assert "3 months of roll-ups stored" in said
    again = runner.invoke(app, ["snapshots", "--database-url", url])
    assert again.exit_code == 0, again.output
    said = " ".join(again.output.split())
    assert "0 months built" in said
    assert "0 months, 0 of trend shares and 0 of roll-ups left" in said
