"""Reports: periods, Vietnamese and English renderings, freezing and revisions,
and who may issue and read them."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import tomllib
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.encoders import jsonable_encoder
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from ishc_platform.auth import Role, issue_token
from ishc_platform.db import Database
from ishc_platform.migrate import upgrade
from ishc_platform.settings import Settings
from ishc_reporting.app import create_app
from ishc_reporting.models import IssuedReport
from tests.reporting.conftest import Registry, feeder

SECRET = "q" * 48


def bearer(role: Role, *provinces: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {issue_token(SECRET, sub='t', role=role, provinces=provinces)}"
    }


VL, DN, NATIONAL = bearer(Role.PROVINCE, "86"), bearer(Role.PROVINCE, "75"), bearer(Role.NATIONAL)


class World:
    def __init__(self, client: TestClient, url: str, registry: Registry) -> None:
        self.http, self.url, self.registry = client, url, registry

    def apply(self) -> None:
        async def load() -> None:
            db = Database(self.url)
            await feeder(db).apply_log(self.registry.log)
            await db.dispose()

        asyncio.run(load())
        self.registry.log.clear()

    def rewrite(self, report_id: str, change: Callable[[dict[str, Any]], None]) -> None:
        """Change a stored report's figures in place (as an older release stored them)."""

        async def run() -> None:
            db = Database(self.url)
            async with db.sessions() as session:
                row = await session.get(IssuedReport, report_id)
                assert row is not None
                content = json.loads(row.content)
                change(content)
                row.content = json.dumps(content, ensure_ascii=False, sort_keys=True)
                session.add(row)
                await session.commit()
            await db.dispose()

        asyncio.run(run())

    def load_plan_file(self, name: str) -> None:
        path = Path(__file__).parents[3] / f"services/reporting/plans/{name}.toml"
        body = jsonable_encoder(tomllib.loads(path.read_text()))
        reply = self.http.put(f"/v1/plans/{name}", json=body, headers=NATIONAL)
        assert reply.status_code in (200, 201), reply.text


@pytest.fixture
def world(database_url: str, redis_url: str) -> Iterator[World]:
    upgrade("reporting", database_url)
    registry = Registry()
    club = registry.club("29623", date(2020, 1, 1), name="CLB Nhơn Phú")
    registry.members(club, "86", 50, joined_on=date(2021, 1, 1))
    settings = Settings(
        database_url=database_url,
        redis_url=redis_url,
        jwt_secrets=SECRET,
        stream_prefix=f"test.{uuid.uuid4().hex[:10]}.",
    )
    with TestClient(create_app(settings)) as client:
        w = World(client, database_url, registry)
        w.apply()
        yield w


def issue(world: World, headers: dict[str, str], **body: object) -> dict[str, object]:
    request = {"scope": "province", "province": "86", "kind": "quarter", "year": 2026, "number": 2}
    request.update(body)
    reply = world.http.post("/v1/reports", json=request, headers=headers)
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


def rows(content: bytes) -> list[list[str]]:
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_a_province_report_in_vietnamese_and_english(world: World) -> None:
    report = issue(world, VL)
    vi = world.http.get(f"/v1/reports/{report['id']}.csv", headers=VL)
    assert vi.status_code == 200 and vi.headers["content-type"].startswith("text/csv")
    table = rows(vi.content)
    assert table[0] == ["BÁO CÁO QUÝ 2 NĂM 2026 — Tỉnh Vĩnh Long"]
    labels = {r[0]: r[1:] for r in table if r}
    assert labels["Số hội viên"][0] == "50"
    assert labels["Tỷ lệ xã, phường có CLB (%)"][0] == "0.80"
    assert ["29623", "Xã Nhơn Phú", "1", "50", "Có"] in table
    en = rows(
        world.http.get(f"/v1/reports/{report['id']}.csv", params={"lang": "en"}, headers=VL).content
    )
    assert en[0] == ["Report Q2 2026 — Tỉnh Vĩnh Long"]
    assert ["29623", "Xã Nhơn Phú", "1", "50", "Yes"] in en

    xlsx = world.http.get(f"/v1/reports/{report['id']}.xlsx", headers=VL)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = {row[0]: row[1:] for row in sheet.iter_rows(values_only=True) if row and row[0]}
    assert values["Số hội viên"][0] == 50
    assert values["29623"][:2] == ("Xã Nhơn Phú", 1)


