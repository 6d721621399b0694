"""Issued reports as files: CSV (UTF-8 with a BOM, so Excel reads it) and
XLSX whose bytes are the same at every download. Always rendered from the
figures stored when the report was issued, in the format they were stored in
(`report_layout.figures_format`): a report issued before plans were measured
on their own windows reads as it did then; one issued now lists its
indicators, then each plan in force with its targets."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from ishc_platform import admin_units
from ishc_reporting.domain import report_layout as layout
from ishc_reporting.domain.report_layout import PeriodKind
from ishc_reporting.models import IssuedReport

XLSX_EPOCH = datetime(2000, 1, 1)  # fixed workbook dates, so the same report gives the same file


def stored(report: IssuedReport) -> dict[str, Any]:
    content: dict[str, Any] = json.loads(report.content)
    return content


def _heading(report: IssuedReport, lang: str) -> list[list[Any]]:
    issued = stored(report)
    words = layout.TEXT[lang]
    if report.scope == "nation":
        place = words["nation"]
    else:
        unit = (
            admin_units.current_province(report.province or "")
            if report.boundary == "current"
            else admin_units.legacy_province(report.province or "")
        )
        place = unit.name if unit else report.province or ""
    kind = PeriodKind(report.period_kind)
    return [
        [layout.title(kind, issued["year"], issued.get("number"), place, lang)],
        [words["period"], f"{report.period_start.isoformat()} – {report.period_end.isoformat()}"],
        [words["as_of"], issued["as_of"]],
        [words["boundary"], words[report.boundary]],
        [words["issued"], report.issued_at.strftime("%Y-%m-%d %H:%M UTC")],
        *layout.heading_rows(issued, lang),
        [],
    ]


def _indicator_table(report: IssuedReport, lang: str) -> list[list[Any]]:
    issued = stored(report)
    return [layout.indicator_header(issued, lang), *layout.indicator_rows(issued, lang)]


def _plan_sections(report: IssuedReport, lang: str) -> list[tuple[str, list[Any]]]:
    return layout.plan_sections(stored(report), lang)


def _commune_table(report: IssuedReport, lang: str) -> list[list[Any]]:
    issued, words = stored(report), layout.TEXT[lang]
    if not issued.get("communes"):
        return []
    header = [words["code"], words["name"], words["clubs"], words["members"], words["has_club"]]
    return [[], [words["communes"]], header, *layout.commune_rows(issued, lang)]


def render_csv(report: IssuedReport, lang: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    rows = [
        *_heading(report, lang),
        *_indicator_table(report, lang),
        *(row for _kind, row in _plan_sections(report, lang)),
        *_commune_table(report, lang),
    ]
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return ("\ufeff" + out.getvalue()).encode()  # the BOM makes Excel read UTF-8


def render_xlsx(report: IssuedReport, lang: str) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Báo cáo" if lang == "vi" else "Report"
    for row in _heading(report, lang):
        sheet.append(row)
    header, *indicators = _indicator_table(report, lang)
    sheet.append(header)
    for label, *figures in indicators:
        sheet.append([label, *(_number(v) for v in figures)])  # numbers Excel can sum
    for kind, row in _plan_sections(report, lang):
        if kind == "target":  # its figures as numbers; the window and target stay text
            row = [_number(v) if i in layout.TARGET_FIGURES else v for i, v in enumerate(row)]
        sheet.append(row)
        if kind in ("title", "header"):
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
    for row in _commune_table(report, lang):
        sheet.append(row)  # commune codes stay text: "00001" is not 1
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.column_dimensions["A"].width = 48
    for column in "BCDE":
        sheet.column_dimensions[column].width = 16
    if layout.figures_format(stored(report)) >= 2:  # a format-1 report keeps its old bytes
        for column in "FGH":
            sheet.column_dimensions[column].width = 16
        sheet.column_dimensions["I"].width = 48
    book.properties.created = book.properties.modified = XLSX_EPOCH
    book.properties.creator = "ISHC"
    out = io.BytesIO()
    book.save(out)
    return _fixed_zip_times(out.getvalue())


def _fixed_zip_times(content: bytes) -> bytes:
    """An XLSX is a zip whose entries, and whose `modified` property (openpyxl
    sets it at save), carry the time of writing: fix both, so the same report
    downloads as the same bytes every time."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            data = source.read(entry.filename)
            if entry.filename == "docProps/core.xml":
                data = _MODIFIED.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", data)
            fixed = zipfile.ZipInfo(entry.filename, date_time=XLSX_EPOCH.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, data)
    return out.getvalue()


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def _number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    return value
