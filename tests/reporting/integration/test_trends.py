"""The trends (`queries/trends.py`) on SQLite and PostgreSQL: each point equals
what the indicators give with `as_of` = that point, on both maps, for the
nation and a province, through a leap day, a move, a club dissolved
mid-series and a member who left."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ishc_contracts import registry_events as re
from ishc_platform.admin_units import Boundary
from ishc_platform.db import Database
from ishc_platform.errors import Problem
from ishc_platform.migrate import upgrade
from ishc_platform.settings import Settings
from ishc_reporting.app import create_app
from ishc_reporting.domain import placement
from ishc_reporting.domain.charts import TrendData
from ishc_reporting.queries import make_query, national_unchecked, province_detail_unchecked
from ishc_reporting.queries.indicators import todays_query
from ishc_reporting.queries.trends import (
    forget_trends,
    refreshed,
    share_days,
    trends_unchecked,
)
from ishc_reporting.service.snapshots import keep_snapshots
from tests.reporting.conftest import Registry, feeder

LEAP_DAY = date(2024, 2, 29)


def build(registry: Registry) -> dict[str, str]:
    """In Vĩnh Long (86): A (Nhơn Phú, 29623) from 15/11/2023, 12 members then
    and 3 more on the leap day, one of whom left on 01/06/2024; B (Hòa Minh,
    29410) founded on the leap day, dissolved on 01/09/2024; C (Phú Khương,
    28756) from 01/01/2024, moved into A's commune on 10/05/2024; E
    registered with its legacy commune 29719. Outside: D in Bạch Long Vĩ
    (Hải Phòng, no legacy source: unplaced on the old map) from 01/06/2023."""
    a = registry.club("29623", date(2023, 11, 15), name="CLB A")
    registry.members(a, "86", 12, joined_on=date(2023, 11, 15))
    late = registry.members(a, "86", 3, joined_on=LEAP_DAY, sex="male", birth_year=1990)
    registry.leave(late[0], a, "86", date(2024, 6, 1))
    for month in range(12, 13):
        registry.meeting(a, "86", date(2023, month, 20))
    for month in range(1, 11):
        registry.meeting(a, "86", date(2024, month, 20))
    b = registry.club("29410", LEAP_DAY, name="CLB B")
    registry.members(b, "86", 8, joined_on=LEAP_DAY, poverty="none")
    registry.dissolve(b, "86", date(2024, 9, 1))
    c = registry.club("28756", date(2024, 1, 1), name="CLB C")
    registry.members(c, "86", 6, joined_on=date(2024, 1, 1))
    registry.emit(
        "club.relocated",
        c,
        "86",
        re.ClubRelocated(club_id=c, commune_code="29623", relocated_on=date(2024, 5, 10)),
    )
    e = registry.club("29719", date(2024, 3, 3), legacy="29719", name="CLB E")
    registry.members(e, "86", 4, joined_on=date(2024, 3, 3))
    d = registry.club("11948", date(2023, 6, 1), name="CLB D")
    registry.members(d, "31", 20, joined_on=date(2023, 6, 1))
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


async def loaded(db: Database) -> None:
    registry = Registry()
    build(registry)
    await feeder(db).apply_log(registry.log)


async def indicators_at(
    db: Database, on: date, boundary: Boundary, province: str | None
) -> dict[str, Any]:
    q = make_query(on, boundary, None, None)
    async with db.sessions() as session:
        if province is None:
            found = await national_unchecked(session, q)
        else:
            found = await province_detail_unchecked(session, province, q)
    ind: dict[str, Any] = found["indicators"]
    return ind


def counts_of(trend: TrendData, on: date) -> tuple[Any, ...]:
    point = next(p for p in trend.counts if p.on == on)
    return (point.clubs, point.members, point.communes_with_club, point.communes, point.coverage)


def expected_counts(ind: dict[str, Any]) -> tuple[Any, ...]:
    return (
        ind["clubs"],
        ind["members"],
        ind["communes_with_club"],
        ind["communes"],
        ind["coverage"],
    )


OLD_VINH_LONG = placement.place("29623", None, Boundary.LEGACY).province


@pytest.mark.parametrize(
    ("boundary", "province"),
    [
        (Boundary.CURRENT, None),
        (Boundary.CURRENT, "86"),
        (Boundary.LEGACY, None),
        (Boundary.LEGACY, OLD_VINH_LONG),
    ],
)
async def test_every_point_equals_the_indicators_on_that_day(
    reporting_db: Database, boundary: Boundary, province: str | None
) -> None:
    await loaded(reporting_db)
    as_of = date(2024, 10, 15)  # no month's end: the last point is the day itself
    forget_trends()
    async with reporting_db.sessions() as session:
        trend = await trends_unchecked(session, make_query(as_of, boundary, None, None), province)
    days = [p.on for p in trend.counts]
    assert days[-2:] == [date(2024, 9, 30), as_of]
    assert LEAP_DAY in days and date(2024, 8, 31) in days
    for on in days:
        ind = await indicators_at(reporting_db, on, boundary, province)
        assert counts_of(trend, on) == expected_counts(ind), on
    assert [p.on for p in trend.shares] == share_days(days)
    for point in trend.shares:
        ind = await indicators_at(reporting_db, point.on, boundary, province)
        assert dict(point.shares) == ind["shares"], point.on
        assert point.members == ind["members"]


async def test_the_snapshot_job_gives_every_month_end_its_shares_and_corrects_them(
    reporting_db: Database,
) -> None:
    """Once the snapshot job has run, every month end has its quality shares
    (not only year ends), each equal to the indicators that day on both maps;
    late data makes the job measure the months it alters again (ADR 0008)."""
    registry = Registry()
    clubs = build(registry)
    await feeder(reporting_db).apply_log(registry.log)
    as_of = date(2024, 10, 15)
    scopes = [(Boundary.CURRENT, None), (Boundary.CURRENT, "86"), (Boundary.LEGACY, None),
              (Boundary.LEGACY, OLD_VINH_LONG)]  # fmt: skip

    async def check(expect_members_in_june: int) -> None:
        forget_trends()
        for boundary, province in scopes:
            async with reporting_db.sessions() as session:
                q = make_query(as_of, boundary, None, None)
                trend = await trends_unchecked(session, q, province)
            assert [p.on for p in trend.shares] == [p.on for p in trend.counts]
            for point in trend.shares:
                ind = await indicators_at(reporting_db, point.on, boundary, province)
                assert (dict(point.shares), point.members) == (ind["shares"], ind["members"])
            if (boundary, province) == (Boundary.CURRENT, "86"):
                june = next(p for p in trend.shares if p.on == date(2024, 6, 30))
                assert june.members == expect_members_in_june

    work = await keep_snapshots(reporting_db, months_to_build=1_000)
    assert work.months_missing == 0 and work.trend_months_missing == 0
    await check(expect_members_in_june=32)  # A 12 + 3 - 1, B 8, C 6, E 4
    late = Registry()
    late.members(clubs["a"], "86", 2, joined_on=date(2024, 5, 2))
    await feeder(reporting_db).apply_log(late.log)
    work = await keep_snapshots(reporting_db, months_to_build=1_000)
    assert work.club_months_rewritten > 0 and work.trend_months_measured > 0
    await check(expect_members_in_june=34)  # and the two who joined in May


async def test_the_hand_worked_series_of_vinh_long(reporting_db: Database) -> None:
    await loaded(reporting_db)
    q = make_query(date(2024, 9, 30), Boundary.CURRENT, None, None)
    async with reporting_db.sessions() as session:
        trend = await trends_unchecked(session, q, "86")
    # From A's first month; as_of is a month's end, so it is the last point.
    assert trend.counts[0].on == date(2023, 11, 30) and trend.counts[-1].on == q.as_of
    assert counts_of(trend, date(2023, 11, 30))[:3] == (1, 12, 1)
    assert counts_of(trend, date(2024, 1, 31))[:3] == (2, 18, 2)  # C in Phú Khương
    # The leap day: A's 3 newcomers, B and its 8 founded that day; E not yet.
    assert counts_of(trend, LEAP_DAY)[:3] == (3, 12 + 3 + 8 + 6, 3)
    assert counts_of(trend, date(2024, 3, 31))[:3] == (4, 33, 4)  # E and its 4
    # C moved into A's commune on 10/05: one commune fewer from May's end.
    assert counts_of(trend, date(2024, 5, 31))[:3] == (4, 33, 3)
    assert counts_of(trend, date(2024, 6, 30))[:3] == (4, 32, 3)  # one of A's left 01/06
    # B dissolved on 01/09: still there at August's end, gone at September's.
    assert counts_of(trend, date(2024, 8, 31))[:3] == (4, 32, 3)
    assert counts_of(trend, date(2024, 9, 30))[:3] == (3, 24, 2)


async def test_the_last_point_is_vietnams_today_not_utcs(reporting_db: Database) -> None:
    """The tests' clock reads 01:30 on 01/12/2026 in Vietnam, 30/11 in UTC: the
    page's date (today in Vietnam) is the last point, after November's end."""
    await loaded(reporting_db)
    q = todays_query()
    assert q.as_of == date(2026, 12, 1)
    async with reporting_db.sessions() as session:
        trend = await trends_unchecked(session, q, None)
    assert [p.on for p in trend.counts[-2:]] == [date(2026, 11, 30), date(2026, 12, 1)]
    for on in (date(2026, 11, 30), date(2026, 12, 1)):
        ind = await indicators_at(reporting_db, on, Boundary.CURRENT, None)
        assert counts_of(trend, on) == expected_counts(ind)
    # Year ends, then today: at most 12 share points.
    assert [p.on for p in trend.shares] == [
        date(2023, 12, 31),
        date(2024, 12, 31),
        date(2025, 12, 31),
        date(2026, 12, 1),
    ]


async def test_an_empty_scope_and_an_unknown_province(reporting_db: Database) -> None:
    q = make_query(date(2024, 10, 15), Boundary.CURRENT, None, None)
    async with reporting_db.sessions() as session:
        empty = await trends_unchecked(session, q, None)
        assert empty.counts == [] and empty.shares == []
        with pytest.raises(Problem):
            await trends_unchecked(session, q, "99")


async def test_a_late_event_shows_at_once_in_the_last_point_and_later_before_it(
    reporting_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past points are kept whatever the revision (a late event is rare, and
    recomputing them costs seconds at national scale), and recomputed in the
    background past `PAST_FRESH_FOR`; the as-of date's point follows every batch."""
    registry = Registry()
    clubs = build(registry)
    await feeder(reporting_db).apply_log(registry.log)
    q = make_query(date(2024, 10, 15), Boundary.CURRENT, None, None)
    forget_trends()
    async with reporting_db.sessions() as session:
        before = await trends_unchecked(session, q, "86")
    late = Registry()
    late.members(clubs["a"], "86", 2, joined_on=date(2024, 5, 2))
    await feeder(reporting_db).apply_log(late.log)
    async with reporting_db.sessions() as session:
        kept = await trends_unchecked(session, q, "86")
    assert kept.counts[-1].members == before.counts[-1].members + 2
    assert counts_of(kept, date(2024, 5, 31)) == counts_of(before, date(2024, 5, 31))
    monkeypatch.setattr("ishc_reporting.queries.trends.PAST_FRESH_FOR", timedelta(0))
    async with reporting_db.sessions() as session:
        # past the window, a view still gets the kept points at once, and
        # starts their recomputation in the background
        stale = await trends_unchecked(session, q, "86")
    assert counts_of(stale, date(2024, 5, 31)) == counts_of(before, date(2024, 5, 31))
    await refreshed()
    async with reporting_db.sessions() as session:
        fresh = await trends_unchecked(session, q, "86")
    assert fresh.counts[-2].members == before.counts[-2].members + 2
    assert counts_of(fresh, date(2024, 4, 30)) == counts_of(before, date(2024, 4, 30))
    ind = await indicators_at(reporting_db, date(2024, 5, 31), Boundary.CURRENT, "86")
    assert counts_of(fresh, date(2024, 5, 31)) == expected_counts(ind)


