"""What an import says about a bad row, and the rules it reads commune names by
(pure: no database, no HTTP)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from ishc_platform.admin_units import Boundary
from ishc_platform.validation import FieldError
from ishc_registry.domain.members import member_problems
from ishc_registry.domain.messages import CATALOGUE, Lang, Reason, located, say
from ishc_registry.domain.places import commune_named, place
from ishc_registry.domain.spreadsheet import (
    CommuneName,
    SheetKind,
    SpreadsheetError,
    column_letter,
    parse_rows,
)

TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("index", "letter"),
    [(0, "A"), (7, "H"), (25, "Z"), (26, "AA"), (27, "AB"), (701, "ZZ"), (702, "AAA")],
)
def test_column_letters_go_past_z_as_spreadsheets_do(index: int, letter: str) -> None:
    assert column_letter(index) == letter


def test_a_bad_cell_is_named_by_the_header_as_written_its_letter_and_row() -> None:
    sheet = parse_rows(
        [
            ["STT", " Họ và tên ", "Giới tính", "Năm sinh", "NGÀY VÀO HỘI"],
            [1, "Lê Thị Ba", "Nữ", 1950, "31/02/2024"],
        ],
        kind=SheetKind.MEMBERS,
    )
    [error] = sheet.errors
    assert (error.row, error.field, error.column, error.letter) == (
        2,
        "joined_on",
        "NGÀY VÀO HỘI",
        "E",
    )
    assert isinstance(error.message, Reason) and error.message.code == "no_such_date"
    text = say(error.message, Lang.VI)
    assert located(text, Lang.VI, row=2, column=error.column, letter=error.letter) == (
        "Cột “NGÀY VÀO HỘI” (E), dòng 2: ngày 31/02/2024 không có thật; ghi theo dd/mm/yyyy."
    )
    assert located(say(error.message, Lang.EN), Lang.EN, row=2, column="X", letter="AA") == (
        "Column “X” (AA), row 2: 31/02/2024 is not a real date; write dd/mm/yyyy."
    )
    assert sheet.headers["full_name"] == "Họ và tên" and sheet.letters["full_name"] == "B"


def test_every_cell_of_a_row_is_read_and_the_good_ones_kept() -> None:
    sheet = parse_rows(
        [
            ["Họ và tên", "Giới tính", "Năm sinh", "Ngày tham gia"],
            ["Lê Thị Ba", "?", "năm", "1/1/2020"],
        ],
        kind=SheetKind.MEMBERS,
    )
    assert [(e.field, e.letter, getattr(e.message, "code", None)) for e in sheet.errors] == [
        ("sex", "B", "bad_sex"),
        ("birth_year", "C", "bad_year"),
    ]
    assert sheet.rows[0].values == {"full_name": "Lê Thị Ba", "joined_on": date(2020, 1, 1)}


def test_a_commune_column_takes_a_code_or_a_name() -> None:
    sheet = parse_rows(
        [
            ["Tên CLB", "Mã xã", "Ngày thành lập"],
            ["A", 1234.0, "01/01/2020"],
            ["B", "Phường Phước Hậu", "01/01/2020"],
            ["C", "123456", "01/01/2020"],
        ],
        kind=SheetKind.CLUBS,
    )
    assert sheet.rows[0].values["commune_code"] == "01234"  # leading zero back
    assert sheet.rows[1].values["commune_code"] == CommuneName("Phường Phước Hậu")
    assert [(e.row, getattr(e.message, "code", None)) for e in sheet.errors] == [
        (4, "bad_commune_code")
    ]


def test_header_problems_name_the_columns_and_say_what_to_do() -> None:
    with pytest.raises(SpreadsheetError) as caught:
        parse_rows([["Họ và tên", "Sở thích"], ["A", "B"]], kind=SheetKind.MEMBERS)
    assert caught.value.field == "headers"
    assert say(caught.value.message, Lang.VI).startswith(
        "không đọc được cột “Sở thích” (B); đặt tiêu đề như tệp mẫu"
    )
    with pytest.raises(SpreadsheetError) as caught:
        parse_rows([["Họ và tên", "Giới tính"], ["A", "Nữ"]], kind=SheetKind.MEMBERS)
    assert say(caught.value.message, Lang.VI) == (
        "thiếu cột “Năm sinh” hoặc “Ngày sinh”, cột “Ngày tham gia”; thêm cột như tệp mẫu."
    )


@dataclass(frozen=True)
class Joining:
    birth_year: int | None
    birth_date: date | None
    joined_on: date | None


def test_the_rules_run_on_what_could_be_read() -> None:
    """An unreadable joining date: the birth rules still speak, the joining ones wait."""
    problems = member_problems(Joining(2999, None, None), None, TODAY)
    assert [(f, getattr(m, "code", None)) for f, m in problems] == [("birth_year", "birth_future")]
    both = member_problems(Joining(1950, None, date(2026, 12, 2)), date(2020, 1, 1), TODAY)
    assert [getattr(m, "code", None) for _, m in both] == ["in_future", "club_dissolved"]
    # The API's English messages are the same strings as before.
    assert both[0] == ("joined_on", "joined_on is in the future")
    assert say(both[0][1], Lang.VI) == (
        "ngày 02/12/2026 chưa tới (hôm nay là 01/12/2026); ghi ngày đã qua."
    )


def test_a_commune_name_resolves_only_when_one_commune_has_it() -> None:
    assert commune_named("phuoc hau", "commune_code", Boundary.CURRENT, {"86"}) == "29557"
    assert commune_named("Xã Nhơn Phú", "commune_code", Boundary.CURRENT, {"86"}) == "29623"
    assert commune_named("Phước Hậu", "x", Boundary.LEGACY, {"83", "84", "86"}) == "29596"
    assert commune_named("Lộc Thành", "commune_code", Boundary.CURRENT, {"75"}) == "25294"
    with pytest.raises(FieldError) as caught:
        commune_named("loc thanh", "commune_code", Boundary.CURRENT, {"75"})
    assert caught.value.extra["candidates"] == [
        {"code": "25280", "name": "Xã Lộc Thạnh", "province": "Đồng Nai"},
        {"code": "25294", "name": "Xã Lộc Thành", "province": "Đồng Nai"},
    ]
    assert say(caught.value.message, Lang.VI) == (
        "có 2 xã tên “loc thanh”: 25280 (Xã Lộc Thạnh, Đồng Nai), "
        "25294 (Xã Lộc Thành, Đồng Nai); ghi mã xã."
    )
    with pytest.raises(FieldError) as caught:
        commune_named("Nhơn Phú", "commune_code", Boundary.CURRENT, {"75"})
    assert getattr(caught.value.message, "code", None) == "commune_name_unknown"


def test_placement_problems_say_what_to_do_in_both_languages() -> None:
    with pytest.raises(FieldError) as caught:
        place("99999", None)
    assert str(caught.value.message) == "99999 is not a current commune code"  # the API's
    assert "Mã xã cũ" in say(caught.value.message, Lang.VI)
    with pytest.raises(FieldError) as caught:
        place(None, "29764")  # split between two current communes
    assert say(caught.value.message, Lang.EN).startswith(
        "legacy commune 29764 was split: 29767 (Xã Ngãi Tứ), 29770 (Phường Cái Vồn)"
    )


def test_every_message_has_both_languages_and_vietnamese_is_not_english() -> None:
    for code, (vietnamese, english) in CATALOGUE.items():
        assert vietnamese is not english, code
    assert say("plain text", Lang.VI) == "plain text"  # not a Reason: as it is
    assert located("x", Lang.VI, row=5, column=None, letter=None) == "Dòng 5: x"