def test_an_issued_report_is_frozen_and_later_data_shows_as_a_revision(world: World) -> None:
    report = issue(world, NATIONAL, kind="half", number=1)
    first_csv = world.http.get(f"/v1/reports/{report['id']}.csv", headers=VL).content
    first_xlsx = world.http.get(f"/v1/reports/{report['id']}.xlsx", headers=VL).content
    assert world.http.get(f"/v1/reports/{report['id']}", headers=VL).json()["revision"] is None

    # Entered late: a second club founded in March, so inside the first half-year.
    late = world.registry.club("29410", date(2026, 3, 1), name="CLB Hòa Minh")
    world.registry.members(late, "86", 5, joined_on=date(2026, 3, 1))
    world.apply()

    again = world.http.get(f"/v1/reports/{report['id']}", headers=VL).json()
    assert again["figures"]["indicators"]["clubs"] == 1  # as issued
    assert again["revision"]["figures"]["indicators"]["clubs"] == 2
    assert {"clubs", "members", "new_clubs", "coverage"} <= set(again["revision"]["changed"])
    assert world.http.get(f"/v1/reports/{report['id']}.csv", headers=VL).content == first_csv
    assert world.http.get(f"/v1/reports/{report['id']}.xlsx", headers=VL).content == first_xlsx


def test_a_report_lists_each_plan_in_force_with_its_targets_and_windows(world: World) -> None:
    world.load_plan_file("vinh-long-2016-2020")
    report = issue(world, NATIONAL, kind="year", year=2020, number=None, boundary="legacy")
    detail = world.http.get(f"/v1/reports/{report['id']}", headers=VL).json()
    figures = detail["figures"]
    assert figures["format"] == 2 and "targets" not in figures
    assert [p["id"] for p in figures["plans"]] == ["vinh-long-2016-2020"]
    assert figures["plan"]["id"] == "vinh-long-2016-2020"

    table = rows(world.http.get(f"/v1/reports/{report['id']}.csv", headers=VL).content)
    labels = {r[0]: r[1:] for r in table if r}
    assert labels["Số CLB đang hoạt động"] == ["1"]  # the indicators: a value each
    assert labels["Số hội viên"] == ["0"]  # they joined in 2021
    assert labels["Kế hoạch"][0].startswith("Kế hoạch thực hiện Đề án")
    assert labels["Ghi chú"][0].startswith("Kế hoạch tính trên 109 xã, phường, thị trấn")
    assert labels["Địa bàn đo chỉ tiêu"] == ["Tỉnh Vĩnh Long (cũ), 109 xã, phường, thị trấn"]
    assert labels["Thời gian thực hiện"] == ["01/01/2016 – 31/12/2020"]
    header = ["Chỉ tiêu", "Thời hạn", "Kết quả", "Ngày đo", "Mục tiêu", "Cần đạt theo tiến độ"]
    assert [*header, "Còn thiếu", "Tình trạng", "Căn cứ"] in table
    new_clubs = [r[:8] for r in table if r and r[0] == "CLB thành lập mới"]
    assert new_clubs == [
        ["CLB thành lập mới", "01/2017 – 12/2018", "0", "31/12/2018", "+17", "", "17", "không đạt"],
        ["CLB thành lập mới", "01/2019 – 12/2020", "1", "31/12/2020", "+17", "", "16", "không đạt"],
        ["CLB thành lập mới", "01/2017 – 12/2020", "1", "31/12/2020", "+34", "", "33", "không đạt"],
    ]
    communes = next(r for r in table if r and r[0] == "Số xã, phường, thị trấn có CLB")
    assert communes[1] == "01/2016 – 12/2020" and communes[4] == "≥ 55"

    english = rows(
        world.http.get(f"/v1/reports/{report['id']}.csv", params={"lang": "en"}, headers=VL).content
    )
    assert ["New clubs", "2017-01 – 2018-12", "0", "2018-12-31", "+17", "", "17", "missed"] in [
        r[:8] for r in english
    ]
    xlsx = world.http.get(f"/v1/reports/{report['id']}.xlsx", headers=VL)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    targets = [r for r in sheet.iter_rows(values_only=True) if r and r[0] == "CLB thành lập mới"]
    assert targets[0][:8] == (
        "CLB thành lập mới", "01/2017 – 12/2018", 0, "31/12/2018", "+17", None, 17, "không đạt",
    )  # fmt: skip


