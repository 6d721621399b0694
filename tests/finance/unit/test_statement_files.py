"""The statement's files (unit: no I/O): Vietnamese amounts and dates, what each line
says, the workbook's cells, the page's escaping, the download's name; and the
period a statement covers."""

from __future__ import annotations

import io
from datetime import date, datetime
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from ishc_contracts.finance_events import FundKind
from ishc_finance.adapters import statement_files as files
from ishc_finance.domain.statement import CashMovement, Statement, StatementEntry, build_statement
from ishc_finance.service.statements import period
from ishc_platform.directory import DirectoryClub
from ishc_platform.validation import FieldError

HOSTILE = '<script>alert("x")</script>'
HEAD = files.Heading("Quỹ hoạt động", "club-1", "Xã Nhơn Phú, Tỉnh Vĩnh Long", date(2026, 12, 1))


def _statement() -> Statement:
    movements = [
        CashMovement(date(2024, 1, 31), "contribution", "c0", 1_000_000, "state_budget", 1),
        CashMovement(date(2024, 2, 28), "fee", "f1", 3_000, None, 2),
        CashMovement(date(2024, 2, 29), "expense", "e1", -200_000, "health_care", 3),
        CashMovement(date(2024, 2, 29), "contribution_in_kind", "g1", 500_000, "individual", 4),
        CashMovement(date(2024, 3, 1), "interest", "r1", 12_345, None, 5),
        CashMovement(date(2024, 3, 31), "reversal", "v1", -3_000, "fee", 6),
    ]
    return build_statement("fund-1", movements, date(2024, 2, 28), date(2024, 3, 31))


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (0, "0 đ"),
        (999, "999 đ"),
        (1_000, "1.000 đ"),
        (1_234_567, "1.234.567 đ"),
        (-5_000, "-5.000 đ"),
    ],
)
def test_amounts_group_thousands_with_dots(amount: int, text: str) -> None:
    assert files.vnd(amount) == text


def test_dates_are_day_month_year() -> None:
    assert files.day(date(2024, 2, 29)) == "29/02/2024"
    assert files.day(date(2026, 1, 5)) == "05/01/2026"


@pytest.mark.parametrize(
    ("kind", "note", "in_kind", "text"),
    [
        ("contribution", "golden_heart_book", 0, "Nhận đóng góp – Sổ Tấm lòng vàng"),
        ("contribution", "state_budget", 0, "Nhận đóng góp – ngân sách nhà nước"),
        ("fee", None, 0, "Thu hội phí"),
        ("interest", None, 0, "Thu lãi cho vay"),
        ("loan_disbursed", None, 0, "Giải ngân cho vay"),
        ("repayment_principal", None, 0, "Thu nợ gốc cho vay"),
        ("recovery", None, 0, "Thu hồi nợ đã xóa"),
        ("expense", "lifelong_learning", 0, "Chi hoạt động – học tập suốt đời"),
        ("reversal", "expense", 0, "Điều chỉnh: hủy khoản chi ghi nhầm"),
        ("reversal", None, 0, "Điều chỉnh: hủy bút toán ghi nhầm"),
        (
            "contribution_in_kind",
            "organisation",
            1_500_000,
            "Nhận hiện vật – tổ chức, dự án (hiện vật trị giá 1.500.000 đ, không tính vào tồn quỹ)",
        ),
        ("something_new", "odd_note", 0, "something_new – odd_note"),
    ],
)
def test_each_line_says_what_moved_never_who(
    kind: str, note: str | None, in_kind: int, text: str
) -> None:
    entry = StatementEntry(date(2024, 3, 1), kind, "ref", 0, 0, 0, note, in_kind)
    assert files.describe(entry) == text


def test_the_rows_open_total_and_close() -> None:
    rows = files.rows(_statement())
    assert [(r.text, r.inflow, r.outflow, r.balance, r.total) for r in (rows[0], *rows[-2:])] == [
        ("Tồn quỹ đầu kỳ", None, None, 1_000_000, True),
        ("Cộng phát sinh trong kỳ", 15_345, 203_000, None, True),
        ("Tồn quỹ cuối kỳ", None, None, 812_345, True),
    ]
    assert [r.balance for r in rows[1:-2]] == [1_003_000, 803_000, 803_000, 815_345, 812_345]
    empty = build_statement("f", [], date(2024, 1, 1), date(2024, 1, 31))
    assert [r.text for r in files.rows(empty)] == [
        "Tồn quỹ đầu kỳ",
        "Không có phát sinh trong kỳ",
        "Cộng phát sinh trong kỳ",
        "Tồn quỹ cuối kỳ",
    ]


