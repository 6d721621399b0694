"""Registry events applied to the projection (SQLite and PostgreSQL), then the
indicators read back and compared with values worked out by hand."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ishc_contracts import registry_events as re
from ishc_platform import admin_units
from ishc_platform.admin_units import Boundary
from ishc_platform.db import Database
from ishc_platform.errors import Problem
from ishc_reporting.domain.indicators import ALL_AREAS
from ishc_reporting.domain.plans import PlanDoc
from ishc_reporting.queries.clubs import active_clubs
from ishc_reporting.service import indicators as service
from ishc_reporting.service import plans
from tests.reporting.conftest import (
    DONG_NAI,
    NATIONAL,
    VINH_LONG,
    Finance,
    Health,
    Registry,
    feeder,
    finance_feeder,
    health_feeder,
)

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
    # A's areas: health and home care recorded, self-help from its meetings' cases;
    # no club is in all eight, and B, D pool nothing into A's.
    assert ind["clubs_in_all_areas"] == 0
    assert ind["clubs_meeting"]["well_managed"] == 0  # A has a board but no funds
    assert ind["shares"]["full_activity"] == Decimal("0.00")
    assert (ind["meetings"], ind["meetings_with_hardship_case"]) == (12, 12)  # A's, monthly
    assert ind["meetings_with_hardship_case_share"] == Decimal("100.00")
    assert ind["poor_older_women"] == 36  # A's women born 1950; B's are 59 and not poor
    assert ind["new_older_women"] == 0 and ind["new_older_women_share"] is None
    assert ind["new_members_older_share"] == Decimal("0.00")  # 0 of 25
    assert ind["ethnic_minority_members"] == 0
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
    # New Vĩnh Long (86 on the current map) merges old Vĩnh Long, Bến Tre and Trà Vinh:
    # a plan written for old Vĩnh Long does not judge it, the stated default does...
    assert current["plan"]["default"] is True and current["plan"]["older_age"] == 60
    assert legacy["plan"]["id"] == "vinh-long-test"
    # ...and the plan is measured over old Vĩnh Long on both pages, with one figure.
    assert current["plans"] == legacy["plans"]
    (measured,) = legacy["plans"]
    assert measured["territory"]["boundary"] == "legacy"
    assert measured["territory"]["communes"] == 109
    targets = {t["indicator"]: t for t in measured["targets"]}
    # A (placed in old Vĩnh Long only) and D (in its legacy commune); B is old Trà Vinh's.
    assert targets["clubs"]["value"] == 2 and targets["clubs"]["gap"] == Decimal(53)
    # The plan's own 109 communes are the one denominator: 1 / 109, on the page too.
    assert targets["coverage"]["value"] == Decimal("0.91")
    assert legacy["indicators"]["coverage"] == Decimal("0.91")
    assert legacy["indicators"]["communes"] == 109 and "102" in legacy["communes_note"]
    assert current["indicators"]["communes"] == 124 and current["communes_note"] is None


PLAN_FILES = Path(__file__).parents[3] / "services/reporting/plans"


def one_source(commune: str, legacy_province: str) -> str:
    """`commune`, a current commune made of a single old commune of `legacy_province`."""
    (source,) = admin_units.legacy_sources_of_commune(commune)
    assert source.province_code == legacy_province, (commune, source)
    return commune


async def test_dong_nais_plan_is_measured_over_old_dong_nai_not_binh_phuoc(
    reporting_db: Database, registry: Registry
) -> None:
    """The committed 2021-2025 plan of Đồng Nai is about old Đồng Nai (legacy 75)
    only: Bình Phước (legacy 70), merged into Đồng Nai (75) in 2025, counts in none
    of its targets. In each old province: a club of 2016-2020 and a new club of 2022;
    Bình Phước's old club was dissolved in 2023."""
    assert [p.code for p in admin_units.legacy_provinces_of("75")] == ["70", "75"]
    registry.club(one_source("26173", "75"), date(2019, 5, 1), name="CLB Phú Lý")
    registry.club(one_source("26209", "75"), date(2022, 3, 1), name="CLB Thanh Sơn")
    gone = registry.club(one_source("25222", "70"), date(2019, 5, 1), name="CLB Bù Gia Mập")
    registry.dissolve(gone, "75", date(2023, 6, 1))
    registry.club(one_source("25225", "70"), date(2022, 3, 1), name="CLB Đăk Ơ")
    await apply(reporting_db, registry)
    doc = PlanDoc.model_validate(
        tomllib.loads((PLAN_FILES / "dong-nai-2021-2025.toml").read_text())
    )
    # The plan states no commune count: old Đồng Nai's is the package's (mid-2025 map).
    assert doc.commune_count is None and doc.baseline is None
    assert len(admin_units.communes_of_province("75", Boundary.LEGACY)) == 159
    on = date(2025, 6, 30)
    async with reporting_db.sessions() as session:
        await plans.load_plan_file(session, doc, source="plan-files")
        legacy = await service.province_detail(
            session, NATIONAL, "75", service.make_query(on, Boundary.LEGACY, None, None)
        )
        current = await service.province_detail(
            session, NATIONAL, "75", service.make_query(on, Boundary.CURRENT, None, None)
        )
        binh_phuoc = await service.province_detail(
            session, NATIONAL, "70", service.make_query(on, Boundary.LEGACY, None, None)
        )
    assert legacy["plan"]["id"] == "dong-nai-2021-2025"
    assert current["plans"] == legacy["plans"]  # one figure on both maps
    (measured,) = legacy["plans"]
    territory = measured["territory"]
    assert (territory["boundary"], territory["province"]) == ("legacy", "75")
    assert territory["communes"] == territory["communes_in_package"] == 159
    assert territory["communes_note"] is None and legacy["communes_note"] is None
    targets = {t["indicator"]: t for t in measured["targets"]}
    # Phú Lý and Thanh Sơn: 2 of old Đồng Nai's 159 communes (with Bình Phước's Đăk Ơ: 1.88).
    assert targets["coverage"]["value"] == Decimal("1.25")
    assert legacy["indicators"]["coverage"] == Decimal("1.25")
    assert targets["new_clubs"]["value"] == 1  # Thanh Sơn, not Đăk Ơ
    # Of the clubs active on 31/12/2020 (Phú Lý alone), all still run; Bù Gia Mập's
    # dissolution is Bình Phước's, not the plan's.
    assert targets["clubs_retained"]["value"] == Decimal("100.00")
    assert targets["clubs_retained"]["status"] == "reached"
    # Old Bình Phước is no territory of the plan, and the plan does not judge it.
    assert binh_phuoc["plans"] == [] and binh_phuoc["plan"]["default"] is True
    assert binh_phuoc["indicators"]["clubs"] == 1  # Đăk Ơ
    # New Đồng Nai (both old provinces, 95 communes) is judged by the stated default.
    assert current["plan"]["default"] is True
    assert current["indicators"]["communes"] == 95 and current["indicators"]["clubs"] == 3


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


