"""The health indicators where the other indicators are: the app consuming
`ishc.health` from a real Redis stream (today's figures, kept warm), the live
feed, the API's answers, the reports (CSV and XLSX, Vietnamese labels) and the
dashboard, with small cells hidden from the public."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from faststream.redis import RedisBroker
from openpyxl import load_workbook
from redis.asyncio import Redis

from ishc_platform.admin_units import Boundary
from ishc_platform.auth import Role, issue_token
from ishc_platform.broker import EventPublisher
from ishc_platform.db import Database
from ishc_platform.migrate import upgrade
from ishc_platform.settings import Settings
from ishc_reporting import queries
from ishc_reporting.adapters import gauges
from ishc_reporting.adapters.live_feed import LiveFeed
from ishc_reporting.app import create_app
from ishc_reporting.cli import rebuild
from ishc_reporting.consumers import SUBSCRIPTIONS
from tests.reporting.conftest import Health, Registry, feeder, health_feeder
from tests.reporting.integration.test_health_indicators import World, every

SECRET = "h" * 48
NATIONAL = {"Authorization": f"Bearer {issue_token(SECRET, sub='vae', role=Role.NATIONAL)}"}
VL = {
    "Authorization": f"Bearer {issue_token(SECRET, sub='vl', role=Role.PROVINCE, provinces=['86'])}"
}
JUNE_30 = {"as_of": "2026-06-30"}


@dataclass
class App:
    client: TestClient
    world: World


def settings(url: str, redis_url: str, prefix: str) -> Settings:
    return Settings(
        database_url=url,
        redis_url=redis_url,
        jwt_secrets=SECRET,
        stream_prefix=prefix,
        dashboard_public=True,
        consumer_block_ms=50,
    )


@pytest.fixture
def app(database_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    """The app over the hand-worked world of test_health_indicators, loaded first."""
    monkeypatch.delenv("ISHC_SMALL_CELL_THRESHOLD", raising=False)
    upgrade("reporting", database_url)
    world = World(Registry(), Health())

    async def load() -> None:
        db = Database(database_url)
        await feeder(db).apply_log(world.registry.log)
        await health_feeder(db).apply_log(world.health.log)
        await db.dispose()

    asyncio.run(load())
    prefix = f"test.{uuid.uuid4().hex[:10]}."
    with TestClient(create_app(settings(database_url, redis_url, prefix))) as client:
        yield App(client, world)


def test_the_app_consumes_ishc_health_from_redis_and_the_live_feed_shows_it(
    tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Today is 1 December 2026 (the tests' clock): the default period is 2026 to date.
    monkeypatch.delenv("ISHC_SMALL_CELL_THRESHOLD", raising=False)
    url = f"sqlite:///{tmp_path}/reporting.db"
    prefix = f"test.{uuid.uuid4().hex[:10]}."
    registry, health = Registry(), Health()
    club = registry.club("29623", date(2020, 1, 1), name="CLB Nhơn Phú")
    members = registry.members(club, "86", 5, joined_on=date(2021, 1, 1))
    (volunteer,) = registry.members(club, "86", 1, joined_on=date(2021, 1, 1), volunteer=True)
    for member in members:
        health.check(member, club, "86", date(2026, 6, 1))
        health.check(member, club, "86", date(2026, 11, 20))
    for member in (*members, volunteer):
        health.insure(member, club, "86", date(2026, 1, 1), date(2026, 12, 31))
    sessions = health.sessions(club, "86", every({0, 2, 4}, date(2026, 1, 1), date(2026, 11, 30)))
    health.visit(club, "86", volunteer, members[0], date(2026, 11, 2))
    health.visit(club, "86", volunteer, "community-0000", date(2026, 11, 9), "community")
    expected = {
        "members_checked_twice": 5,
        "health_checks_ok": "83.33",
        "exercise_sessions": sessions,
        "home_care_visits": 2,
        "people_cared_for": 2,
        "members_insured": 6,
        "insurance_coverage": "100.00",
    }

    async def publish() -> None:
        redis = Redis.from_url(redis_url)
        for stream, log in (("ishc.registry", registry.log), ("ishc.health", health.log)):
            publisher = EventPublisher(RedisBroker(redis_url), redis, prefix + stream, "test")
            await publisher.publish_many([json.dumps(e) for e in log])
        await redis.aclose()

    with TestClient(create_app(settings(url, redis_url, prefix))) as client:
        # Today's province figures come from the warm cache, which the health
        # batches refresh through the clubs they touch.
        assert client.get("/v1/indicators/provinces/86", headers=VL).status_code == 200
        asyncio.run(publish())
        deadline, ind = time.monotonic() + 15, {}
        while time.monotonic() < deadline:
            reply = client.get("/v1/indicators/provinces/86", headers=VL).json()
            ind = reply.get("indicators") or {}
            if all(ind.get(k) == v for k, v in expected.items()):
                break
            time.sleep(0.1)
        row = client.get(f"/v1/indicators/clubs/{club}", headers=NATIONAL).json()["indicators"]
    assert {k: ind.get(k) for k in expected} == expected
    assert {k: row[k] for k in expected} == expected
    # Monday, Wednesday and Friday to 30 November: 143 sessions in the 335 days of
    # 2026 to date, 2.99 a week.
    assert sessions == 143 and row["checks"]["exercise_ok"] is False
    assert ind["shares"]["exercise_ok"] == "0.00"
    assert sorted(row["activity_areas"]) == ["health_care", "home_care"]

    async def snapshots() -> tuple[dict[str, Any], dict[str, Any]]:
        db = Database(url)
        try:
            feed = LiveFeed(db, small_cell_threshold=5)
            await feed._poll()
            return (
                feed.snapshot(lambda code: code == "86"),
                feed.snapshot(lambda code: code == "86", exact=True),
            )
        finally:
            await db.dispose()

    public, exact = asyncio.run(snapshots())
    (shown,) = public["provinces"]
    (exact_row,) = exact["provinces"]
    assert exact_row["health_checks_ok"] == "83.33" and exact_row["members_checked_twice"] == 5
    assert exact_row["insurance_coverage"] == "100.00" and exact_row["people_cared_for"] == 2
    # 5 of 6 checked would give the one unchecked member away; all 6 insured gives no one.
    assert shown["members_checked_twice"] == "> 1" and shown["health_checks_ok"] is None
    assert shown["insurance_coverage"] == "100.00" and shown["members_insured"] == 6
    assert shown["people_cared_for"] == "< 5"


def test_the_api_answers_with_the_health_figures_and_no_person(app: App) -> None:
    province = app.client.get("/v1/indicators/provinces/86", params=JUNE_30, headers=VL)
    assert province.status_code == 200, province.text
    ind = province.json()["indicators"]
    assert ind["members_checked_twice"] == 3 and ind["health_checks_ok"] == "15.78"
    assert ind["members_insured"] == 4 and ind["insurance_coverage"] == "21.05"
    assert ind["home_care_visits"] == 6 and ind["people_cared_for"] == 3
    assert ind["shares"]["exercise_ok"] == "66.66" and ind["clubs_meeting"]["exercise_ok"] == 2
    table = app.client.get("/v1/indicators/provinces", params=JUNE_30, headers=NATIONAL).json()
    row = next(r for r in table["provinces"] if r["code"] == "86")
    assert row["indicators"]["health_checks_ok"] == "15.78"
    nation = app.client.get("/v1/indicators/national", params=JUNE_30, headers=NATIONAL).json()
    assert nation["indicators"]["people_cared_for"] == 3
    commune = app.client.get("/v1/indicators/communes/29410", params=JUNE_30, headers=VL).json()
    by_name = {c["name"]: c for c in commune["clubs"]}
    assert by_name["CLB Hòa Minh 2"]["checks"]["exercise_ok"] is True
    assert by_name["CLB Hòa Minh"]["checks"]["exercise_ok"] is False
    club = app.client.get(
        f"/v1/indicators/clubs/{app.world.a}", params=JUNE_30, headers=NATIONAL
    ).json()
    assert club["indicators"]["health_checks_ok"] == "22.22"
    # No member's id, nor a person of the community's, anywhere in the answers.
    text = json.dumps([province.json(), table, nation, commune, club])
    for person in (*app.world.members_a, *app.world.volunteers_a, app.world.p1, app.world.p3):
        assert person not in text


def csv_rows(content: bytes) -> dict[str, list[str]]:
    text = content.decode("utf-8")
    return {r[0]: r[1:] for r in csv.reader(io.StringIO(text[1:])) if r}


def test_reports_carry_the_health_indicators_in_vietnamese(app: App) -> None:
    plan = {
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
    assert (
        app.client.put("/v1/plans/vinh-long-2026", json=plan, headers=NATIONAL).status_code == 201
    )
    # The second quarter: figures as of 30 June, sessions and visits from 1 April.
    request = {"scope": "province", "province": "86", "kind": "quarter", "year": 2026, "number": 2}
    report = app.client.post("/v1/reports", json=request, headers=VL).json()
    vi = csv_rows(app.client.get(f"/v1/reports/{report['id']}.csv", headers=VL).content)
    assert vi["Hội viên được khám sức khỏe ít nhất 2 lần trong 12 tháng"][0] == "3"
    assert vi["Tỷ lệ hội viên được khám sức khỏe ít nhất 2 lần/năm (%)"] == ["15.78"]
    # The plan's target, in the plan's section: window, value, day read, target, gap.
    target = vi["Hội viên được khám sức khỏe ít nhất 2 lần/năm (%)"]
    assert [target[i] for i in (0, 1, 2, 3, 5)] == [
        "01/2026 – 12/2026",
        "15.78",
        "30/06/2026",
        "100%",
        "84.22",
    ]
    # A: four a week in the quarter; C: exactly three a week since 8 April; B: none.
    # The share and its target share a label: the target's row (the plan's section) is read.
    exercise = vi["CLB tập dưỡng sinh bình quân ít nhất 3 buổi/tuần (%)"]
    assert [exercise[i] for i in (1, 3, 5)] == ["66.66", "100%", "33.34"]
    assert vi["Lượt chăm sóc tại nhà trong kỳ"][0] == "2"  # A on 1 May, C on 15 May
    assert vi["Số người được chăm sóc tại nhà trong kỳ"][0] == "2"
    assert vi["Hội viên có thẻ bảo hiểm y tế còn hiệu lực"][0] == "4"
    assert vi["Tỷ lệ hội viên có bảo hiểm y tế (%)"][0] == "21.05"
    quarter = [d for d in app.world.sessions_a if date(2026, 4, 1) <= d <= date(2026, 6, 30)]
    assert vi["Số buổi tập dưỡng sinh trong kỳ"][0] == str(len(quarter) + 36)
    en = csv_rows(
        app.client.get(f"/v1/reports/{report['id']}.csv", params={"lang": "en"}, headers=VL).content
    )
    assert en["Members checked at least twice a year (%)"][:2] == ["2026-01 – 2026-12", "15.78"]
    assert en["Clubs exercising at least 3 times a week on average (%)"][1] == "66.66"
    xlsx = app.client.get(f"/v1/reports/{report['id']}.xlsx", headers=VL)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = {r[0]: r[1:] for r in sheet.iter_rows(values_only=True) if r and r[0]}
    assert values["Số người được chăm sóc tại nhà trong kỳ"][0] == 2
    assert str(values["Tỷ lệ hội viên được khám sức khỏe ít nhất 2 lần/năm (%)"][0]) == "15.78"


def row_of(html: str, code: str) -> str:
    return html.split(f'<tr data-code="{code}">')[1].split("</tr>")[0]


def test_the_dashboard_shows_them_and_hides_a_few_people_from_the_public(app: App) -> None:
    signed_in = row_of(app.client.get("/dashboard", params=JUNE_30, headers=NATIONAL).text, "86")
    assert '<td data-field="health_checks_ok">15,78</td>' in signed_in
    assert '<td data-field="insurance_coverage">21,05</td>' in signed_in
    assert '<td data-field="people_cared_for">3</td>' in signed_in
    assert '<td data-field="exercise_ok">66,66</td>' in signed_in
    # The public: 3 checked twice, 4 insured and 3 cared for are fewer than 5 people.
    public_html = app.client.get("/dashboard", params=JUNE_30).text
    public = row_of(public_html, "86")
    assert '<td data-field="health_checks_ok">—</td>' in public
    assert '<td data-field="insurance_coverage">—</td>' in public
    assert '<td data-field="people_cared_for">&lt; 5</td>' in public
    assert '<td data-field="exercise_ok">66,66</td>' in public  # a share of clubs stays
    assert "Dưỡng sinh ≥ 3 buổi/tuần" in public_html and "Khám sức khỏe ≥ 2 lần/năm" in public_html
    province = app.client.get("/dashboard/provinces/86", params=JUNE_30).text
    assert "Sức khỏe và chăm sóc tại nhà" in province
    assert "Hội viên khám sức khỏe ≥ 2 lần/12 tháng: &lt; 5" in province
    assert "Lượt chăm sóc tại nhà trong kỳ: 6" in province  # visits of 3 people: 6 stays
    club = app.client.get(f"/dashboard/clubs/{app.world.a}", params=JUNE_30, headers=NATIONAL).text
    assert "<b>22,22</b>" in club and "Người được chăm sóc tại nhà<b>2</b>" in club
    commune = app.client.get("/dashboard/communes/29410", params=JUNE_30, headers=NATIONAL).text
    assert "<td>16,66</td>" in commune  # C's insurance coverage
    english = app.client.get("/dashboard", params={**JUNE_30, "lang": "en"}, headers=NATIONAL).text
    assert '<td data-field="health_checks_ok">15.78</td>' in row_of(english, "86")
    assert "Exercise ≥ 3 a week" in english and "Checked twice a year (%)" in english


def test_a_rebuild_replays_ishc_health_and_the_staleness_counts_it(
    tmp_path: Path, redis_url: str
) -> None:
    """`ishc-reporting rebuild` takes `--log health=…` and replays `ishc.health`
    from its start; the gauges' lag counts what the group has not applied there."""
    prefix = f"test.{uuid.uuid4().hex[:10]}."
    world = World(Registry(), Health())
    config = settings(f"sqlite:///{tmp_path}/live.db", redis_url, prefix)

    async def scenario() -> tuple[int, dict[str, Any], int]:
        redis = Redis.from_url(redis_url)
        try:
            for stream, log in (
                ("ishc.registry", world.registry.log),
                ("ishc.health", world.health.log),
            ):
                publisher = EventPublisher(RedisBroker(redis_url), redis, prefix + stream, "test")
                await publisher.publish_many([json.dumps(e) for e in log])
            with pytest.raises(typer.BadParameter):
                await rebuild(into=url, logs={"welfare": "http://x"}, settings=config)
            applied = await rebuild(into=url, logs={}, settings=config)
            db = Database(url)
            try:
                async with db.sessions() as session:
                    q = queries.make_query(date(2026, 6, 30), Boundary.CURRENT, None, None)
                    figures = await queries.province_detail_unchecked(session, "86", q)
            finally:
                await db.dispose()
            # A group that has read nothing of ishc.health is its whole length behind.
            await redis.xgroup_create(prefix + "ishc.health", "reporting", id="0")
            app = SimpleNamespace(state=SimpleNamespace(redis=redis, settings=config))
            lag = await gauges._lag(app)  # type: ignore[arg-type]
            return applied, figures, lag
        finally:
            await redis.aclose()

    url = f"sqlite:///{tmp_path}/rebuilt.db"
    applied, figures, lag = asyncio.run(scenario())
    assert applied == len(world.registry.log) + len(world.health.log)
    ind = figures["indicators"]
    assert ind["members_checked_twice"] == 3 and ind["health_checks_ok"] == Decimal("15.78")
    assert ind["people_cared_for"] == 3 and ind["shares"]["exercise_ok"] == Decimal("66.66")
    assert "health" in {sub.log_source for sub in SUBSCRIPTIONS}
    assert lag == len(world.health.log)