def test_the_workbook_in_vietnamese() -> None:
    sheet = load_workbook(io.BytesIO(files.render_xlsx(_statement(), HEAD))).active
    assert sheet is not None
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert [v[0] for v in values[:5]] == [
        "CÔNG KHAI TÀI CHÍNH",
        "Quỹ hoạt động",
        "Câu lạc bộ liên thế hệ tự giúp nhau: Xã Nhơn Phú, Tỉnh Vĩnh Long",
        "Mã câu lạc bộ: club-1",
        "Từ ngày 28/02/2024 đến ngày 31/03/2024",
    ]
    assert values[6] == ["Ngày", "Nội dung", "Thu", "Chi", "Tồn quỹ"]
    assert values[7] == [None, "Tồn quỹ đầu kỳ", None, None, 1_000_000]
    assert values[9] == [
        datetime(2024, 2, 29),
        "Chi hoạt động – chăm sóc sức khỏe",
        None,
        200_000,
        803_000,
    ]
    assert values[13] == [None, "Cộng phát sinh trong kỳ", 15_345, 203_000, None]
    assert values[14] == [None, "Tồn quỹ cuối kỳ", None, None, 812_345]
    assert values[16][1] == "Lập ngày 01 tháng 12 năm 2026"
    assert sheet["A9"].number_format == "DD/MM/YYYY"
    # 1.234.567 đ in any locale: literal dots, by magnitude
    assert sheet["E9"].number_format == ('[>=1000000]#\\.###\\.##0" đ";[>=1000]#\\.##0" đ";0" đ"')
    assert sheet["B8"].font.bold and not sheet["B9"].font.bold
    assert sheet.freeze_panes == "A8"


def test_the_page_escapes_whatever_reaches_it() -> None:
    movements = [CashMovement(date(2024, 3, 1), HOSTILE, "x", 5_000, HOSTILE, 1)]
    statement = build_statement("f", movements, date(2024, 3, 1), date(2024, 3, 31))
    head = files.Heading("Quỹ hoạt động", "<b>club</b>", "Xã <i>A</i>", date(2026, 12, 1))
    page = files.render_html(statement, head).decode("utf-8")
    assert "<script>" not in page and "<b>club" not in page and "<i>A" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "&lt;b&gt;club&lt;/b&gt;" in page and "Xã &lt;i&gt;A&lt;/i&gt;" in page
    assert page.count("<tr") == 1 + 4  # the header, opening, the line, totals, closing
    assert "5.000 đ" in page and "01/03/2024" in page


def test_the_page_prints() -> None:
    page = files.render_html(_statement(), HEAD).decode("utf-8")
    assert "@page { size: A4 portrait;" in page and "@media print" in page
    assert "thead { display: table-header-group; }" in page  # the header on every page
    assert '<meta charset="utf-8">' in page
    assert '<td class="amount">812.345 đ</td>' in page
    assert "Chủ nhiệm câu lạc bộ" in page


def test_the_file_name_in_vietnamese_with_an_ascii_fallback() -> None:
    name = files.file_name(_statement(), HEAD, "xlsx")
    assert name == "Công khai tài chính - Quỹ hoạt động - 28-02-2024 đến 31-03-2024.xlsx"
    header = files.content_disposition(name)
    ascii_name = "Cong_khai_tai_chinh_-_Quy_hoat_dong_-_28-02-2024_den_31-03-2024.xlsx"
    assert header.startswith(f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''")
    assert unquote(header.split("filename*=UTF-8''")[1]) == name
    assert header.isascii()
    sneaky = files.content_disposition('a"; b\r\nX-Evil: 1.html', inline=True)
    assert sneaky.startswith('inline; filename="a_b_X-Evil_1.html"')
    assert "\r" not in sneaky and "\n" not in sneaky and sneaky.count('"') == 2


def test_the_heading_names_the_place() -> None:
    club = DirectoryClub(club_id="c", province="86", commune_code="29623")
    head = files.heading(club, FundKind.INCOME, date(2026, 12, 1))
    assert (head.fund_name, head.place) == ("Quỹ tăng thu nhập", "Xã Nhơn Phú, Tỉnh Vĩnh Long")
    unknown = DirectoryClub(club_id="c", province="99", commune_code=None)
    assert files.heading(unknown, FundKind.ACTIVITY, date(2026, 12, 1)).place == ""
    assert files.club_text(files.heading(unknown, FundKind.ACTIVITY, date(2026, 12, 1))) == (
        "Câu lạc bộ liên thế hệ tự giúp nhau"
    )


# -- the period (today is 01/12/2026 in Vietnam: tests/conftest.py) --------------------


def test_the_period_defaults_to_this_month_until_today() -> None:
    assert period(None, None) == (date(2026, 12, 1), date(2026, 12, 1))
    assert period(None, date(2024, 2, 29)) == (date(2024, 2, 1), date(2024, 2, 29))
    assert period(date(2006, 12, 1), None) == (date(2006, 12, 1), date(2026, 12, 1))


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (date(2024, 3, 1), date(2024, 2, 29), "to"),
        (date(2006, 11, 30), date(2026, 12, 1), "from"),
        (None, date(2026, 12, 2), "to"),
        (date(2026, 12, 2), None, "from"),
    ],
)
def test_a_period_that_cannot_be(start: date | None, end: date | None, field: str) -> None:
    with pytest.raises(FieldError) as refused:
        period(start, end)
    assert refused.value.field == field
