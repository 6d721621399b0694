"""The finance indicators where the other indicators are: the app consuming
`ishc.finance` from a real Redis stream, the API's answers, the reports (CSV and
XLSX, Vietnamese labels) and the dashboard, with small cells hidden from the public."""

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
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from faststream.redis import RedisBroker
from openpyxl import load_workbook
from redis.asyncio import Redis

from ishc_platform.auth import Role, issue_token
from ishc_platform.broker import EventPublisher
from ishc_platform.db import Database
from ishc_platform.migrate import upgrade
from ishc_platform.settings import Settings
from ishc_reporting.app import create_app
from tests.reporting.conftest import Finance, Registry, feeder, finance_feeder
from tests.reporting.integration.test_finance_indicators import World

SECRET = "f" * 48
NATIONAL = {"Authorization": f"Bearer {issue_token(SECRET, sub='vae', role=Role.NATIONAL)}"}
VL = {
    "Authorization": f"Bearer {issue_token(SECRET, sub='vl', role=Role.PROVINCE, provinces=['86'])}"
}


@dataclass
class App:
    client: TestClient
    world: World
    prefix: str


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
def app(database_url: str, redis_url: str) -> Iterator[App]:
    """The app over the hand-worked world of test_finance_indicators, loaded first."""
    upgrade("reporting", database_url)
    world = World(Registry(), Finance())

    async def load() -> None:
        db = Database(database_url)
        await feeder(db).apply_log(world.registry.log)
        await finance_feeder(db).apply_log(world.finance.log)
        await db.dispose()

    asyncio.run(load())
    prefix = f"test.{uuid.uuid4().hex[:10]}."
    with TestClient(create_app(settings(database_url, redis_url, prefix))) as client:
        yield App(client, world, prefix)


def test_the_app_consumes_ishc_finance_from_redis(tmp_path: Path, redis_url: str) -> None:
    url = f"sqlite:///{tmp_path}/reporting.db"
    prefix = f"test.{uuid.uuid4().hex[:10]}."
    registry, finance = Registry(), Finance()
    club = registry.club("29623", date(2020, 1, 1), name="CLB Nhơn Phú")
    members = registry.members(club, "86", 6, joined_on=date(2021, 1, 1))
    income = finance.fund(club, "86", "income", date(2021, 1, 1))
    finance.fund(club, "86", "activity", date(2021, 1, 1))
    finance.contribute(income, club, "86", 20_000_000, date(2021, 1, 5))
    loan = finance.lend(income, club, "86", members[0], 6_000_000, date(2026, 6, 1), 6, 60_000)
    finance.pay_instalments(loan, 1)

    async def publish() -> None:
        redis = Redis.from_url(redis_url)
        for stream, log in (("ishc.registry", registry.log), ("ishc.finance", finance.log)):
            publisher = EventPublisher(RedisBroker(redis_url), redis, prefix + stream, "test")
            await publisher.publish_many([json.dumps(e) for e in log])
        await redis.aclose()

    with TestClient(create_app(settings(url, redis_url, prefix))) as client:
        asyncio.run(publish())
        deadline, figures = time.monotonic() + 15, {}
        while time.monotonic() < deadline:
            figures = client.get(f"/v1/indicators/clubs/{club}", headers=NATIONAL).json()
            if (figures.get("indicators") or {}).get("outstanding_principal_vnd"):
                break
            time.sleep(0.1)
    row = figures["indicators"]
    assert row["outstanding_principal_vnd"] == 5_000_000
    assert row["borrowers"] == 1 and row["borrowers_share"] == "16.66"
    assert row["fund_balance_vnd"] == 20_000_000 - 6_000_000 + 1_000_000 + 60_000
    assert row["checks"]["funds_ok"] is True


def test_the_api_answers_with_the_finance_figures_and_no_person(app: App) -> None:
    params = {"as_of": "2026-06-30"}
    province = app.client.get("/v1/indicators/provinces/86", params=params, headers=VL)
    assert province.status_code == 200, province.text
    ind = province.json()["indicators"]
    assert ind["borrowers"] == 4 and ind["borrowers_share"] == "30.76"
    assert ind["par30"] == "59.25" and ind["outstanding_principal_vnd"] == 13_500_000
    assert ind["shares"]["funds_ok"] == "50.00"
    table = app.client.get("/v1/indicators/provinces", params=params, headers=NATIONAL).json()
    row = next(r for r in table["provinces"] if r["code"] == "86")
    assert row["indicators"]["fund_balance_vnd"] == 25_600_000
    nation = app.client.get("/v1/indicators/national", params=params, headers=NATIONAL).json()
    assert nation["indicators"]["par30"] == "59.25"
    commune = app.client.get("/v1/indicators/communes/29623", params=params, headers=VL).json()
    (club,) = commune["clubs"]
    assert club["loans_outstanding"] == 3 and club["par30"] == "64.00"
    # No member's id, nor one loan, anywhere in the answers.
    text = json.dumps([province.json(), table, nation, commune])
    for member in app.world.members_a:
        assert member not in text
    for loan in (app.world.l1, app.world.l2, app.world.b_loan):
        assert loan not in text


