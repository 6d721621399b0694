"""A report as an XLSX laid out as a Vietnamese administrative document
(Decree 30/2020/NĐ-CP): issuing body and number top left, the national motto
and the place and date top right, the title, bordered tables with their
number formats, the signature block; A4, fitted to the page's width, in
Times New Roman as the decree asks. It draws `report_layout.ReportDocument`.

Numbers stay numbers (Excel sums them, and writes the decimal comma in a
Vietnamese locale): counts as `#,##0`, shares in percent with two decimals,
a target's share with its "%" sign (as the dashboard prints them)."""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from ishc_reporting.domain.report_layout import DocTable, ReportDocument

FONT = "Times New Roman"
NUMBER_FORMATS = {"int": "#,##0", "dec": "#,##0.00", "pct": '#,##0.00"%"'}
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="F2F2F2")
MIN_COLUMNS = 5  # room for the motto on the right of the issuing body
MM = 1 / 25.4  # openpyxl's margins are in inches


def _font(size: float = 12, bold: bool = False, italic: bool = False, **extra: Any) -> Font:
    return Font(name=FONT, size=size, bold=bold, italic=italic, **extra)


def _value(value: Any, kind: str) -> Any:
    """A figure as a number where it is one ("0.80" → 0.80); a text ("< 5") stays."""
    if kind == "text" or value is None or isinstance(value, bool | int):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return value


class _Sheet:
    """Writes rows top to bottom over `columns` columns."""

    def __init__(self, sheet: Worksheet, columns: int) -> None:
        self.sheet, self.columns, self.row = sheet, columns, 0

    def skip(self, rows: int = 1) -> None:
        self.row += rows

    def put(
        self,
        column: int,
        value: Any,
        font: Font,
        *,
        to: int | None = None,
        align: str = "left",
        wrap: bool = False,
    ) -> None:
        """A value at `column` of the current row, merged through `to`."""
        cell = self.sheet.cell(row=self.row, column=column, value=value)
        cell.font = font
        cell.alignment = Alignment(horizontal=align, vertical="center", wrap_text=wrap)
        if to is not None and to > column:
            self.sheet.merge_cells(
                start_row=self.row, start_column=column, end_row=self.row, end_column=to
            )

    def line(self, value: Any, font: Font, align: str = "center") -> None:
        self.skip()
        self.put(1, value, font, to=self.columns, align=align, wrap=True)

    def table(self, table: DocTable) -> int:
        """The table with borders; the row of its header (repeated on each printed page)."""
        self.skip()
        header_row = self.row
        for i, text in enumerate(table.header, start=1):
            self.put(i, text, _font(11, bold=True), align="center", wrap=True)
            cell = self.sheet.cell(row=self.row, column=i)
            cell.border, cell.fill = BOX, HEADER_FILL
        for index, (values, kinds) in enumerate(zip(table.rows, table.kinds, strict=True)):
            self.skip()
            strong = index in table.strong_rows
            for i, (value, kind) in enumerate(zip(values, kinds, strict=True), start=1):
                number = kind != "text"
                self.put(
                    i,
                    _value(value, kind),
                    _font(11, bold=strong),
                    align="right" if number else "left",
                    wrap=not number,
                )
                cell = self.sheet.cell(row=self.row, column=i)
                cell.border = BOX
                if number:
                    cell.number_format = NUMBER_FORMATS[kind]
        return header_row


def _widths(doc: ReportDocument, columns: int) -> list[float]:
    widths = [12.0] * columns
    for section in doc.sections:
        if section.table is not None:
            for i, width in enumerate(section.table.widths):
                widths[i] = max(widths[i], float(width))
    return widths


def render(doc: ReportDocument, lang: str, epoch: datetime) -> bytes:
    """The workbook's bytes (its zip entries still carry the time of writing:
    `report_files` fixes them)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Báo cáo" if lang == "vi" else "Report"
    columns = max(doc.columns, MIN_COLUMNS)
    widths = _widths(doc, columns)
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    out = _Sheet(sheet, columns)
    # The top: issuing body and number over column A (and B when the page is
    # wide), the motto and the place and date over the rest.
    left = 2 if columns >= 8 else 1
    right = left + 1
    out.skip()
    out.put(1, doc.issuer[0], _font(12, bold=True), to=left, align="center", wrap=True)
    out.put(right, doc.motto[0], _font(12, bold=True), to=columns, align="center")
    out.skip()
    out.put(1, doc.number, _font(12), to=left, align="center")
    out.put(
        right, doc.motto[1], _font(13, bold=True, underline="single"), to=columns, align="center"
    )
    out.skip()
    out.put(right, doc.place_date, _font(12, italic=True), to=columns, align="center")
    sheet.row_dimensions[1].height = 32  # the issuing body may take two lines
    out.skip()
    out.line(doc.title[0], _font(14, bold=True))
    for text in doc.title[1:-1]:
        out.line(text, _font(13, bold=True))
    out.line(doc.title[-1], _font(12, italic=True))
    out.skip()
    for label, text in doc.facts:
        out.skip()
        out.put(1, label, _font(12))
        out.put(2, text, _font(12), to=columns, wrap=True)
    if doc.warning:
        out.line(doc.warning, _font(12, bold=True, italic=True, color="C00000"), align="left")
    headers: list[tuple[int, int]] = []  # (rows in the table, header row)
    for section in doc.sections:
        out.skip()
        if section.title:
            out.line(section.title, _font(12, bold=True), align="left")
        for label, text in section.lines:
            out.skip()
            if label:
                out.put(1, label, _font(12))
                out.put(2, text, _font(12), to=columns, wrap=True)
            else:
                out.put(1, text, _font(12), to=columns, wrap=True)
        if section.table is not None:
            headers.append((len(section.table.rows), out.table(section.table)))
    # The signature block: recipients on the left, the signer on the right.
    out.skip(2)
    top = out.row
    out.put(1, doc.recipients_title, _font(12, bold=True, italic=True))
    for text in doc.recipients:
        out.skip()
        out.put(1, text, _font(11))
    out.row = top
    for text in doc.signer:
        out.put(right, text, _font(12, bold=True), to=columns, align="center")
        out.skip()
    out.put(right, doc.sign_note, _font(11, italic=True), to=columns, align="center")
    out.skip(5)  # room to sign and seal
    out.put(right, doc.signer_name, _font(12, bold=True), to=columns, align="center")
    _print_setup(sheet, doc, headers)
    book.properties.created = book.properties.modified = epoch
    book.properties.creator = "ISHC"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _print_setup(sheet: Worksheet, doc: ReportDocument, headers: list[tuple[int, int]]) -> None:
    """A4, fitted to the page's width; margins of Decree 30 (top and bottom
    20 mm, left 30 mm, right 15 mm); the longest table's header on every page."""
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if doc.landscape else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages as it takes
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_margins.top = sheet.page_margins.bottom = 20 * MM
    sheet.page_margins.left, sheet.page_margins.right = 30 * MM, 15 * MM
    sheet.page_margins.header = sheet.page_margins.footer = 8 * MM
    sheet.print_options.horizontalCentered = True
    footer = sheet.oddFooter
    if footer is not None:
        footer.center.text = "&P/&N"
    if headers:
        row = max(headers)[1]
        sheet.print_title_rows = f"{row}:{row}"
