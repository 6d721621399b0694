"""A club's page is kept per process until a batch touches the club (issue 16:
a club's page polled while its members are entered costs one indexed read
until something changes); whatever touches it, registry or finance, reaches
the page, which then equals a cold read. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ishc_platform.admin_units import Boundary
from ishc_platform.db import Database
from ishc_reporting.queries import warm
from ishc_reporting.service import indicators as service
from tests.reporting.conftest import VINH_LONG, Finance, Registry, feeder, finance_feeder

JUNE = date(2025, 6, 30)


class Counted:
    """How many times a club's record was computed rather than served kept."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        computed = warm._one_club

        async def counting(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return await computed(*args, **kwargs)

        monkeypatch.setattr(warm, "_one_club", counting)


async def page(db: Database, club_id: str, as_of: date = JUNE) -> dict[str, Any]:
    q = service.make_query(as_of, Boundary.CURRENT, None, None)
    async with db.sessions() as session:
        return await service.club_detail(session, VINH_LONG, club_id, q)


async def test_a_kept_club_page_takes_what_touches_it_and_equals_a_cold_read(
    reporting_db: Database, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    club = registry.club("29623", date(2025, 1, 1))
    other = registry.club("29623", date(2025, 1, 1))
    members = registry.members(club, "86", 3, joined_on=date(2025, 2, 1))
    consumer = feeder(reporting_db)
    await consumer.apply_log(registry.log)
    warm.forget_warm_caches()
    counted = Counted(monkeypatch)

    first = await page(reporting_db, club)
    assert first["indicators"]["members"] == 3
    assert await page(reporting_db, club) == first
    assert counted.calls == 1  # the second read was served kept

    # Another club's batch leaves this club's page kept.
    registry.log.clear()
    registry.members(other, "86", 2, joined_on=date(2025, 2, 1))
    await consumer.apply_log(registry.log)
    assert await page(reporting_db, club) == first
    assert counted.calls == 1

    # Late registry data, and a loan overdue by the date, each reach the page.
    registry.log.clear()
    registry.members(club, "86", 2, joined_on=date(2025, 3, 1))
    registry.leave(members[0], club, "86", date(2025, 4, 1))
    await consumer.apply_log(registry.log)
    joined = await page(reporting_db, club)
    assert joined["indicators"]["members"] == 4
    assert counted.calls == 2

    finance = Finance()
    fund = finance.fund(club, "86", "income", date(2025, 1, 15))
    finance.contribute(fund, club, "86", 30_000_000, date(2025, 1, 20))
    finance.lend(fund, club, "86", members[1], 3_000_000, date(2025, 2, 1), 3, 30_000)
    await finance_feeder(reporting_db).apply_log(finance.log)
    lent = await page(reporting_db, club)
    assert lent["indicators"] != joined["indicators"]
    assert counted.calls == 3

    warm.forget_warm_caches()
    assert await page(reporting_db, club) == lent  # as computed from the facts


async def test_a_dissolved_club_is_kept_inactive_and_dates_are_kept_apart(
    reporting_db: Database, registry: Registry
) -> None:
    club = registry.club("29623", date(2025, 1, 1))
    registry.members(club, "86", 2, joined_on=date(2025, 2, 1))
    consumer = feeder(reporting_db)
    await consumer.apply_log(registry.log)
    warm.forget_warm_caches()
    assert (await page(reporting_db, club, date(2025, 12, 31)))["active"] is True

    registry.log.clear()
    registry.dissolve(club, "86", date(2025, 9, 1))
    await consumer.apply_log(registry.log)
    assert (await page(reporting_db, club, date(2025, 12, 31)))["active"] is False
    assert (await page(reporting_db, club, JUNE))["indicators"]["members"] == 2


async def test_the_clubs_kept_are_bounded(
    reporting_db: Database, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    clubs = [registry.club("29623", date(2025, 1, 1)) for _ in range(3)]
    await feeder(reporting_db).apply_log(registry.log)
    warm.forget_warm_caches()
    monkeypatch.setattr(warm, "CLUBS_KEPT", 2)
    for club in clubs:
        await page(reporting_db, club)
    kept = warm._CACHES[str(reporting_db.engine.url)].clubs
    assert [key[0] for key in kept] == clubs[1:]  # the least recently read left first
