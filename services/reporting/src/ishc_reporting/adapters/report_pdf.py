"""A report as a PDF, laid out as the XLSX is (Decree 30/2020/NĐ-CP: issuing
body and number, the national motto, place and date, title, tables, signature
block) on A4. It draws `report_layout.ReportDocument` with fpdf2 in DejaVu
Sans, bundled in `ishc_reporting/fonts` (the Bitstream Vera licence beside
it), which has every Vietnamese glyph. The creation date is fixed, and fpdf2
derives the file's /ID from the content and that date, so the same report
gives the same bytes at every download."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import TableCellFillMode, XPos, YPos
from fpdf.fonts import FontFace

from ishc_reporting.domain.report_layout import DocTable, ReportDocument, cell_text

FONTS = Path(__file__).resolve().parent.parent / "fonts"
FAMILY = "DejaVu"
PDF_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # fixed, as XLSX_EPOCH
LINE = 6.0  # mm per line of body text
GREY = (242, 242, 242)
RED = (192, 0, 0)


class _Pages(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, "", 8)
        self.cell(0, 5, f"{self.page_no()}/{{nb}}", align="C")


def render(doc: ReportDocument, lang: str) -> bytes:
    pdf = _Pages(orientation="L" if doc.landscape else "P", unit="mm", format="A4")
    pdf.add_font(FAMILY, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FAMILY, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(left=30, top=20, right=15)  # Decree 30's margins
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_creation_date(PDF_EPOCH)
    pdf.set_creator("ISHC")
    pdf.set_title(" ".join(doc.title[:1] + doc.title[2:3]))
    pdf.set_lang(lang)
    pdf.add_page()
    _top(pdf, doc)
    _title(pdf, doc)
    for section in doc.sections:
        pdf.ln(2)
        if section.title:
            _text(pdf, section.title, bold=True)
        for label, text in section.lines:
            _text(pdf, f"{label}: {text}" if label else text)
        if section.table is not None:
            _table(pdf, section.table, lang, small=len(section.table.header) > 5)
    _signature(pdf, doc)
    return bytes(pdf.output())


def _text(pdf: FPDF, text: str, bold: bool = False, size: float = 10, align: str = "L") -> None:
    pdf.set_font(FAMILY, "B" if bold else "", size)
    pdf.multi_cell(0, LINE, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _top(pdf: FPDF, doc: ReportDocument) -> None:
    """Left: issuing body over the number; right: the motto over the place and date."""
    left = pdf.epw * 0.46
    right = pdf.epw - left
    x, y = pdf.l_margin, pdf.get_y()
    size = 10.0
    pdf.set_font(FAMILY, "B", size)
    while pdf.get_string_width(doc.issuer[0]) > left - 2 and size > 8:
        size -= 0.5  # the body on one line where it fits; else it wraps (Decree 30 allows it)
        pdf.set_font(FAMILY, "B", size)
    pdf.set_xy(x, y)
    pdf.multi_cell(left, 5, doc.issuer[0], align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _rule(pdf, x + left / 2, pdf.get_y() + 0.5, 20)  # the short line under the body
    pdf.set_font(FAMILY, "", 10)
    pdf.set_xy(x, pdf.get_y() + 2)
    pdf.cell(left, 5, doc.number, align="C")
    bottom_left = pdf.get_y() + 5
    pdf.set_xy(x + left, y)
    pdf.set_font(FAMILY, "B", 10)
    pdf.cell(right, 5, doc.motto[0], align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "B", 11)
    pdf.cell(right, 5, doc.motto[1], align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    width = pdf.get_string_width(doc.motto[1])
    _rule(pdf, x + left + right / 2, pdf.get_y() + 0.5, width)
    pdf.set_font(FAMILY, "", 10)
    pdf.set_xy(x + left, pdf.get_y() + 3)
    pdf.cell(right, 5, doc.place_date, align="C")
    pdf.set_xy(x, max(bottom_left, pdf.get_y() + 5) + 6)


def _rule(pdf: FPDF, centre: float, y: float, width: float) -> None:
    pdf.set_line_width(0.3)
    pdf.line(centre - width / 2, y, centre + width / 2, y)


def _title(pdf: FPDF, doc: ReportDocument) -> None:
    _text(pdf, doc.title[0], bold=True, size=14, align="C")
    for text in doc.title[1:-1]:
        _text(pdf, text, bold=True, size=11, align="C")
    _text(pdf, doc.title[-1], size=10, align="C")
    pdf.ln(3)
    for label, text in doc.facts:
        _text(pdf, f"{label}: {text}")
    if doc.warning:
        pdf.set_text_color(*RED)
        _text(pdf, doc.warning, bold=True)
        pdf.set_text_color(0, 0, 0)


def _table(pdf: FPDF, table: DocTable, lang: str, small: bool) -> None:
    pdf.set_font(FAMILY, "", 7.5 if small else 9)
    aligns = [
        "R" if any(kinds[i] != "text" for kinds in table.kinds) else "L"
        for i in range(len(table.header))
    ]
    with pdf.table(
        width=pdf.epw,
        align="L",  # from the left margin (centred would be on the page, not the margins)
        padding=(0.6, 1),
        col_widths=tuple(table.widths),
        text_align=tuple(aligns),
        line_height=(3.6 if small else 4.5),
        headings_style=FontFace(emphasis="BOLD", fill_color=GREY),
        cell_fill_mode=TableCellFillMode.NONE,
        repeat_headings=1,
    ) as rows:
        heading = rows.row()
        for text in table.header:
            heading.cell(text, align="C")
        for index, (values, kinds) in enumerate(zip(table.rows, table.kinds, strict=True)):
            row = rows.row()
            style = FontFace(emphasis="BOLD") if index in table.strong_rows else None
            for value, kind in zip(values, kinds, strict=True):
                row.cell(cell_text(value, kind, lang), style=style)


def _signature(pdf: FPDF, doc: ReportDocument) -> None:
    """Recipients on the left; on the right the signer's title, room to sign, the name."""
    pdf.ln(6)
    if pdf.will_page_break(48):
        pdf.add_page()
    half = pdf.epw / 2
    x, y = pdf.l_margin, pdf.get_y()
    pdf.set_font(FAMILY, "B", 9)
    pdf.cell(half, 5, doc.recipients_title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 8)
    for text in doc.recipients:
        pdf.cell(half, 4.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_xy(x + half, y)
    pdf.set_font(FAMILY, "B", 10)
    for text in doc.signer:
        pdf.cell(half, 5, text, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 8)
    pdf.cell(half, 5, doc.sign_note, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_xy(x + half, pdf.get_y() + 22)  # room to sign and seal
    pdf.set_font(FAMILY, "B", 10)
    pdf.cell(half, 5, doc.signer_name, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
