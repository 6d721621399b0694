"""Health events applied to the projection (SQLite and PostgreSQL), then the
health indicators read back and compared with values worked out by hand:
members checked twice in the year, exercise three times a week, home-care
visits and people cared for, insurance coverage and the activity areas, as of
30 June 2026 and of past dates, on both maps; delivered twice and out of order.
The events carry no clinical value, and reporting needs none."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import event

from ishc_contracts import new_event_id
from ishc_platform.admin_units import Boundary
from ishc_platform.db import Database
from ishc_reporting.domain.plans import PlanDoc
from ishc_reporting.service import indicators as service
from ishc_reporting.service import plans
from tests.reporting.conftest import NATIONAL, Health, Registry, feeder, health_feeder

JUNE_30 = date(2026, 6, 30)  # the default period: 1 July 2025 to 30 June 2026, 365 days


def every(weekdays: set[int], start: date, end: date) -> list[date]:
    """The days from `start` to `end` (both included) that fall on `weekdays` (Monday 0)."""
    return [
        start + timedelta(days=n)
        for n in range((end - start).days + 1)
        if (start + timedelta(days=n)).weekday() in weekdays
    ]


class World:
    """Three clubs of Vĩnh Long (86) and their health events, worked out by hand below.

    Club A (Nhơn Phú, 29623, founded 2018): m0–m7 and two volunteers v0, v1, all
    since 2019; m7 leaves on 1 April 2026. On 30 June 2026 it has 9 members.
      Checks (the twelve months up to 30 June 2026 start on 1 July 2025):
      - m0: 2025-08-01 and 2026-06-20, eleven months apart: checked twice;
      - m1: 2025-05-15 and 2026-06-15, thirteen months apart: not;
      - m2: 2026-01-10, 2026-03-10, 2026-05-10: checked twice (once as a member),
        and withdraws its consent on 2026-06-01 (the counts stay);
      - m3: 2026-02-01 only; m4: 2025-06-30 and 2026-06-30, a year apart to the
        day: not (the first is a day before the window);
      - m5: 2026-03-01, and 2026-07-05 (after the date);
      - m7: 2025-09-01 and 2026-01-05: twice, but gone by 30 June.
      So 2 of 9 (22.22%) on 30 June; on 31 March 2026, m2 and m7 of 10.
      Exercise: Monday, Wednesday, Friday and Saturday from 1 July 2025 to 31
      July 2026: about four a week, three needed.
      Visits: v0 to m3 (2025-08-10, 2025-09-10, 2026-02-10); v1 to a person of
      the community P1 (2026-03-01, 2026-05-01); v0 to P2 on 2025-06-15 (before
      the period) and v1 to m3 on 2026-07-10 (after): 5 visits, 2 people.
      Insurance: m0 2026; m1 2025, then from 2026-07-01; m2 from 2026-06-30 (the
      date itself); m7 2026 (gone by 30 June): 2 of 9.
    Club B (Hòa Minh, 29410, founded 2020): b0–b3. b0 checked 2026-01-01 and
      2026-06-01, insured 2026. No session: 1 of 4 checked, 1 of 4 insured.
    Club C (Hòa Minh, 29410, founded 8 April 2026, mid-period): c0–c4 and a
      volunteer cv. Sessions three times in each of its 12 weeks to 30 June (84
      days: exactly 3 a week); cv visits P3 on 2026-05-15; c0 insured from
      2026-05-01.
    """

    def __init__(self, registry: Registry, health: Health) -> None:
        self.registry, self.health = registry, health
        r, h = registry, health
        a = self.a = r.club("29623", date(2018, 3, 15), name="CLB Nhơn Phú")
        m = self.members_a = r.members(a, "86", 8, joined_on=date(2019, 1, 10))
        v = self.volunteers_a = r.members(a, "86", 2, joined_on=date(2019, 1, 10), volunteer=True)
        r.leave(m[7], a, "86", date(2026, 4, 1))
        consents = {member: h.consent(member, a, "86", date(2019, 2, 1)) for member in m}
        for member, days in (
            (m[0], (date(2025, 8, 1), date(2026, 6, 20))),
            (m[1], (date(2025, 5, 15), date(2026, 6, 15))),
            (m[2], (date(2026, 1, 10), date(2026, 3, 10), date(2026, 5, 10))),
            (m[3], (date(2026, 2, 1),)),
            (m[4], (date(2025, 6, 30), date(2026, 6, 30))),
            (m[5], (date(2026, 3, 1), date(2026, 7, 5))),
            (m[7], (date(2025, 9, 1), date(2026, 1, 5))),
        ):
            for day in days:
                h.check(member, a, "86", day, checker="volunteer" if member == m[3] else "station")
        h.withdraw(consents[m[2]], m[2], a, "86", date(2026, 6, 1))
        self.sessions_a = every({0, 2, 4, 5}, date(2025, 7, 1), date(2026, 7, 31))
        h.sessions(a, "86", self.sessions_a)
        for day in (date(2025, 8, 10), date(2025, 9, 10), date(2026, 2, 10)):
            h.visit(a, "86", v[0], m[3], day)
        self.p1, self.p2 = "community-p1-0000-0000-000000000001", "community-p2-0000-0000-00002"
        for day in (date(2026, 3, 1), date(2026, 5, 1)):
            h.visit(a, "86", v[1], self.p1, day, beneficiary="community")
        h.visit(a, "86", v[0], self.p2, date(2025, 6, 15), beneficiary="community")
        h.visit(a, "86", v[1], m[3], date(2026, 7, 10))
        h.insure(m[0], a, "86", date(2026, 1, 1), date(2026, 12, 31))
        h.insure(m[1], a, "86", date(2025, 1, 1), date(2025, 12, 31))
        h.insure(m[1], a, "86", date(2026, 7, 1), date(2027, 6, 30))
        h.insure(m[2], a, "86", date(2026, 6, 30), date(2027, 6, 29))
        h.insure(m[7], a, "86", date(2026, 1, 1), date(2026, 12, 31))

        b = self.b = r.club("29410", date(2020, 1, 1), name="CLB Hòa Minh")
        members_b = self.members_b = r.members(b, "86", 4, joined_on=date(2020, 1, 1))
        h.check(members_b[0], b, "86", date(2026, 1, 1))
        h.check(members_b[0], b, "86", date(2026, 6, 1))
        h.insure(members_b[0], b, "86", date(2026, 1, 1), date(2026, 12, 31))

        founded = date(2026, 4, 8)
        c = self.c = r.club("29410", founded, name="CLB Hòa Minh 2")
        members_c = r.members(c, "86", 5, joined_on=founded)
        (cv,) = r.members(c, "86", 1, joined_on=founded, volunteer=True)
        self.sessions_c = [
            founded + timedelta(days=7 * w + d) for w in range(12) for d in (0, 2, 4)
        ]
        h.sessions(c, "86", self.sessions_c)
        self.p3 = "community-p3-0000-0000-000000000003"
        h.visit(c, "86", cv, self.p3, date(2026, 5, 15), beneficiary="community")
        h.insure(members_c[0], c, "86", date(2026, 5, 1), date(2027, 4, 30))


async def apply(db: Database, world: World, batch_size: int = 100) -> None:
    await feeder(db).apply_log(world.registry.log)
    await health_feeder(db, batch_size).apply_log(world.health.log)


async def province(db: Database, on: date, boundary: Boundary = Boundary.CURRENT) -> Any:
    async with db.sessions() as session:
        q = service.make_query(on, boundary, None, None)
        return await service.province_detail(session, NATIONAL, "86", q)


async def club(db: Database, club_id: str, on: date) -> dict[str, Any]:
    async with db.sessions() as session:
        q = service.make_query(on, Boundary.CURRENT, None, None)
        detail = await service.club_detail(session, NATIONAL, club_id, q)
    row: dict[str, Any] = detail["indicators"]
    return row


HEALTH_KEYS = (
    "members_checked_twice",
    "health_checks_ok",
    "exercise_sessions",
    "home_care_visits",
    "people_cared_for",
    "members_insured",
    "insurance_coverage",
)


def figures(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: row[k] for k in HEALTH_KEYS},
        "exercise_ok": row["checks"]["exercise_ok"],
        "areas": row["activity_areas"],
    }


def in_period(days: list[date], start: date, end: date) -> int:
    return sum(1 for day in days if start <= day <= end)


async def test_health_indicators_match_the_hand_worked_values(
    reporting_db: Database, registry: Registry, health: Health
) -> None:
    world = World(registry, health)
    await apply(reporting_db, world)
    period = (date(2025, 7, 1), JUNE_30)
    a_sessions = in_period(world.sessions_a, *period)
    assert a_sessions * 7 >= 3 * 365  # about four a week

    a = await club(reporting_db, world.a, JUNE_30)
    assert a["members"] == 9  # m7 left in April
    assert figures(a) == {
        "members_checked_twice": 2,  # m0 (eleven months apart) and m2 (three checks)
        "health_checks_ok": Decimal("22.22"),
        "exercise_sessions": a_sessions,
        "home_care_visits": 5,
        "people_cared_for": 2,  # m3 (three visits) and P1 (two)
        "members_insured": 2,  # m0, and m2 from this very day
        "insurance_coverage": Decimal("22.22"),
        "exercise_ok": True,
        "areas": ["health_care", "home_care"],
    }

    b = await club(reporting_db, world.b, JUNE_30)
    assert figures(b) == {
        "members_checked_twice": 1,
        "health_checks_ok": Decimal("25.00"),
        "exercise_sessions": 0,
        "home_care_visits": 0,
        "people_cared_for": 0,
        "members_insured": 1,
        "insurance_coverage": Decimal("25.00"),
        "exercise_ok": False,
        "areas": ["health_care"],  # its checks
    }

    c = await club(reporting_db, world.c, JUNE_30)
    assert figures(c) == {
        "members_checked_twice": 0,
        "health_checks_ok": Decimal("0.00"),
        "exercise_sessions": 36,  # 3 in each of its 12 weeks: exactly enough
        "home_care_visits": 1,
        "people_cared_for": 1,
        "members_insured": 1,
        "insurance_coverage": Decimal("16.66"),
        "exercise_ok": True,  # judged over its 84 days, not the period's 365
        "areas": ["health_care", "home_care"],
    }

    detail = await province(reporting_db, JUNE_30)
    ind = detail["indicators"]
    assert ind["clubs"] == 3 and ind["members"] == 19
    assert ind["members_checked_twice"] == 3
    assert ind["health_checks_ok"] == Decimal("15.78")  # 3 / 19, the sum over the sum
    assert ind["members_insured"] == 4 and ind["insurance_coverage"] == Decimal("21.05")
    assert ind["home_care_visits"] == 6 and ind["people_cared_for"] == 3
    assert ind["exercise_sessions"] == a_sessions + 36
    assert ind["clubs_meeting"]["exercise_ok"] == 2
    assert ind["shares"]["exercise_ok"] == Decimal("66.66")
    assert ind["clubs_in_all_areas"] == 0  # areas are per club: none has all eight
    for text in (str(a), str(detail)):
        assert "member_id" not in text and world.p1 not in text
        assert all(member not in text for member in world.members_a)


async def test_exactly_three_a_week_passes_and_a_day_more_without_one_does_not(
    reporting_db: Database, registry: Registry, health: Health
) -> None:
    world = World(registry, health)
    await apply(reporting_db, world)
    last_session = max(world.sessions_c)
    assert last_session == date(2026, 6, 28)
    # 84 days from its founding to 30 June: 36 sessions are 3 a week exactly.
    assert (await club(reporting_db, world.c, JUNE_30))["checks"]["exercise_ok"] is True
    # 85 days to 1 July with the same 36: just under 3 a week.
    assert (await club(reporting_db, world.c, date(2026, 7, 1)))["checks"]["exercise_ok"] is False
    # A chosen period: from 1 June, C held 12 sessions in 30 days (2.8 a week).
    async with reporting_db.sessions() as session:
        q = service.make_query(JUNE_30, Boundary.CURRENT, date(2026, 6, 1), None)
        june = (await service.club_detail(session, NATIONAL, world.c, q))["indicators"]
    assert june["exercise_sessions"] == in_period(world.sessions_c, date(2026, 6, 1), JUNE_30)
    assert june["exercise_sessions"] == 12 and june["checks"]["exercise_ok"] is False


async def test_as_of_a_past_date_later_events_are_ignored(
    reporting_db: Database, registry: Registry, health: Health
) -> None:
    world = World(registry, health)
    await apply(reporting_db, world)

    # 31 December 2025: the period is 2025; C is not founded yet.
    a = await club(reporting_db, world.a, date(2025, 12, 31))
    assert a["members"] == 10
    assert figures(a) == {
        # m0, m1, m4 and m7 each have one check in 2025: none twice.
        "members_checked_twice": 0,
        "health_checks_ok": Decimal("0.00"),
        "exercise_sessions": in_period(world.sessions_a, date(2025, 1, 1), date(2025, 12, 31)),
        "home_care_visits": 3,  # P2 in June, m3 in August and September
        "people_cared_for": 2,
        "members_insured": 1,  # m1, on the last day of its card
        "insurance_coverage": Decimal("10.00"),
        "exercise_ok": False,  # four a week, but only from July: two a week over the year
        "areas": ["health_care", "home_care"],
    }
    detail = await province(reporting_db, date(2025, 12, 31))
    assert detail["indicators"]["clubs"] == 2
    assert detail["indicators"]["people_cared_for"] == 2

    # 31 March 2026: m2 (January, March) and m7 (still a member) are checked twice.
    march = await club(reporting_db, world.a, date(2026, 3, 31))
    assert (march["members"], march["members_checked_twice"]) == (10, 2)
    assert march["health_checks_ok"] == Decimal("20.00")
    assert march["members_insured"] == 2  # m0 and m7

    # m5's second check, on 5 July, and m1's new card, from 1 July, count from then on.
    july = await club(reporting_db, world.a, date(2026, 7, 5))
    assert july["members_checked_twice"] == 3  # m0, m2 and m5
    assert july["members_insured"] == 3  # m0, m1, m2


async def test_both_maps_and_the_nation_count_the_same(
    reporting_db: Database, registry: Registry, health: Health
) -> None:
    world = World(registry, health)
    await apply(reporting_db, world)
    async with reporting_db.sessions() as session:
        current = await service.national(
            session, NATIONAL, service.make_query(JUNE_30, Boundary.CURRENT, None, None)
        )
        legacy = await service.national(
            session, NATIONAL, service.make_query(JUNE_30, Boundary.LEGACY, None, None)
        )
        table = await service.province_table(
            session, NATIONAL, service.make_query(JUNE_30, Boundary.LEGACY, None, None)
        )
    for ind in (current["indicators"], legacy["indicators"]):
        assert ind["members_checked_twice"] == 3 and ind["health_checks_ok"] == Decimal("15.78")
        assert ind["members_insured"] == 4 and ind["people_cared_for"] == 3
        assert ind["shares"]["exercise_ok"] == Decimal("66.66")
    old = [r["indicators"] for r in table["provinces"] if r["indicators"]["clubs"]]
    assert sum(i["members_checked_twice"] for i in old) == 3
    assert sum(i["home_care_visits"] for i in old) == 6
    assert sum(i["clubs_meeting"]["exercise_ok"] for i in old) == 2


async def test_each_event_counts_once_however_often_it_is_delivered(
    reporting_db: Database, registry: Registry, health: Health
) -> None:
    world = World(registry, health)
    await apply(reporting_db, world)
    once = {c: figures(await club(reporting_db, c, JUNE_30)) for c in (world.a, world.c)}
    # The same envelopes again (the inbox skips them) ...
    await health_feeder(reporting_db).apply_log(health.log)
    # ... and the same facts re-sent under new envelope ids, as a relay crash would.
    resent = [{**e, "id": str(new_event_id())} for e in health.log]
    applied = await health_feeder(reporting_db, batch_size=13).apply_log(resent)
    assert applied == len(health.log)
    assert {c: figures(await club(reporting_db, c, JUNE_30)) for c in once} == once


async def test_out_of_order_delivery_converges(
    reporting_db: Database, registry: Registry, health: Health
) -> None:
    world = World(registry, health)
    shuffled = list(health.log)
    random.Random(11).shuffle(shuffled)
    # Health events first, in any order, before the registry's members and clubs.
    await health_feeder(reporting_db, batch_size=7).apply_log(shuffled)
    await feeder(reporting_db).apply_log(registry.log)
    a = await club(reporting_db, world.a, JUNE_30)
    assert (a["members_checked_twice"], a["members_insured"]) == (2, 2)
    assert (a["home_care_visits"], a["people_cared_for"]) == (5, 2)
    assert a["checks"]["exercise_ok"] is True
    c = await club(reporting_db, world.c, JUNE_30)
    assert c["exercise_sessions"] == 36 and c["checks"]["exercise_ok"] is True
    assert (await province(reporting_db, JUNE_30))["indicators"]["health_checks_ok"] == Decimal(
        "15.78"
    )


async def test_plan_targets_for_checks_and_exercise_are_measured(
    reporting_db: Database, registry: Registry, health: Health
) -> None:
    world = World(registry, health)
    await apply(reporting_db, world)
    doc = PlanDoc.model_validate(
        {
            "id": "vinh-long-2026",
            "scope": "province",
            "province": "86",
            "title": "Kế hoạch 2026",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "targets": [
                {"indicator": "health_checks_ok", "value": "100", "by": "2026-12-31"},
                {"indicator": "exercise_ok", "value": "100", "by": "2026-12-31"},
            ],
        }
    )
    async with reporting_db.sessions() as session:
        await plans.put_plan(session, NATIONAL, doc)
    (measured,) = (await province(reporting_db, JUNE_30))["plans"]
    targets = {t["indicator"]: t for t in measured["targets"]}
    assert {k: targets["health_checks_ok"][k] for k in ("value", "target", "by", "gap")} == {
        "value": Decimal("15.78"),
        "target": Decimal("100"),
        "by": date(2026, 12, 31),
        "gap": Decimal("84.22"),
    }
    assert targets["exercise_ok"]["value"] == Decimal("66.66")
    assert targets["exercise_ok"]["gap"] == Decimal("33.34")


async def test_the_province_query_is_set_wise(
    reporting_db: Database, registry: Registry, health: Health
) -> None:
    """As many statements for three clubs as for thirty: none per club or member."""
    world = World(registry, health)
    await apply(reporting_db, world)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    async def statements_of_province() -> int:
        statements.clear()
        event.listen(reporting_db.engine.sync_engine, "before_cursor_execute", count)
        try:
            await province(reporting_db, JUNE_30)
        finally:
            event.remove(reporting_db.engine.sync_engine, "before_cursor_execute", count)
        return len(statements)

    few = await statements_of_province()
    assert few > 0
    more = Registry()
    extra = Health()
    for n in range(27):
        club_id = more.club("29623" if n % 2 else "29410", date(2020, 1, 1))
        people = more.members(club_id, "86", 3, joined_on=date(2021, 1, 1), volunteer=True)
        for person in people:
            extra.check(person, club_id, "86", date(2026, 2, 1))
            extra.check(person, club_id, "86", date(2026, 6, 1))
            extra.insure(person, club_id, "86", date(2026, 1, 1), date(2026, 12, 31))
        extra.session(club_id, "86", date(2026, 6, 2))
        extra.visit(club_id, "86", people[0], people[1], date(2026, 6, 3))
    await feeder(reporting_db).apply_log(more.log)
    await health_feeder(reporting_db).apply_log(extra.log)
    assert (await province(reporting_db, JUNE_30))["indicators"]["clubs"] == 30
    assert await statements_of_province() == few
    assert (await province(reporting_db, JUNE_30))["indicators"]["members_checked_twice"] == 84
