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
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.encoders import jsonable_encoder
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader

from ishc_platform.auth import Caller, Role, issue_token
from ishc_platform.clock import set_clock_start
from ishc_platform.db import Database
from ishc_platform.migrate import upgrade
from ishc_platform.settings import Settings
from ishc_reporting.app import create_app
from ishc_reporting.domain import report_layout as layout
from ishc_reporting.models import IssuedReport
from ishc_reporting.schemas import ReportRequest
from ishc_reporting.service import reports as reports_service
from tests.reporting.conftest import Registry, feeder

SECRET = "q" * 48


def bearer(role: Role, *provinces: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {issue_token(SECRET, sub='t', role=role, provinces=provinces)}"
    }


VL, DN, NATIONAL = bearer(Role.PROVINCE, "86"), bearer(Role.PROVINCE, "75"), bearer(Role.NATIONAL)
NATION = Caller(sub="t", role=Role.NATIONAL, provinces=frozenset())


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
    assert figures["format"] == layout.FORMAT and "targets" not in figures
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
    xlsx_sheet, _ = workbook_rows(xlsx.content)
    assert find(xlsx_sheet, "Thời hạn").font.b  # the window column of the official layout
    # The PDF lists each target with its window too.
    text = pdf_text(world.http.get(f"/v1/reports/{report['id']}.pdf", headers=VL).content)
    assert "CLB thành lập mới 01/2017 – 12/2018 0 31/12/2018 +17" in text
    assert "Địa bàn đo chỉ tiêu: Tỉnh Vĩnh Long (cũ), 109 xã, phường, thị trấn" in text


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
    sheet, _ = workbook_rows(xlsx.content)  # its rows, as issued, inside the official frame
    assert find(sheet, "Tỷ lệ xã, phường có CLB (%)").offset(column=2).value == 50
    pdf = pdf_text(world.http.get(f"/v1/reports/{report['id']}.pdf", headers=VL).content)
    assert "Chỉ tiêu Kết quả Mục tiêu Còn thiếu" in pdf
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


# -- the report as an official document (Decree 30/2020/NĐ-CP), and its PDF --------------


def workbook_rows(content: bytes) -> tuple[Any, list[tuple[Any, ...]]]:
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return sheet, [tuple(row) for row in sheet.iter_rows(values_only=True)]


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def find(sheet: Any, value: object) -> Any:
    """The first cell holding `value`."""
    return next(c for row in sheet.iter_rows() for c in row if c.value == value)