def test_a_report_issued_in_the_earlier_format_still_reads_as_issued(world: World) -> None:
    report = issue(world, VL)

    def as_issued_then(content: dict[str, Any]) -> None:
        for key in ("format", "plans", "communes_note"):
            content.pop(key)
        content["plan"] = None
        indicators = content["indicators"]
        for key in ("poor_older_women", "ethnic_minority_members", "clubs_in_all_areas"):
            indicators.pop(key)
        indicators["activity_areas_covered"] = 0
        for flag in ("well_managed", "full_activity"):
            indicators["shares"].pop(flag)
        content["targets"] = {
            "coverage": {"value": "0.80", "target": "50", "by": "2026-12-31", "gap": "49.20"}
        }

    world.rewrite(str(report["id"]), as_issued_then)
    table = rows(world.http.get(f"/v1/reports/{report['id']}.csv", headers=VL).content)
    assert ["Chỉ tiêu", "Kết quả", "Mục tiêu", "Còn thiếu"] in table
    labels = {r[0]: r[1:] for r in table if r}
    assert labels["Tỷ lệ xã, phường có CLB (%)"] == ["0.80", "50", "49.20"]
    assert labels["Số lĩnh vực hoạt động (trên 8)"] == ["0", "", ""]
    assert "Các kế hoạch đang hiệu lực" not in labels and "CLB được quản lý tốt (%)" not in labels
    xlsx = world.http.get(f"/v1/reports/{report['id']}.xlsx", headers=VL)
    assert xlsx.status_code == 200
    # What it did not hold is no change of it: the same figures, no revision.
    detail = world.http.get(f"/v1/reports/{report['id']}", headers=VL).json()
    assert detail["revision"] is None and "targets" in detail["figures"]


def test_who_issues_and_reads(world: World) -> None:
    mine = issue(world, VL)
    assert world.http.get(f"/v1/reports/{mine['id']}", headers=DN).status_code == 404
    assert world.http.get(f"/v1/reports/{mine['id']}.csv", headers=DN).status_code == 404
    other = {"scope": "province", "province": "86", "kind": "year", "year": 2025}
    assert world.http.post("/v1/reports", json=other, headers=DN).status_code == 403
    nation = {"scope": "nation", "kind": "year", "year": 2025}
    assert world.http.post("/v1/reports", json=nation, headers=VL).status_code == 403
    national = world.http.post("/v1/reports", json=nation, headers=NATIONAL)
    assert national.status_code == 201
    assert world.http.get(f"/v1/reports/{national.json()['id']}", headers=VL).status_code == 404
    listed = world.http.get("/v1/reports", headers=VL).json()["items"]
    assert [r["id"] for r in listed] == [mine["id"]]
    assert world.http.get("/v1/reports", params={"province": "86"}, headers=DN).status_code == 403
    assert len(world.http.get("/v1/reports", headers=NATIONAL).json()["items"]) == 2


def test_bad_requests_name_the_field_and_store_nothing(world: World) -> None:
    def refused(body: dict[str, object], field: str) -> None:
        reply = world.http.post("/v1/reports", json=body, headers=NATIONAL)
        assert reply.status_code == 422, reply.text
        assert reply.headers["content-type"] == "application/problem+json"
        assert field in {e["field"] for e in reply.json()["errors"]}, reply.json()

    base = {"scope": "province", "province": "86", "kind": "quarter", "year": 2026}
    refused({**base, "number": 5}, "number")
    refused({**base, "number": 1, "year": 2999}, "year")
    refused({**base, "number": 1, "kind": "month"}, "kind")
    refused({**base, "number": 1, "province": "99"}, "province")
    refused({**base, "number": 1, "year": today_year() + 1}, "year")
    assert world.http.get("/v1/reports", headers=NATIONAL).json()["items"] == []


def today_year() -> int:
    from ishc_platform.clock import today

    return today().year
