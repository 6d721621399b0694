"""A fund's public statement (công khai tài chính) as files people read and post
on the club's notice board: an XLSX workbook and a printable HTML page, both in
Vietnamese (dates dd/mm/yyyy, amounts 1.234.567 đ).

They name no member: a line says what kind of money moved (a fee, a loan, an
expense on an activity area, a contribution from a kind of source), never who.
Every text reaches the HTML through Jinja2's autoescaping."""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from jinja2 import Environment
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.worksheet.properties import PageSetupProperties

from ishc_contracts.finance_events import FundKind
from ishc_finance.domain.statement import Statement, StatementEntry
from ishc_platform import admin_units
from ishc_platform.directory import DirectoryClub

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HTML_MEDIA_TYPE = "text/html; charset=utf-8"

TITLE = "CÔNG KHAI TÀI CHÍNH"
CLUB = "Câu lạc bộ liên thế hệ tự giúp nhau"
HEADERS = ("Ngày", "Nội dung", "Thu", "Chi", "Tồn quỹ")
OPENING = "Tồn quỹ đầu kỳ"
TOTALS = "Cộng phát sinh trong kỳ"
CLOSING = "Tồn quỹ cuối kỳ"
NOTHING = "Không có phát sinh trong kỳ"

FUND_NAMES = {FundKind.INCOME: "Quỹ tăng thu nhập", FundKind.ACTIVITY: "Quỹ hoạt động"}
KINDS = {
    "contribution": "Nhận đóng góp",
    "contribution_in_kind": "Nhận hiện vật",
    "loan_disbursed": "Giải ngân cho vay",
    "repayment_principal": "Thu nợ gốc cho vay",
    "interest": "Thu lãi cho vay",
    "fee": "Thu hội phí",
    "expense": "Chi hoạt động",
    "write_off": "Xóa nợ",
    "recovery": "Thu hồi nợ đã xóa",
    "reversal": "Điều chỉnh",
}
SOURCES = {
    "state_budget": "ngân sách nhà nước",
    "organisation": "tổ chức, dự án",
    "individual": "cá nhân hảo tâm",
    "golden_heart_book": "Sổ Tấm lòng vàng",
    "fund_raising": "gây quỹ",
    "member_savings": "tiết kiệm của thành viên",
}
AREAS = {
    "income_generation": "tăng thu nhập",
    "health_care": "chăm sóc sức khỏe",
    "home_care": "chăm sóc tại nhà",
    "self_help": "tự giúp nhau và hỗ trợ cộng đồng",
    "rights": "quyền và lợi ích",
    "lifelong_learning": "học tập suốt đời",
    "spiritual_cultural": "đời sống tinh thần",
    "resource_mobilisation": "vận động nguồn lực",
}
UNDONE = {
    "contribution": "hủy khoản đóng góp ghi nhầm",
    "fee": "hủy khoản hội phí ghi nhầm",
    "expense": "hủy khoản chi ghi nhầm",
}


def vnd(amount: int) -> str:
    """1234567 → "1.234.567 đ" (Vietnamese groups thousands with dots)."""
    return f"{amount:,}".replace(",", ".") + " đ"


def day(on: date) -> str:
    return f"{on:%d/%m/%Y}"


def describe(entry: StatementEntry) -> str:
    """What a line says: the kind of money and its source or area, never a person."""
    if entry.kind == "reversal":
        text = f"{KINDS['reversal']}: {UNDONE.get(entry.note or '', 'hủy bút toán ghi nhầm')}"
    else:
        text = KINDS.get(entry.kind, entry.kind)
        detail = SOURCES.get(entry.note or "") or AREAS.get(entry.note or "") or entry.note
        if detail:
            text = f"{text} – {detail}"
    if entry.in_kind_vnd:
        text += f" (hiện vật trị giá {vnd(abs(entry.in_kind_vnd))}, không tính vào tồn quỹ)"
    return text