def test_the_xlsx_is_laid_out_as_an_administrative_document(world: World) -> None:
    report = issue(world, VL)  # Q2 2026, issued on 1 December 2026 (Vietnam's date)
    url = f"/v1/reports/{report['id']}.xlsx"
    content = world.http.get(url, headers=VL).content
    assert world.http.get(url, headers=VL).content == content  # the same bytes every time
    sheet, _rows = workbook_rows(content)
    # The top: issuing body and number on the left, motto, place and date on the right.
    assert sheet["A1"].value == "HỘI NGƯỜI CAO TUỔI TỈNH VĨNH LONG" and sheet["A1"].font.b
    assert sheet["A2"].value == "Số: ……/BC-HNCT"
    motto = find(sheet, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    assert motto.row == 1 and motto.column > 1 and motto.font.b
    assert find(sheet, "Độc lập - Tự do - Hạnh phúc").row == 2
    assert find(sheet, "Vĩnh Long, ngày 01 tháng 12 năm 2026").row == 3
    assert find(sheet, "BÁO CÁO").font.b
    find(sheet, "QUÝ 2 NĂM 2026 — Tỉnh Vĩnh Long")
    find(sheet, "(từ ngày 01/04/2026 đến ngày 30/06/2026)")
    assert find(sheet, "Số liệu tính đến ngày").offset(column=1).value == "30/06/2026"
    # The table: a bold, bordered header; figures as numbers with their formats.
    header = find(sheet, "Chỉ tiêu")
    assert header.font.b and header.border.left.style == "thin"
    assert header.offset(column=1).value == "Kết quả"
    members = find(sheet, "Số hội viên").offset(column=1)
    assert members.value == 50 and members.number_format == "#,##0"
    assert members.border.bottom.style == "thin"
    coverage = find(sheet, "Tỷ lệ xã, phường có CLB (%)").offset(column=1)
    assert coverage.value == 0.8 and coverage.number_format == "#,##0.00"
    assert find(sheet, "29623").offset(column=1).value == "Xã Nhơn Phú"
    # A4, fitted to the width, Decree 30's margins, the table's header on every page.
    setup = sheet.page_setup
    assert str(setup.paperSize) == sheet.PAPERSIZE_A4 and setup.orientation == "portrait"
    assert setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert round(sheet.page_margins.left * 25.4) == 30
    assert round(sheet.page_margins.right * 25.4) == 15
    communes = find(sheet, "Mã").row  # the longest table's header, on every printed page
    assert communes > header.row and sheet.print_title_rows == f"${communes}:${communes}"
    assert sheet.oddFooter.center.text == "&P/&N"  # page numbers, "2/5"
    # The signature block: recipients on the left, the signer on the right.
    recipients = find(sheet, "Nơi nhận:")
    assert recipients.column == 1 and recipients.font.b
    assert find(sheet, "- Ủy ban nhân dân tỉnh Vĩnh Long;").row == recipients.row + 2
    on_behalf = find(sheet, "TM. BAN CHẤP HÀNH")
    assert on_behalf.row == recipients.row and on_behalf.column > 1
    assert find(sheet, "CHỦ TỊCH").row == on_behalf.row + 1
    find(sheet, "(Ký, ghi rõ họ tên và đóng dấu)")
    # Issued after the period ended: no warning.
    assert not any(
        str(c.value).startswith("Báo cáo lập trước") for row in sheet.iter_rows() for c in row
    )

    english, _ = workbook_rows(world.http.get(url, params={"lang": "en"}, headers=VL).content)
    assert english["A1"].value == "ASSOCIATION OF THE ELDERLY — Tỉnh Vĩnh Long"
    find(english, "Independence - Freedom - Happiness")
    find(english, "Vĩnh Long, 1 December 2026")


def test_the_pdf_reads_back_in_vietnamese_with_the_figures(world: World) -> None:
    report = issue(world, VL)
    assert report["links"]["pdf"] == f"/v1/reports/{report['id']}.pdf"  # type: ignore[index]
    reply = world.http.get(f"/v1/reports/{report['id']}.pdf", headers=VL)
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/pdf"
    again = world.http.get(f"/v1/reports/{report['id']}.pdf", headers=VL).content
    assert again == reply.content  # fixed creation date: the same bytes every time
    assert PdfReader(io.BytesIO(reply.content)).pages[0].mediabox.width == pytest.approx(
        595.28, abs=0.5
    )  # A4 portrait
    text = pdf_text(reply.content)
    for line in (
        "HỘI NGƯỜI CAO TUỔI TỈNH VĨNH LONG",
        "Số: ……/BC-HNCT",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Vĩnh Long, ngày 01 tháng 12 năm 2026",
        "BÁO CÁO",
        "QUÝ 2 NĂM 2026 — Tỉnh Vĩnh Long",
        "Số liệu tính đến ngày: 30/06/2026",
        "Số hội viên 50",
        "Tỷ lệ xã, phường có CLB (%) 0,80",
        "29623 Xã Nhơn Phú 1 50 Có",
        "Nơi nhận:",
        "TM. BAN CHẤP HÀNH",
        "CHỦ TỊCH",
    ):
        assert line in text, line
    assert "Báo cáo lập trước khi hết kỳ" not in text
    english = pdf_text(
        world.http.get(f"/v1/reports/{report['id']}.pdf", params={"lang": "en"}, headers=VL).content
    )
    assert "Independence - Freedom - Happiness" in english and "Members 50" in english
    assert world.http.get(f"/v1/reports/{report['id']}.pdf", headers=DN).status_code == 404


def test_a_national_report_lists_every_province_and_the_nation(world: World) -> None:
    report = issue(world, NATIONAL, scope="nation", province=None)
    figures = world.http.get(f"/v1/reports/{report['id']}", headers=NATIONAL).json()["figures"]
    by_province = {p["code"]: p for p in figures["by_province"]}
    assert len(by_province) == 34
    assert by_province["86"]["name"] == "Tỉnh Vĩnh Long"
    assert (by_province["86"]["clubs"], by_province["86"]["members"]) == (1, 50)
    assert by_province["79"]["clubs"] == 0

    table = rows(world.http.get(f"/v1/reports/{report['id']}.csv", headers=NATIONAL).content)
    header = next(r for r in table if r and r[0] == "Tỉnh, thành phố")
    assert header[1:4] == ["Mã", "Số xã, phường", "Xã, phường có CLB"]
    assert header.index("Số CLB") == 5 and header.index("Số hội viên") == 7
    listed = table[table.index(header) + 1 : table.index(header) + 36]
    assert len({r[1] for r in listed[:34]}) == 34
    vinh_long = next(r for r in listed if r[0] == "Tỉnh Vĩnh Long")
    assert vinh_long[1] == "86" and vinh_long[5] == "1" and vinh_long[7] == "50"
    assert listed[34][0] == "Toàn quốc" and listed[34][5] == "1" and listed[34][7] == "50"

    sheet, values = workbook_rows(
        world.http.get(f"/v1/reports/{report['id']}.xlsx", headers=NATIONAL).content
    )
    assert sheet["A1"].value == "HỘI NGƯỜI CAO TUỔI VIỆT NAM"
    assert sheet["A2"].value == "Số: ……/BC-TWH"
    find(sheet, "Hà Nội, ngày 01 tháng 12 năm 2026")
    assert sheet.page_setup.orientation == "landscape"
    xlsx_vl = next(r for r in values if r[0] == "Tỉnh Vĩnh Long")
    assert xlsx_vl[1] == "86" and xlsx_vl[5] == 1 and xlsx_vl[7] == 50
    total = find(sheet, "Toàn quốc")
    assert total.font.b and total.offset(column=7).value == 50
    assert total.offset(column=7).number_format == "#,##0"
    province_rows = [r for r in values if r[1] in by_province and r[0] == by_province[r[1]]["name"]]
    assert len(province_rows) == 34

    text = pdf_text(world.http.get(f"/v1/reports/{report['id']}.pdf", headers=NATIONAL).content)
    assert "KẾT QUẢ THEO TỈNH, THÀNH PHỐ" in text
    assert "Thành phố Hồ Chí Minh" in text and "Tỉnh Đắk Lắk" in text

    legacy = issue(
        world, NATIONAL, scope="nation", province=None, kind="year", year=2025, number=None,
        boundary="legacy",
    )  # fmt: skip
    old = world.http.get(f"/v1/reports/{legacy['id']}", headers=NATIONAL).json()["figures"]
    assert len(old["by_province"]) == 63
    assert {"Tỉnh Bến Tre", "Tỉnh Trà Vinh"} <= {p["name"] for p in old["by_province"]}


def test_a_province_report_in_the_earlier_format_has_no_province_table(world: World) -> None:
    report = issue(world, NATIONAL, scope="nation", province=None)

    def as_issued_then(content: dict[str, Any]) -> None:
        content["format"] = 2
        content.pop("by_province")

    world.rewrite(str(report["id"]), as_issued_then)
    table = rows(world.http.get(f"/v1/reports/{report['id']}.csv", headers=NATIONAL).content)
    assert ["Tỉnh, thành phố"] not in [r[:1] for r in table]
    assert table[1][1] == "2026-04-01 – 2026-06-30"  # the dates as format 2 wrote them
    for path in (".xlsx", ".pdf"):
        reply = world.http.get(f"/v1/reports/{report['id']}{path}", headers=NATIONAL)
        assert reply.status_code == 200
    assert "KẾT QUẢ THEO TỈNH" not in pdf_text(reply.content)


def test_a_report_issued_before_its_period_ends_says_so(world: World) -> None:
    set_clock_start(datetime(2026, 11, 30, 3, 0, tzinfo=UTC))  # 30/11/2026 in Vietnam
    vl = bearer(Role.PROVINCE, "86")  # a token of that day
    report = issue(world, vl, kind="quarter", year=2026, number=4)
    warning = "Báo cáo lập trước khi hết kỳ: số liệu tính đến ngày 30/11/2026"
    assert report["issued_early"] is True and report["warning"] == warning
    assert report["as_of"] == "2026-11-30"
    detail = world.http.get(f"/v1/reports/{report['id']}", headers=vl).json()
    assert detail["warning"] == warning
    assert [warning] in rows(world.http.get(f"/v1/reports/{report['id']}.csv", headers=vl).content)
    sheet, _ = workbook_rows(world.http.get(f"/v1/reports/{report['id']}.xlsx", headers=vl).content)
    assert find(sheet, warning).font.b
    assert warning in pdf_text(
        world.http.get(f"/v1/reports/{report['id']}.pdf", headers=vl).content
    )
    english = world.http.get(f"/v1/reports/{report['id']}.pdf", params={"lang": "en"}, headers=vl)
    assert "Issued before the period ended: figures as of 2026-11-30" in pdf_text(english.content)

    ended = issue(world, vl, kind="quarter", year=2026, number=3)
    assert ended["issued_early"] is False and ended["warning"] is None


def test_the_same_report_issued_twice_is_one_report(world: World) -> None:
    body = {"scope": "province", "province": "86", "kind": "quarter", "year": 2026, "number": 2}
    first = world.http.post("/v1/reports", json=body, headers=VL)
    assert first.status_code == 201
    assert first.headers["location"] == f"/v1/reports/{first.json()['id']}"
    again = world.http.post("/v1/reports", json=body, headers=NATIONAL)
    assert again.status_code == 200 and again.json() == first.json()

    # Later data does not make a second report: it shows as the report's revision.
    late = world.registry.club("29410", date(2026, 5, 1), name="CLB Hòa Minh")
    world.registry.members(late, "86", 5, joined_on=date(2026, 5, 1))
    world.apply()
    third = world.http.post("/v1/reports", json=body, headers=VL)
    assert third.status_code == 200 and third.json()["id"] == first.json()["id"]
    detail = world.http.get(f"/v1/reports/{first.json()['id']}", headers=VL).json()
    assert detail["figures"]["indicators"]["clubs"] == 1
    assert detail["revision"]["figures"]["indicators"]["clubs"] == 2

    # Another map is another report; so is a period's interim report and its final.
    legacy = world.http.post("/v1/reports", json={**body, "boundary": "legacy"}, headers=VL)
    assert legacy.status_code == 201
    set_clock_start(datetime(2026, 12, 31, 3, 0, tzinfo=UTC))  # the period's last day
    vl = bearer(Role.PROVINCE, "86")  # a token of that day
    q4 = {**body, "number": 4}
    interim = world.http.post("/v1/reports", json=q4, headers=vl)
    assert interim.status_code == 201 and interim.json()["issued_early"] is True
    assert interim.json()["as_of"] == "2026-12-31"
    assert world.http.post("/v1/reports", json=q4, headers=vl).json()["id"] == interim.json()["id"]
    set_clock_start(datetime(2027, 1, 5, 3, 0, tzinfo=UTC))
    vl = bearer(Role.PROVINCE, "86")
    final = world.http.post("/v1/reports", json=q4, headers=vl)
    assert final.status_code == 201 and final.json()["as_of"] == "2026-12-31"
    assert final.json()["issued_early"] is False
    listed = world.http.get("/v1/reports", headers=vl).json()["items"]
    assert len(listed) == 4


def test_concurrent_issues_of_the_same_report_make_one(world: World) -> None:
    request = ReportRequest.model_validate(
        {"scope": "nation", "kind": "half", "year": 2026, "number": 1}
    )

    async def race() -> list[tuple[str, bool]]:
        db = Database(world.url)

        async def one() -> tuple[str, bool]:
            async with db.sessions() as session:
                report, created = await reports_service.issue_report(session, NATION, request)
                return report.id, created

        try:
            return list(await asyncio.gather(*(one() for _ in range(4))))
        finally:
            await db.dispose()

    results = asyncio.run(race())
    assert len({report_id for report_id, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, False, False, True]
    listed = world.http.get("/v1/reports", headers=NATIONAL).json()["items"]
    assert [r["id"] for r in listed] == [results[0][0]]
