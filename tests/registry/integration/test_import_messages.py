"""Import problems people can act on: in Vietnamese (or English with lang=en),
each naming the column as the file heads it, its letter and the row as the
spreadsheet shows it, every problem of a row together; commune names in the
commune column; the communes endpoint and the template's communes sheet."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from ishc_platform.auth import Role
from tests.registry.conftest import DN, NATIONAL, OPS, VL, Registry, bearer
from tests.registry.integration.test_imports import upload, xlsx

pytestmark = pytest.mark.integration

# The test clock says 1 December 2026 in Vietnam (tests/conftest.py).
MEMBERS = [
    "STT",
    "Họ và tên",
    "Giới tính",
    "Năm sinh",
    "Hoàn cảnh",
    "Dân tộc thiểu số",
    "Tình nguyện viên",
    "Ngày vào hội",  # not the template's "Ngày tham gia": a header a province wrote
    "Mã thành viên",
]
GOOD = [1, "Nguyễn Thị Lan", "Nữ", 1952, "Cận nghèo", None, None, "10/01/2019", "M-1"]
# Row 3: three problems: an unreadable sex, a date that does not exist, and (a
# rule, on the cells that could be read) a year of birth in the future.
BAD = [2, "Trần Văn Hai", "Không rõ", 2030, None, None, None, "31/02/2024", "M-2"]


def _errors_of(reply: Any, row: int) -> list[dict[str, Any]]:
    return [e for e in reply.json()["errors"] if e["row"] == row]


def test_every_problem_of_a_row_is_reported_together_in_vietnamese(registry: Registry) -> None:
    club = registry.club()
    checked = upload(
        registry, xlsx([MEMBERS, GOOD, BAD]), "members", club_id=club["id"], dry_run=True
    )
    assert checked.status_code == 200, checked.text
    assert [e["row"] for e in checked.json()["errors"]] == [3, 3, 3]
    by_field = {e["field"]: e for e in _errors_of(checked, 3)}
    assert set(by_field) == {"sex", "joined_on", "birth_year"}
    joined = by_field["joined_on"]
    assert (joined["column"], joined["column_letter"], joined["code"]) == (
        "Ngày vào hội",
        "H",
        "no_such_date",
    )
    assert joined["message"] == (
        "Cột “Ngày vào hội” (H), dòng 3: ngày 31/02/2024 không có thật; ghi theo dd/mm/yyyy."
    )
    assert by_field["sex"]["message"] == (
        "Cột “Giới tính” (C), dòng 3: “Không rõ” không phải giới tính; ghi Nam hoặc Nữ."
    )
    assert by_field["birth_year"]["message"] == (
        "Cột “Năm sinh” (D), dòng 3: năm sinh 2030 chưa tới; hãy kiểm tra lại."
    )
    # Parse problems first (left to right), then the rules.
    assert [e["field"] for e in _errors_of(checked, 3)] == ["sex", "joined_on", "birth_year"]


def test_a_rejected_import_says_it_in_english_with_lang_en(registry: Registry) -> None:
    club = registry.club()
    content = xlsx([MEMBERS, GOOD, BAD])
    reply = registry.http.post(
        "/v1/imports",
        params={"lang": "en"},
        headers=VL,
        data={"kind": "members", "club_id": club["id"]},
        files={"file": ("ds.xlsx", content)},
    )
    assert reply.status_code == 422, reply.text
    problem = reply.json()
    assert problem["detail"].startswith("3 problem(s) in the file; nothing was imported")
    by_field = {e["field"]: e for e in problem["errors"]}
    assert by_field["joined_on"]["message"] == (
        "Column “Ngày vào hội” (H), row 3: 31/02/2024 is not a real date; write dd/mm/yyyy."
    )
    assert by_field["joined_on"]["column"] == "Ngày vào hội"
    # Vietnamese by default, also when refused.
    default = upload(registry, content, "members", club_id=club["id"])
    assert default.json()["detail"].startswith("Tệp có 3 lỗi; chưa nhập dòng nào.")
    odd = registry.http.post(
        "/v1/imports",
        params={"lang": "fr"},
        headers=VL,
        data={"kind": "members", "club_id": club["id"]},
        files={"file": ("ds.xlsx", content)},
    )
    assert odd.status_code == 422 and odd.json()["errors"][0]["field"] == "lang"


def test_a_file_that_cannot_be_taken_says_why_in_the_language_asked(registry: Registry) -> None:
    club = registry.club()
    content = xlsx([["Họ và tên", "Sở thích", "Giới tính"], ["A", "B", "Nữ"]])
    vietnamese = upload(registry, content, "members", club_id=club["id"])
    assert vietnamese.status_code == 422
    assert vietnamese.json()["errors"][0]["field"] == "headers"
    assert vietnamese.json()["detail"].startswith(
        "không đọc được cột “Sở thích” (B); đặt tiêu đề như tệp mẫu"
    )
    english = registry.http.post(
        "/v1/imports?lang=en",
        headers=VL,
        data={"kind": "members", "club_id": club["id"]},
        files={"file": ("ds.xlsx", content)},
    )
    assert english.json()["detail"].startswith("unknown column(s) “Sở thích” (B)")


def test_columns_past_z_are_named_by_their_letters_in_a_csv(registry: Registry) -> None:
    club = registry.club()
    header = ["STT"] * 26 + ["  Họ và tên ", "Giới tính", "Năm sinh", "Ngày tham gia"]
    row = [""] * 26 + ["Lê Thị Ba", "?", "19x5", "1/1/2020"]
    old = [""] * 26 + ["Lê Văn Cụ", "Nam", "1700", "1/1/2020"]
    text = "\n".join(",".join(r) for r in (header, row, old)) + "\n"
    checked = upload(
        registry, text.encode(), "members", name="ds.csv", club_id=club["id"], dry_run=True
    )
    assert checked.status_code == 200, checked.text
    found = {(e["column"], e["column_letter"], e["row"]) for e in checked.json()["errors"]}
    assert found == {("Giới tính", "AB", 2), ("Năm sinh", "AC", 2), ("Năm sinh", "AC", 3)}
    messages = [e["message"] for e in checked.json()["errors"]]
    assert "Cột “Năm sinh” (AC), dòng 2: “19x5” không phải năm sinh" in messages[1]
    # The API's schema refuses 1700: said as plainly as a rule.
    assert messages[2] == (
        "Cột “Năm sinh” (AC), dòng 3: 1700 nhỏ hơn mức thấp nhất 1800; hãy kiểm tra lại."
    )


def test_a_club_row_reports_a_bad_commune_name_and_a_future_date_together(
    registry: Registry,
) -> None:
    sheet = xlsx(
        [
            ["Tên CLB", "Mã xã", "Ngày thành lập", "Mã CLB"],
            ["CLB Một", "Xã Không Có Thật", "02/12/2026", "A-1"],
            ["CLB Hai", "29623", "01/01/2020", "A-1"],
        ]
    )
    checked = upload(registry, sheet, "clubs", dry_run=True)
    assert checked.status_code == 200, checked.text
    errors = checked.json()["errors"]
    assert [(e["row"], e["field"], e["code"]) for e in errors] == [
        (2, "commune_code", "commune_name_unknown"),
        (2, "founded_on", "in_future"),
        (3, "external_id", "duplicate_key"),
    ]
    assert errors[1]["message"] == (
        "Cột “Ngày thành lập” (C), dòng 2: ngày 02/12/2026 chưa tới (hôm nay là 01/12/2026); "
        "ghi ngày đã qua."
    )
    assert "Vĩnh Long" in errors[0]["message"] and "ghi mã xã" in errors[0]["message"]
    assert "dòng 2" in errors[2]["message"]  # where the key first appears


def test_a_commune_name_is_taken_when_it_is_the_only_one_in_the_province(
    registry: Registry,
) -> None:
    sheet = xlsx(
        [
            ["Tên CLB", "Mã xã", "Mã xã cũ", "Ngày thành lập", "Mã CLB"],
            ["CLB Phước Hậu", "phuong phuoc hau", None, datetime(2019, 5, 1), "N-1"],
            ["CLB Nhơn Phú", "NHƠN PHÚ", None, "01/06/2019", "N-2"],
            ["CLB xã cũ", None, "Xã Phước Hậu", "01/07/2019", "N-3"],  # legacy 29596
        ]
    )
    done = upload(registry, sheet, "clubs")
    assert done.status_code == 200, done.text
    assert done.json()["created"] == 3
    clubs = {
        c["external_id"]: c for c in registry.http.get("/v1/clubs", headers=VL).json()["items"]
    }
    assert clubs["N-1"]["commune_code"] == "29557"
    assert clubs["N-2"]["commune_code"] == "29623"
    assert (clubs["N-3"]["legacy_commune_code"], clubs["N-3"]["commune_code"]) == (
        "29596",
        "29557",
    )


def test_an_ambiguous_commune_name_is_refused_with_the_candidates(registry: Registry) -> None:
    # Đồng Nai has Xã Lộc Thạnh (25280) and Xã Lộc Thành (25294): without accents
    # both are candidates; with them, the one written.
    sheet = xlsx(
        [
            ["Tên CLB", "Mã xã", "Ngày thành lập"],
            ["CLB Một", "Loc Thanh", "01/01/2020"],
            ["CLB Hai", "Lộc Thành", "01/01/2020"],
        ]
    )
    checked = upload(registry, sheet, "clubs", headers=DN, dry_run=True)
    assert checked.status_code == 200, checked.text
    [error] = checked.json()["errors"]
    assert (error["row"], error["code"], error["column_letter"]) == (
        2,
        "commune_name_ambiguous",
        "B",
    )
    assert error["message"] == (
        "Cột “Mã xã” (B), dòng 2: có 2 xã tên “Loc Thanh”: 25280 (Xã Lộc Thạnh, Đồng Nai), "
        "25294 (Xã Lộc Thành, Đồng Nai); ghi mã xã."
    )
    assert [c["code"] for c in error["candidates"]] == ["25280", "25294"]
    # A token of two provinces: "Phước Hậu" is a commune of each.
    two = bearer(Role.PROVINCE, "56", "86", sub="two-provinces")
    sheet = xlsx([["Tên CLB", "Mã xã", "Ngày thành lập"], ["CLB", "Phước Hậu", "01/01/2020"]])
    refused = upload(registry, sheet, "clubs", headers=two)
    assert refused.status_code == 422
    message = refused.json()["errors"][0]["message"]
    assert "22873 (Xã Phước Hậu, Khánh Hòa)" in message
    assert "29557 (Phường Phước Hậu, Vĩnh Long)" in message


# -- GET /v1/communes ---------------------------------------------------------------


@pytest.mark.parametrize("q", ["phuoc hau", "Phước Hậu", "PHUOC HAU", "phƯỚc  hẬu"])
def test_communes_are_found_without_accents_on_both_maps(registry: Registry, q: str) -> None:
    current = registry.http.get("/v1/communes", params={"q": q, "province": "86"}, headers=VL)
    assert current.status_code == 200, current.text
    assert current.json() == {
        "items": [
            {
                "code": "29557",
                "name": "Phường Phước Hậu",
                "province_code": "86",
                "province_name": "Tỉnh Vĩnh Long",
                "boundary": "current",
            }
        ],
        "next_cursor": None,
    }
    legacy = registry.http.get(
        "/v1/communes", params={"q": q, "boundary": "legacy"}, headers=NATIONAL
    )
    assert {(c["code"], c["province_code"]) for c in legacy.json()["items"]} == {
        ("22879", "58"),
        ("28174", "80"),
        ("29596", "86"),
    }
    assert {c["boundary"] for c in legacy.json()["items"]} == {"legacy"}


def test_communes_page_with_a_cursor_for_any_token(registry: Registry) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"province": "75", "limit": 40}
        if cursor:
            params["cursor"] = cursor
        page = registry.http.get("/v1/communes", params=params, headers=OPS).json()
        seen += [c["code"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 95 and seen == sorted(set(seen))  # new Đồng Nai
    d_with_stroke = registry.http.get("/v1/communes", params={"q": "dong hoa"}, headers=DN)
    assert {"22258", "25951", "31024"} <= {c["code"] for c in d_with_stroke.json()["items"]}
    assert registry.http.get("/v1/communes").status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"boundary": "1975"}, "boundary"),
        ({"q": "x" * 5000}, "q"),
        ({"province": "99"}, "province"),
        ({"province": "1"}, "province"),
        ({"province": "83"}, "province"),  # a legacy province, asked on the current map
        ({"limit": 100_000}, "limit"),
        ({"cursor": "not-ours"}, "cursor"),
        ({"q": "a\x00b"}, "q"),
    ],
)
def test_absurd_commune_queries_are_a_422_naming_the_field(
    registry: Registry, params: dict[str, Any], field: str
) -> None:
    reply = registry.http.get("/v1/communes", params=params, headers=VL)
    assert reply.status_code == 422, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    assert reply.json()["errors"][0]["field"] == field
    legacy = registry.http.get(
        "/v1/communes", params={"province": "83", "boundary": "legacy", "q": "zzz"}, headers=VL
    )
    assert legacy.status_code == 200 and legacy.json()["items"] == []


# -- the template's communes sheet --------------------------------------------------


def _communes_sheet(reply: Any) -> list[tuple[Any, ...]]:
    assert reply.status_code == 200, reply.text
    book = load_workbook(io.BytesIO(reply.content))
    assert book.sheetnames[0] in ("Danh sách", "Rows")
    sheet = book.worksheets[-1]
    return [tuple(r) for r in sheet.iter_rows(values_only=True)]


def test_the_clubs_template_lists_the_provinces_communes_with_their_codes(
    registry: Registry,
) -> None:
    rows = _communes_sheet(registry.http.get("/v1/imports/templates/clubs.xlsx", headers=VL))
    assert rows[0] == (
        "Mã tỉnh",
        "Tỉnh",
        "Mã xã",
        "Tên xã",
        "Mã xã cũ (trước 1/7/2025)",
        "Tên xã cũ",
    )
    assert len(rows) == 1 + 124  # new Vĩnh Long
    by_code = {r[2]: r for r in rows[1:]}
    assert by_code["29557"] == (
        "86",
        "Tỉnh Vĩnh Long",
        "29557",
        "Phường Phước Hậu",
        "29554, 29557, 29596",
        "Phường 4, Phường 3, Xã Phước Hậu",
    )
    dong_nai = _communes_sheet(
        registry.http.get(
            "/v1/imports/templates/clubs.xlsx",
            params={"province": "75", "lang": "en"},
            headers=NATIONAL,
        )
    )
    assert dong_nai[0][:3] == ("province_code", "province", "commune_code")
    assert len(dong_nai) == 1 + 95
    members = load_workbook(
        io.BytesIO(registry.http.get("/v1/imports/templates/members.xlsx", headers=VL).content)
    )
    assert "Danh mục xã" not in members.sheetnames


def test_a_national_template_lists_every_commune(registry: Registry) -> None:
    rows = _communes_sheet(registry.http.get("/v1/imports/templates/clubs.xlsx", headers=NATIONAL))
    assert len(rows) == 1 + 3321
    assert {r[0] for r in rows[1:]} >= {"01", "75", "86", "96"}
    bad = registry.http.get(
        "/v1/imports/templates/clubs.xlsx", params={"province": "99"}, headers=VL
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "province"