# -- full activity: decided per club from the events --------------------------------

WINDOW_START = date(2025, 7, 1)  # the last 12 months up to JUNE_30
DAY_BEFORE = date(2025, 6, 30)
MONTHS = [date(2025, m, 20) for m in range(7, 13)] + [date(2026, m, 20) for m in range(1, 7)]


class Activity:
    """Registry, finance and health events of clubs in Nhơn Phú (29623), each
    founded on 1 January 2020 with a complete board and both funds open."""

    def __init__(self, registry: Registry, finance: Finance, health: Health) -> None:
        self.registry, self.finance, self.health = registry, finance, health

    def club(
        self, name: str, *, skip: date | None = None, cases: int = 1
    ) -> tuple[str, list[str], str, str]:
        """A club meeting on the 20th of every month of the twelve (but `skip`),
        each meeting choosing `cases` hardship cases (0: none, so no self-help)."""
        r, f = self.registry, self.finance
        club_id = r.club("29623", date(2020, 1, 1), name=name)
        members = r.members(club_id, "86", 5, joined_on=date(2020, 1, 1))
        r.board(club_id, "86", date(2020, 1, 1), members)
        for day in MONTHS:
            if day != skip:
                r.meeting(club_id, "86", day, supported=cases)
        income = f.fund(club_id, "86", "income", date(2020, 1, 1))
        activity = f.fund(club_id, "86", "activity", date(2020, 1, 1))
        return club_id, members, income, activity

    def recorded(self, club_id: str, *areas: str, on: date = date(2026, 2, 1)) -> None:
        for area in areas:
            self.registry.activity(club_id, "86", area, on)

    def all_eight(
        self, club: tuple[str, list[str], str, str], *, lent_on: date, given_on: date
    ) -> str:
        """The five areas recorded, a loan and a contribution on the dates given, a
        check and a visit in the window (self-help comes from the meetings)."""
        club_id, members, income, activity = club
        self.recorded(club_id, "rights", "lifelong_learning", "spiritual_cultural")
        loan = self.finance.lend(income, club_id, "86", members[0], 1_000_000, lent_on, 12, 10_000)
        self.finance.contribute(activity, club_id, "86", 500_000, given_on)
        self.health.check(members[1], club_id, "86", date(2026, 3, 1))
        self.health.visit(club_id, "86", members[2], members[3], date(2026, 4, 1))
        return loan