# -- on the pages -------------------------------------------------------------------------

SECRET = "t" * 48


def dashboard(tmp_path: Path, redis_url: str) -> TestClient:
    """A public dashboard over a SQLite projection loaded with `build`."""
    url = f"sqlite:///{tmp_path}/reporting.db"
    upgrade("reporting", url)

    async def load() -> None:
        db = Database(url)
        await loaded(db)
        await db.dispose()

    asyncio.run(load())
    settings = Settings(
        database_url=url,
        redis_url=redis_url,
        jwt_secrets=SECRET,
        stream_prefix=f"test.{uuid.uuid4().hex[:10]}.",
        dashboard_public=True,
    )
    return TestClient(create_app(settings))


def section(html: str) -> str:
    return html.split('<section class="trends" id="trends"')[1].split("</section>")[0]


def test_the_national_and_province_pages_show_the_charts_and_their_tables(
    tmp_path: Path, redis_url: str
) -> None:
    forget_trends()
    with dashboard(tmp_path, redis_url) as client:
        national = section(client.get("/dashboard", params={"as_of": "2024-10-15"}).text)
        for name in ("coverage", "clubs", "members", "quality"):
            assert f'id="trend-{name}" role="img"' in national
        assert '<title id="trend-clubs-title">Số CLB đang hoạt động</title>' in national
        assert "<polyline" in national and "<desc id=" in national
        assert "<details" in national and 'data-table="counts"' in national
        # The latest row first: 15/10/2024, A, C, D (Hải Phòng) and E: 12 + 2 + 6 + 20 + 4.
        first_row = national.split('data-table="counts"')[1].split('<tr><th scope="row">')[1]
        assert first_row.startswith("15/10/2024</th>")
        assert "<td>4</td><td>44</td>" in first_row
        assert "09/2024" in national and "02/2024" in national

        province = section(
            client.get("/dashboard/provinces/86", params={"as_of": "2024-10-15"}).text
        )
        assert 'id="trend-coverage" role="img"' in province
        row = province.split('data-table="counts"')[1].split('<tr><th scope="row">')[1]
        # A, C (now in A's commune) and E: 3 clubs in 2 communes of 124, 24 members.
        assert "<td>1,61</td><td>2 / 124</td><td>3</td><td>24</td>" in row

        english = section(client.get("/dashboard/provinces/86?lang=en&as_of=2024-10-15").text)
        assert "Trends" in english and "Data table" in english and "2024-10-15" in english
        empty = client.get("/dashboard/provinces/75", params={"as_of": "2024-10-15"}).text
        assert "Chưa có dữ liệu." in section(empty)