@dataclass(frozen=True)
class Heading:
    """What the page says of the fund: its kind, its club and where, the period."""

    fund_name: str
    club_id: str
    place: str
    printed_on: date


def heading(club: DirectoryClub, kind: FundKind, printed_on: date) -> Heading:
    places: list[str] = []
    commune = (
        admin_units.current_commune(club.commune_code)
        if club.commune_code
        else admin_units.legacy_commune(club.legacy_commune_code or "")
    )
    if commune is not None:
        places.append(commune.name)
    province = admin_units.current_province(club.province)
    if province is not None:
        places.append(province.name)
    return Heading(FUND_NAMES[kind], club.club_id, ", ".join(places), printed_on)


@dataclass(frozen=True)
class Row:
    on: date | None
    text: str
    inflow: int | None
    outflow: int | None
    balance: int | None
    total: bool = False  # the opening, totals and closing rows


def rows(statement: Statement) -> list[Row]:
    out = [Row(None, OPENING, None, None, statement.opening_balance_vnd, total=True)]
    for entry in statement.entries:
        out.append(
            Row(
                entry.on,
                describe(entry),
                entry.inflow_vnd or None,
                entry.outflow_vnd or None,
                entry.balance_vnd,
            )
        )
    if not statement.entries:
        out.append(Row(None, NOTHING, None, None, None))
    out.append(
        Row(None, TOTALS, statement.total_inflow_vnd, statement.total_outflow_vnd, None, True)
    )
    out.append(Row(None, CLOSING, None, None, statement.closing_balance_vnd, total=True))
    return out


def period_text(statement: Statement) -> str:
    return f"Từ ngày {day(statement.date_from)} đến ngày {day(statement.date_to)}"


def club_text(head: Heading) -> str:
    return f"{CLUB}: {head.place}" if head.place else CLUB


def printed_text(on: date) -> str:
    return f"Lập ngày {on:%d} tháng {on:%m} năm {on:%Y}"


# -- XLSX ------------------------------------------------------------------------------

AMOUNT_FORMAT = '[>=1000000]#\\.###\\.##0" đ";[>=1000]#\\.##0" đ";0" đ"'
"""1.234.567 đ whatever the reader's locale (`#,##0` would group with the locale's
separator, a comma in an English Excel): escaped dots, by magnitude (two
conditions are all a format takes, so a billion shows as 1000.000.000 đ; a
club's funds are tens of millions). The cell stays a number people can sum."""
DATE_FORMAT = "DD/MM/YYYY"


