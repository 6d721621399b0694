"""Registry events applied to the projection (SQLite and PostgreSQL), then the
indicators read back and compared with values worked out by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ishc_platform.admin_units import Boundary
from ishc_platform.db import Database
from ishc_platform.errors import Problem
from ishc_reporting.domain.plans import PlanDoc
from ishc_reporting.service import indicators as service
from ishc_reporting.service import plans
from tests.reporting.conftest import DONG_NAI, NATIONAL, VINH_LONG, Registry, feeder

JUNE_30 = date(2026, 6, 30)


def build_vinh_long(registry: Registry) -> dict[str, str]:
    """Club A (Nhơn Phú, 29623): 60 members inside every band, board, monthly meetings.
    Club B (Hòa Minh, 29410): founded in the period, 10 women who turn 60 in August 2026.
    Club C (Phú Khương, 28756): dissolved on 1 May 2026.
    Club D: registered with legacy commune 29719 (split), now in 29719; no members.
    Club E (Bạch Long Vĩ, Hải Phòng): a commune with no legacy source."""
    a = registry.club("29623", date(2018, 3, 15), name="CLB Nhơn Phú")
    ids = registry.members(a, "86", 36, joined_on=date(2019, 1, 10))
    ids += registry.members(a, "86", 4, joined_on=date(2019, 1, 10), birth_year=1990)
    ids += registry.members(
        a, "86", 5, joined_on=date(2019, 1, 10), sex="male", poverty="none", volunteer=True
    )
    ids += registry.members(
        a, "86", 15, joined_on=date(2026, 2, 1), sex="male", birth_year=1990, poverty="none"
    )
    gone = registry.members(a, "86", 1, joined_on=date(2020, 1, 1), sex="male")
    registry.leave(gone[0], a, "86", date(2026, 3, 1))
    registry.board(a, "86", date(2025, 1, 1), ids[:5])
    for month in range(7, 13):
        registry.meeting(a, "86", date(2025, month, 20))
    for month in range(1, 7):
        registry.meeting(a, "86", date(2026, month, 20), supported=2)
    registry.activity(a, "86", "health_care", date(2026, 3, 1))
    registry.activity(a, "86", "home_care", date(2026, 4, 1))

    b = registry.club("29410", date(2026, 1, 10), name="CLB Hòa Minh")
    registry.members(b, "86", 10, joined_on=date(2026, 1, 10), birth_year=1967, poverty="none")
    c = registry.club("28756", date(2015, 5, 1), name="CLB Phú Khương")
    registry.members(c, "86", 50, joined_on=date(2015, 5, 1))
    registry.dissolve(c, "86", date(2026, 5, 1))
    d = registry.club("29719", date(2017, 6, 1), legacy="29719", name="CLB Tam Bình")
    e = registry.club("11948", date(2020, 1, 1), name="CLB Bạch Long Vĩ")
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


async def apply(db: Database, registry: Registry) -> None:
    await feeder(db).apply_log(registry.log)


def row(table: dict[str, Any], code: str) -> dict[str, Any]:
    return next(r for r in table["provinces"] if r["code"] == code)


async def test_indicators_match_the_hand_worked_values(
    reporting_db: Database, registry: Registry
) -> None:
    build_vinh_long(registry)
    await apply(reporting_db, registry)
    q = service.make_query(JUNE_30, Boundary.CURRENT, None, None)
    async with reporting_db.sessions() as session:
        detail = await service.province_detail(session, NATIONAL, "86", q)
    ind = detail["indicators"]
    assert detail["period_start"] == date(2025, 7, 1)
    assert ind["clubs"] == 3  # A, B, D (C dissolved, E in Hải Phòng)
    assert ind["new_clubs"] == 1  # B
    assert ind["communes"] == 124
    assert ind["communes_with_club"] == 3
    assert ind["coverage"] == Decimal("2.41")  # 3 / 124 = 2.419…, truncated
    assert ind["members"] == 70  # 60 in A (one left in March) + 10 in B
    assert ind["new_members"] == 25  # 15 in A in February + 10 in B
    assert ind["older_members"] == 41  # B's women, born 1967, are 59 in 2026
    assert ind["women"] == 50
    assert ind["young"] == 29
    assert ind["poor"] == 40
    assert ind["clubs_meeting"]["size_ok"] == 1  # only A has 50–70 members
    assert ind["clubs_meeting"]["women_ok"] == 1  # A at 66.7%; B is all women
    assert ind["clubs_meeting"]["older_ok"] == 1
    assert ind["clubs_meeting"]["board_ok"] == 1
    assert ind["clubs_meeting"]["meetings_ok"] == 1  # A met monthly; B and D never met
    assert ind["shares"]["size_ok"] == Decimal("33.33")
    assert ind["hardship_cases_supported"] == 6 + 12
    assert ind["activity_areas_covered"] == 2
    commune = next(c for c in detail["communes"] if c["code"] == "29623")
    assert commune["clubs"] == 1 and commune["members"] == 60


async def test_as_of_dates_move_people_and_clubs(
    reporting_db: Database, registry: Registry
) -> None:
    build_vinh_long(registry)
    await apply(reporting_db, registry)
    async with reporting_db.sessions() as session:
        september = await service.province_detail(
            session,
            NATIONAL,
            "86",
            service.make_query(date(2026, 9, 1), Boundary.CURRENT, None, None),
        )
        april = await service.province_detail(
            session,
            NATIONAL,
            "86",
            service.make_query(date(2026, 4, 30), Boundary.CURRENT, None, None),
        )
        older_55 = await service.province_detail(
            session, NATIONAL, "86", service.make_query(JUNE_30, Boundary.CURRENT, None, 55)
        )
    # Ages count by birth year (ADR 0004: events carry no birth date), so B's
    # women are 59 all through 2026.
    assert september["indicators"]["older_members"] == 41
    assert april["indicators"]["clubs"] == 4  # C was still active (dissolved 1 May)
    assert april["indicators"]["members"] == 60 + 1 + 10 + 50 - 1  # A's leaver left in March
    assert older_55["indicators"]["older_members"] == 51


async def test_the_legacy_map_places_clubs_and_counts_the_unplaced(
    reporting_db: Database, registry: Registry
) -> None:
    build_vinh_long(registry)
    await apply(reporting_db, registry)
    q = service.make_query(JUNE_30, Boundary.LEGACY, None, None)
    async with reporting_db.sessions() as session:
        table = await service.province_table(session, NATIONAL, q)
        nation = await service.national(session, NATIONAL, q)
        mine = await service.province_table(session, VINH_LONG, q)
    old_vinh_long, old_tra_vinh = row(table, "86"), row(table, "84")
    # A (3 sources, all old Vĩnh Long) counts in the province only; D in its legacy commune.
    assert old_vinh_long["indicators"]["clubs"] == 2
    assert old_vinh_long["indicators"]["communes_with_club"] == 1
    assert old_vinh_long["indicators"]["communes"] == 102  # the package's mid-2025 map
    assert old_tra_vinh["indicators"]["clubs"] == 1  # B, whose one source is in Trà Vinh
    assert nation["indicators"]["unplaced"] == 1  # E: its commune has no legacy source
    assert table["unplaced"] == 1
    # A Vĩnh Long token sees the three old provinces merged into it, no others.
    assert {r["code"] for r in mine["provinces"]} == {"83", "84", "86"}


async def test_a_plan_gives_targets_and_gaps(reporting_db: Database, registry: Registry) -> None:
    build_vinh_long(registry)
    await apply(reporting_db, registry)
    plan = PlanDoc.model_validate(
        {
            "id": "vinh-long-test",
            "scope": "province",
            "province": "86",
            "legacy_province": "86",
            "title": "Kế hoạch thử",
            "period_start": "2026-01-01",
            "period_end": "2030-12-31",
            "older_age": 55,
            "commune_count": 109,
            "baseline": {"clubs": 21, "communes": 109, "coverage_percent": "19.26"},
            "targets": [
                {"indicator": "coverage", "value": "50", "by": "2030-12-31"},
                {"indicator": "clubs", "value": "55", "by": "2030-12-31"},
            ],
        }
    )
    async with reporting_db.sessions() as session:
        await plans.put_plan(session, VINH_LONG, plan)
        with pytest.raises(Problem) as refused:
            await plans.put_plan(session, DONG_NAI, plan)
        assert refused.value.status == 403
        stored = await plans.get_plan(session, NATIONAL, "vinh-long-test")
        assert stored.baseline and stored.baseline.coverage_percent == "19.26"
        current = await service.province_detail(
            session, NATIONAL, "86", service.make_query(JUNE_30, Boundary.CURRENT, None, None)
        )
        legacy = await service.province_detail(
            session, NATIONAL, "86", service.make_query(JUNE_30, Boundary.LEGACY, None, None)
        )
    assert current["plan"]["id"] == "vinh-long-test"
    assert current["indicators"]["older_members"] == 51  # the plan counts from 55
    assert current["targets"]["clubs"] == {
        "value": 3,
        "target": Decimal(55),
        "by": date(2030, 12, 31),
        "gap": Decimal(52),
    }
    assert current["targets"]["coverage"]["value"] == Decimal("2.41")
    # On the old map the plan's own 109 communes are the denominator: 1 / 109.
    assert legacy["targets"]["coverage"]["value"] == Decimal("0.91")


async def test_another_province_is_not_found_and_duplicates_count_once(
    reporting_db: Database, registry: Registry
) -> None:
    build_vinh_long(registry)
    consumer = feeder(reporting_db)
    await consumer.apply_log(registry.log)
    assert await consumer.apply_log(registry.log) == 0  # a replay applies nothing twice
    q = service.make_query(JUNE_30, Boundary.CURRENT, None, None)
    async with reporting_db.sessions() as session:
        with pytest.raises(Problem) as hidden:
            await service.province_detail(session, DONG_NAI, "86", q)
        assert hidden.value.status == 404
        detail = await service.province_detail(session, VINH_LONG, "86", q)
    assert detail["indicators"]["members"] == 70


async def test_todays_warm_figures_follow_each_batch_and_equal_a_cold_read(
    reporting_db: Database, registry: Registry
) -> None:
    """Today's figures come from a per-process cache patched per batch; after
    joins, a departure, a dissolution and a new club it must still equal a
    computation from scratch."""
    from ishc_platform.clock import today
    from ishc_reporting.queries import warm

    on = today()
    a = registry.club("29623", date(2020, 1, 1))
    members = registry.members(a, "86", 55, joined_on=date(2021, 1, 1))
    b = registry.club("29410", date(2021, 1, 1))
    registry.members(b, "86", 3, joined_on=date(2021, 1, 1))
    consumer = feeder(reporting_db)
    await consumer.apply_log(registry.log)
    q = service.make_query(None, Boundary.CURRENT, None, None)
    legacy = service.make_query(None, Boundary.LEGACY, None, None)

    async def figures() -> tuple[Any, Any, Any]:
        async with reporting_db.sessions() as session:
            table = await service.province_table(session, NATIONAL, q)
            old_map = await service.province_table(session, NATIONAL, legacy)
            nation = await service.national(session, NATIONAL, q)
        return row(table, "86")["indicators"], old_map, nation["indicators"]

    first, _, _ = await figures()
    assert first["members"] == 58 and first["clubs"] == 2

    registry.log.clear()
    registry.leave(members[0], a, "86", on)
    registry.dissolve(b, "86", on)
    registry.club("28756", date(2022, 1, 1))
    registry.members(a, "86", 2, joined_on=on)
    await consumer.apply_log(registry.log)

    patched = await figures()
    assert patched[0]["members"] == 56  # 55 - 1 + 2; B dissolved today
    assert patched[0]["clubs"] == 2  # A and the new club; B is gone
    warm._CACHES.clear()
    assert await figures() == patched