def csv_rows(content: bytes) -> dict[str, list[str]]:
    text = content.decode("utf-8")
    return {r[0]: r[1:] for r in csv.reader(io.StringIO(text[1:])) if r}


def test_reports_carry_the_finance_indicators_in_vietnamese(app: App) -> None:
    plan = {
        "id": "vinh-long-2026",
        "scope": "province",
        "province": "86",
        "title": "Kế hoạch 2026",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "targets": [
            {"indicator": "borrowers", "value": "50", "by": "2026-12-31"},
            {"indicator": "funds_ok", "value": "100", "by": "2026-12-31"},
        ],
    }
    assert (
        app.client.put("/v1/plans/vinh-long-2026", json=plan, headers=NATIONAL).status_code == 201
    )
    request = {"scope": "province", "province": "86", "kind": "quarter", "year": 2026, "number": 2}
    report = app.client.post("/v1/reports", json=request, headers=VL).json()
    vi = csv_rows(app.client.get(f"/v1/reports/{report['id']}.csv", headers=VL).content)
    assert vi["Hội viên được vay vốn"][0] == "4"
    assert vi["Tỷ lệ hội viên được vay vốn (%)"] == ["30.76"]
    # The plan's target, in the plan's section: window, value, day read, target, the
    # value expected by then on a straight path (from the plan's start, no baseline
    # printed: the value measured on 31/12/2025, here 0), what is still to go, status.
    window, value, measured_on, target, expected, gap, status = vi["Hội viên được vay vốn (%)"][:7]
    assert (window, value, measured_on, target, gap) == (
        "01/2026 – 12/2026",
        "30.76",
        "30/06/2026",
        "≥ 50%",
        "19.24",
    )
    assert expected and status
    # The share and its target share a label: the target's row (the plan's section) is read.
    funds = vi["CLB có đủ quỹ tăng thu nhập và quỹ hoạt động (%)"]
    assert [funds[i] for i in (1, 3, 5)] == ["50.00", "100%", "50.00"]
    assert vi["Tỷ lệ dư nợ có rủi ro PAR30 (%)"][0] == "59.25"
    assert vi["Dư nợ gốc cho vay (đồng)"][0] == "13500000"
    assert vi["Số dư quỹ bằng tiền (đồng)"][0] == "25600000"
    assert vi["Giá trị hỗ trợ bằng hiện vật (đồng)"][0] == "4000000"
    # The quarter's incomes: April to June.
    assert vi["Thu lãi cho vay trong kỳ (đồng)"][0] == str(
        120_000 + 100_000 + 2 * 60_000 + 10_000 + 20_000
    )
    assert vi["Thu hội phí trong kỳ (đồng)"][0] == str(9 * 3 * 5_000)
    en = csv_rows(
        app.client.get(f"/v1/reports/{report['id']}.csv", params={"lang": "en"}, headers=VL).content
    )
    assert en["Portfolio at risk, PAR30 (%)"][0] == "59.25"
    xlsx = app.client.get(f"/v1/reports/{report['id']}.xlsx", headers=VL)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = {r[0]: r[1:] for r in sheet.iter_rows(values_only=True) if r and r[0]}
    assert values["Dư nợ gốc cho vay (đồng)"][0] == 13_500_000
    assert str(values["Tỷ lệ dư nợ có rủi ro PAR30 (%)"][0]) == "59.25"


def row_of(html: str, code: str) -> str:
    return html.split(f'<tr data-code="{code}">')[1].split("</tr>")[0]


def test_the_dashboard_shows_them_and_hides_a_few_loans_from_the_public(app: App) -> None:
    params = {"as_of": "2026-06-30"}
    signed_in = row_of(app.client.get("/dashboard", params=params, headers=NATIONAL).text, "86")
    assert '<td data-field="borrowers_share">30,76</td>' in signed_in
    assert '<td data-field="par30">59,25</td>' in signed_in
    assert '<td data-field="funds_ok">50,00</td>' in signed_in
    # The public: 4 borrowers and 4 loans are fewer than 5 people.
    public_html = app.client.get("/dashboard", params=params).text
    public = row_of(public_html, "86")
    assert '<td data-field="borrowers_share">—</td>' in public
    assert '<td data-field="par30">—</td>' in public
    assert '<td data-field="funds_ok">50,00</td>' in public  # a share of clubs stays
    assert "PAR30" in public_html and "Đủ 2 quỹ" in public_html
    province = app.client.get("/dashboard/provinces/86", params=params).text
    assert "Quỹ và cho vay" in province and "Hội viên được vay vốn: &lt; 5" in province
    assert "25.600.000" in province  # the province's cash stays
    club = app.client.get(f"/dashboard/clubs/{app.world.a}", params=params, headers=NATIONAL).text
    assert "<b>64,00</b>" in club and "12.500.000" in club
    english = app.client.get("/dashboard", params={**params, "lang": "en"}, headers=NATIONAL)
    assert '<td data-field="par30">59.25</td>' in row_of(english.text, "86")