def render_xlsx(statement: Statement, head: Heading) -> bytes:
    """A workbook of one sheet: amounts are numbers shown 1.234.567 đ (and
    summable), dates are dates shown dd/mm/yyyy."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Công khai tài chính"
    sheet.append([TITLE])
    sheet.append([head.fund_name])
    sheet.append([club_text(head)])
    sheet.append([f"Mã câu lạc bộ: {head.club_id}"])
    sheet.append([period_text(statement)])
    sheet.append([])
    sheet.append(list(HEADERS))
    header_row = sheet.max_row
    thin = Side(style="thin")
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
        cell.border = Border(top=thin, bottom=thin)
    bold = Font(bold=True)
    # cell by cell at known positions: `sheet.max_row` scans every cell (quadratic)
    number = header_row
    for number, row in enumerate(rows(statement), start=header_row + 1):
        values = (row.on, row.text, row.inflow, row.outflow, row.balance)
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=number, column=column, value=value)
            if column == 1:
                cell.number_format = DATE_FORMAT
            elif column > 2:
                cell.number_format = AMOUNT_FORMAT
            if row.total:
                cell.font = bold
    sheet.cell(row=number + 2, column=2, value=printed_text(head.printed_on))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"].font = Font(bold=True, size=12)
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_setup.fitToHeight = 0
    for letter, width in zip("ABCDE", (12, 60, 16, 16, 18), strict=True):
        sheet.column_dimensions[letter].width = width
    book.properties.creator = "ISHC"
    book.properties.title = f"{TITLE} – {head.fund_name}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# -- HTML ------------------------------------------------------------------------------

_PAGE = """<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} – {{ head.fund_name }}</title>
<style>
  @page { size: A4 portrait; margin: 15mm 12mm; }
  body { font-family: "Times New Roman", Times, serif; font-size: 12pt; color: #000;
         background: #fff; margin: 1.5em auto; max-width: 60em; }
  header { text-align: center; margin-bottom: 1em; }
  h1 { font-size: 16pt; margin: 0 0 .2em; letter-spacing: .03em; }
  h2 { font-size: 13pt; margin: 0 0 .4em; }
  header p { margin: .1em 0; }
  table { width: 100%; border-collapse: collapse; }
  thead { display: table-header-group; }
  tr { page-break-inside: avoid; break-inside: avoid; }
  th, td { border: 1px solid #000; padding: .25em .45em; vertical-align: top; }
  th { background: #eee; }
  td.date { white-space: nowrap; text-align: center; }
  td.amount { white-space: nowrap; text-align: right; font-variant-numeric: tabular-nums; }
  tr.total td { font-weight: bold; }
  footer { display: flex; justify-content: space-around; margin-top: 2em; text-align: center; }
  footer p { margin: 0; }
  .signature { min-height: 5em; }
  @media print {
    body { margin: 0; max-width: none; }
    th { background: none; }
  }
</style>
</head>
<body>
<header>
  <h1>{{ title }}</h1>
  <h2>{{ head.fund_name }}</h2>
  <p>{{ club }}</p>
  <p>Mã câu lạc bộ: {{ head.club_id }}</p>
  <p>{{ period }}</p>
</header>
<table>
  <thead>
    <tr>{% for name in headers %}<th scope="col">{{ name }}</th>{% endfor %}</tr>
  </thead>
  <tbody>
  {% for row in rows %}
    <tr{% if row.total %} class="total"{% endif %}>
      <td class="date">{{ day(row.on) if row.on else "" }}</td>
      <td>{{ row.text }}</td>
      <td class="amount">{{ vnd(row.inflow) if row.inflow is not none else "" }}</td>
      <td class="amount">{{ vnd(row.outflow) if row.outflow is not none else "" }}</td>
      <td class="amount">{{ vnd(row.balance) if row.balance is not none else "" }}</td>
    </tr>
  {% endfor %}
  </tbody>
</table>
<footer>
  <div><p><strong>Người lập biểu</strong></p><p class="signature"></p></div>
  <div><p>{{ printed }}</p><p><strong>Chủ nhiệm câu lạc bộ</strong></p>
       <p class="signature"></p></div>
</footer>
</body>
</html>
"""

_ENVIRONMENT = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
_TEMPLATE = _ENVIRONMENT.from_string(_PAGE)


def render_html(statement: Statement, head: Heading) -> bytes:
    page = _TEMPLATE.render(
        title=TITLE,
        head=head,
        club=club_text(head),
        period=period_text(statement),
        headers=HEADERS,
        rows=rows(statement),
        printed=printed_text(head.printed_on),
        day=day,
        vnd=vnd,
    )
    return page.encode("utf-8")


# -- the file's name -------------------------------------------------------------------


def file_name(statement: Statement, head: Heading, extension: str) -> str:
    """e.g. "Công khai tài chính - Quỹ hoạt động - 01-11-2026 đến 30-11-2026.xlsx"."""
    return (
        f"Công khai tài chính - {head.fund_name} - "
        f"{statement.date_from:%d-%m-%Y} đến {statement.date_to:%d-%m-%Y}.{extension}"
    )


def _ascii(name: str) -> str:
    """The name without accents, for clients that do not read `filename*`."""
    plain = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    plain = plain.encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9.\-]+", "_", plain).strip("_")


def content_disposition(name: str, *, inline: bool = False) -> str:
    """RFC 6266 with the RFC 5987 `filename*` for the Vietnamese name."""
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{_ascii(name)}\"; filename*=UTF-8''{quote(name, safe='')}"