async def apply_all(db: Database, world: Activity) -> None:
    await feeder(db).apply_log(world.registry.log)
    await finance_feeder(db).apply_log(world.finance.log)
    await health_feeder(db).apply_log(world.health.log)


async def checks_of(db: Database, club_id: str, on: date = JUNE_30) -> dict[str, Any]:
    async with db.sessions() as session:
        q = service.make_query(on, Boundary.CURRENT, None, None)
        detail = await service.club_detail(session, NATIONAL, club_id, q)
    row: dict[str, Any] = detail["indicators"]
    return {**row["checks"], "areas": set(row["activity_areas"])}


async def test_full_activity_is_decided_per_club_from_its_events(
    reporting_db: Database, registry: Registry, finance: Finance, health: Health
) -> None:
    world = Activity(registry, finance, health)
    full = world.club("F")
    world.all_eight(full, lent_on=date(2025, 9, 1), given_on=date(2026, 5, 1))
    # G: the same, but no meeting in February 2026.
    gap = world.club("G", skip=date(2026, 2, 20))
    world.all_eight(gap, lent_on=date(2025, 9, 1), given_on=date(2026, 5, 1))
    # H: its loan and its contribution came a day before the twelve months.
    late = world.club("H")
    world.all_eight(late, lent_on=DAY_BEFORE, given_on=DAY_BEFORE)
    # R: as H, but a repayment in the window stands for income generation.
    repaid = world.club("R")
    loan = world.all_eight(repaid, lent_on=DAY_BEFORE, given_on=date(2026, 5, 1))
    finance.repay(loan, date(2025, 7, 31), [(1, 83_333, 10_000)])
    # P and Q: well managed, four areas each; eight between them, not in either.
    p = world.club("P")
    world.recorded(p[0], "rights", "lifelong_learning", "spiritual_cultural")  # + self-help
    q = world.club("Q", cases=0)
    q_id, q_members, q_income, q_activity = q
    finance.lend(q_income, q_id, "86", q_members[0], 1_000_000, date(2025, 9, 1), 12, 10_000)
    finance.contribute(q_activity, q_id, "86", 500_000, date(2026, 5, 1))
    health.session(q_id, "86", date(2026, 6, 1))
    health.visit(q_id, "86", q_members[2], q_members[3], date(2026, 4, 1))
    await apply_all(reporting_db, world)

    f = await checks_of(reporting_db, full[0])
    assert f["areas"] == ALL_AREAS
    assert f["well_managed"] and f["full_activity"]

    g = await checks_of(reporting_db, gap[0])
    assert g["areas"] == ALL_AREAS
    assert not g["meetings_ok"] and not g["well_managed"] and not g["full_activity"]

    h = await checks_of(reporting_db, late[0])
    assert h["areas"] == ALL_AREAS - {"income_generation", "resource_mobilisation"}
    assert h["well_managed"] and not h["full_activity"]

    r = await checks_of(reporting_db, repaid[0])
    assert r["areas"] == ALL_AREAS and r["full_activity"]

    pooled = [await checks_of(reporting_db, club[0]) for club in (p, q)]
    assert pooled[0]["areas"] | pooled[1]["areas"] == ALL_AREAS
    assert all(c["well_managed"] and not c["full_activity"] for c in pooled)

    detail = await province(reporting_db, JUNE_30)
    ind = detail["indicators"]
    assert ind["clubs"] == 6
    assert ind["clubs_in_all_areas"] == 3  # F, G and R
    assert ind["clubs_meeting"]["well_managed"] == 5  # all but G
    assert ind["clubs_meeting"]["full_activity"] == 2  # F and R
    assert ind["shares"]["full_activity"] == Decimal("33.33")
    assert ind["shares"]["well_managed"] == Decimal("83.33")


