"""Spreadsheet imports over HTTP with real CSV and XLSX files."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from tests.registry.conftest import DN, VL, Registry

pytestmark = pytest.mark.integration
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(
    registry: Registry,
    content: bytes,
    kind: str,
    *,
    name: str = "ds.xlsx",
    headers: dict[str, str] = VL,
    **form: Any,
) -> Any:
    data = {
        "kind": kind,
        **{k: str(v).lower() if isinstance(v, bool) else v for k, v in form.items()},
    }
    return registry.http.post(
        "/v1/imports",
        headers=headers,
        data=data,
        files={"file": (name, content, XLSX if name.endswith("xlsx") else "text/csv")},
    )


MEMBER_HEADERS = [
    "STT",
    "Họ và tên",
    "Giới tính",
    "Năm sinh",
    "Hoàn cảnh",
    "Dân tộc thiểu số",
    "Tình nguyện viên",
    "Ngày tham gia",
    "Mã thành viên",
    "Mã CLB",
]


def test_clubs_then_members_from_xlsx_with_excel_dates_and_a_rerun(registry: Registry) -> None:
    clubs = xlsx(
        [
            ["Tên CLB", "Mã xã", "Mã xã cũ", "Ấp/Khóm", "Ngày thành lập", "Mã CLB"],
            ["CLB Nhơn Phú", 29623, None, "Ấp 1", datetime(2018, 3, 15), "VL-A"],
            ["CLB Cái Vồn", None, "29764", None, "02/09/2019", "VL-B"],  # split: no current code
        ]
    )
    refused = upload(registry, clubs, "clubs")
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "field": "commune_code",
            "row": 3,
            "column": "Mã xã",  # the header as the file has it
            "column_letter": "B",
            "code": "legacy_split",
            "candidates": [
                {"code": "29767", "name": "Xã Ngãi Tứ"},
                {"code": "29770", "name": "Phường Cái Vồn"},
            ],
            "message": refused.json()["errors"][0]["message"],
        }
    ]
    assert registry.http.get("/v1/clubs", headers=VL).json()["items"] == []  # all or nothing

    clubs = xlsx(
        [
            ["Tên CLB", "Mã xã", "Mã xã cũ", "Ấp/Khóm", "Ngày thành lập", "Mã CLB"],
            ["CLB Nhơn Phú", 29623, None, "Ấp 1", datetime(2018, 3, 15), "VL-A"],
            ["CLB Cái Vồn", 29770, "29764", None, "02/09/2019", "VL-B"],
        ]
    )
    done = upload(registry, clubs, "clubs")
    assert done.status_code == 200, done.text
    assert (done.json()["created"], done.json()["errors"]) == (2, [])
    listed = {
        c["external_id"]: c for c in registry.http.get("/v1/clubs", headers=VL).json()["items"]
    }
    assert listed["VL-B"]["founded_on"] == "2019-09-02"  # dd/mm/yyyy, never mm/dd
    assert listed["VL-A"]["founded_on"] == "2018-03-15" and listed["VL-A"]["hamlet"] == "Ấp 1"

    members = xlsx(
        [
            MEMBER_HEADERS,
            [
                1,
                "Nguyễn Thị Lan",
                "Nữ",
                1952,
                "Cận nghèo",
                None,
                "x",
                datetime(2019, 1, 10),
                "M-1",
                "VL-A",
            ],
            [2, "Trần Văn Hai", "Nam", 1990, "Không", "x", None, "10/01/2019", "M-2", "VL-A"],
            [3, "Lê Thị Ba", "Nữ", 1948, "Hộ nghèo", None, None, "15/06/2020", "M-3", "VL-B"],
        ]
    )
    first = upload(registry, members, "members")
    assert first.status_code == 200, first.text
    assert (first.json()["created"], first.json()["updated"], first.json()["unchanged"]) == (
        3,
        0,
        0,
    )
    rerun = upload(registry, members, "members")
    assert (rerun.json()["created"], rerun.json()["updated"], rerun.json()["unchanged"]) == (
        0,
        0,
        3,
    )
    club_a = listed["VL-A"]["id"]
    composition = registry.http.get(
        f"/v1/clubs/{club_a}", params={"as_of": "2026-01-01"}, headers=VL
    ).json()["composition"]
    assert (
        composition["members"],
        composition["women"],
        composition["near_poor"],
        composition["volunteers"],
        composition["ethnic_minority"],
    ) == (2, 1, 1, 1, 1)


def test_dry_run_lists_every_bad_row_by_number_and_field(registry: Registry) -> None:
    club = registry.club()
    members = xlsx(
        [
            MEMBER_HEADERS[:-1],
            [1, "Nguyễn Thị Lan", "Nữ", 1952, "Cận nghèo", None, None, "10/01/2019", "M-1"],
            [2, "Trần Văn Hai", "Không rõ", 1990, None, None, None, "10/01/2019", "M-2"],
            [3, "Lê Thị Ba", "Nữ", 2999, None, None, None, "31/02/2020", "M-3"],
            [4, "Phạm Văn Bốn", "Nam", 1950, None, None, None, "01/01/2020", "M-1"],
        ]
    )
    checked = upload(registry, members, "members", club_id=club["id"], dry_run=True)
    assert checked.status_code == 200, checked.text
    problems = {(e["row"], e["field"]) for e in checked.json()["errors"]}
    assert {(3, "sex"), (4, "joined_on"), (5, "external_id")} <= problems
    assert (
        registry.http.get(f"/v1/clubs/{club['id']}", headers=VL).json()["composition"]["members"]
        == 0
    )
    assert registry.events(settle=0.3)[-1]["type"] == "ishc.registry.club.registered.v1"


def test_csv_with_bom_semicolons_and_text_dates(registry: Registry) -> None:
    club = registry.club(external_id="VL-CSV")
    text = (
        "Họ và tên;Giới tính;Năm sinh;Ngày tham gia;Mã thành viên;Mã CLB\n"
        "Võ Thị Năm;Nữ;1949;05/03/2021;C-1;VL-CSV\n"
        "Đặng Văn Sáu;Nam;1960;5/3/2021;C-2;VL-CSV\n"
    )
    reply = upload(registry, b"\xef\xbb\xbf" + text.encode(), "members", name="ds.csv")
    assert reply.status_code == 200, reply.text
    assert reply.json()["created"] == 2
    listed = registry.http.get(f"/v1/clubs/{club['id']}/members", headers=VL).json()["items"]
    assert {m["joined_on"] for m in listed} == {"2021-03-05"}


@pytest.mark.parametrize(
    ("content", "name", "status", "field"),
    [
        (b"", "empty.xlsx", 422, "file"),
        (b"PK\x03\x04 this is not really a zip", "corrupt.xlsx", 422, "file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "photo.xlsx", 422, "file"),
        (xlsx([["Họ và tên", "Sở thích"], ["A", "B"]]), "odd.xlsx", 422, "headers"),
        (b"x" * (5 * 1024 * 1024 + 1), "huge.csv", 413, "file"),
    ],
)
def test_bad_files_are_refused_with_the_field(
    registry: Registry, content: bytes, name: str, status: int, field: str
) -> None:
    club = registry.club()
    reply = upload(registry, content, "members", name=name, club_id=club["id"])
    assert reply.status_code == status, reply.text
    assert reply.json()["errors"][0]["field"] == field


def test_other_provinces_cannot_import_into_a_club(registry: Registry) -> None:
    club = registry.club()
    content = xlsx([[*MEMBER_HEADERS[1:4], "Ngày tham gia"], ["A B", "Nữ", 1950, "01/01/2020"]])
    assert upload(registry, content, "members", headers=DN, club_id=club["id"]).status_code == 404


def test_templates_download_and_read_back(registry: Registry) -> None:
    for kind in ("clubs", "members"):
        reply = registry.http.get(f"/v1/imports/templates/{kind}.xlsx", headers=VL)
        assert reply.status_code == 200 and reply.headers["content-type"] == XLSX
        book = load_workbook(io.BytesIO(reply.content))
        headers = [c.value for c in next(book.worksheets[0].iter_rows(max_row=1))]
        assert (
            ("Họ và tên" in headers)
            if kind == "members"
            else ("Tên CLB" in headers or any("CLB" in str(h) for h in headers))
        )