async def province(db: Database, on: date) -> dict[str, Any]:
    async with db.sessions() as session:
        q = service.make_query(on, Boundary.CURRENT, None, None)
        detail: dict[str, Any] = await service.province_detail(session, NATIONAL, "86", q)
    return detail


async def test_areas_and_borrowers_count_the_last_twelve_months_not_the_period(
    reporting_db: Database, registry: Registry, finance: Finance, health: Health
) -> None:
    """As of 15 June 2026 the default period starts on 1 July 2025, the last 12
    months on 16 June 2025: events of 16–30 June 2025 count for areas and borrowers."""
    on = date(2026, 6, 15)
    world = Activity(registry, finance, health)
    club_id, members, income, _ = world.club("K")
    registry.activity(club_id, "86", "rights", date(2025, 6, 16))  # the window's first day
    registry.activity(club_id, "86", "lifelong_learning", date(2025, 6, 15))  # a day before
    loan = finance.lend(income, club_id, "86", members[0], 600_000, date(2025, 6, 20), 1, 6_000)
    finance.repay(loan, date(2025, 6, 25), [(1, 600_000, 6_000)], settles=True)
    await apply_all(reporting_db, world)

    async with reporting_db.sessions() as session:
        q = service.make_query(on, Boundary.CURRENT, None, None)
        assert q.period_start == date(2025, 7, 1)
        row = (await service.club_detail(session, NATIONAL, club_id, q))["indicators"]
    assert set(row["activity_areas"]) == {"rights", "income_generation", "self_help"}
    assert row["borrowers"] == 1  # disbursed on 20 June 2025, settled since


async def test_priority_counts_per_club_from_the_projection(
    reporting_db: Database, registry: Registry
) -> None:
    club_id = registry.club("29623", date(2020, 1, 1), name="CLB Nhơn Phú")
    registry.members(club_id, "86", 6, joined_on=date(2021, 1, 1))  # poor older women
    registry.members(club_id, "86", 2, joined_on=date(2021, 1, 1), poverty="none")
    registry.members(club_id, "86", 3, joined_on=date(2026, 2, 1))  # new older women
    registry.members(club_id, "86", 1, joined_on=date(2026, 2, 1), sex="male")
    registry.members(club_id, "86", 4, joined_on=date(2026, 2, 1), birth_year=1990)
    for n in range(2):  # members of an ethnic minority (ADR 0007: a flag, never the ethnicity)
        member_id = f"00000000-0000-4000-8000-00000000000{n}"
        registry.emit(
            "member.joined",
            member_id,
            "86",
            re.MemberJoined(
                member_id=member_id,
                club_id=club_id,
                sex=re.Sex("male"),
                birth_year=1980,
                poverty_status=re.PovertyStatus("none"),
                ethnic_minority=True,
                joined_on=date(2021, 1, 1),
            ),
        )
    registry.meeting(club_id, "86", date(2025, 6, 20))  # before the period
    for day in (date(2025, 8, 20), date(2025, 9, 20), date(2026, 1, 20)):
        registry.meeting(club_id, "86", day)
    registry.meeting(club_id, "86", date(2026, 3, 20), supported=0)  # chose no case
    await feeder(reporting_db).apply_log(registry.log)

    async with reporting_db.sessions() as session:
        (record,) = await active_clubs(
            session, as_of=JUNE_30, period_start=date(2025, 7, 1), older_age=60
        )
    facts = record.facts
    assert facts.members == 18
    assert facts.poor_older_women == 6 + 3  # the 2 not poor, the man, the young: not
    assert facts.new_members == 8 and facts.new_older_members == 4
    assert facts.new_older_women == 3
    assert facts.ethnic_minority_members == 2
    assert (facts.meetings, facts.meetings_with_hardship_case) == (4, 3)
    ind = (await province(reporting_db, JUNE_30))["indicators"]
    assert ind["new_older_women_share"] == Decimal("75.00")  # 3 of 4
    assert ind["new_members_older_share"] == Decimal("50.00")  # 4 of 8
    assert ind["meetings_with_hardship_case_share"] == Decimal("75.00")
