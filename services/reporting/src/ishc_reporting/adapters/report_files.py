"""Issued reports as files: CSV (UTF-8 with a BOM, so Excel reads it), and
XLSX and PDF laid out as an official document (`report_xlsx`, `report_pdf`)
whose bytes are the same at every download. Always rendered from the
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
from datetime import date, datetime
from typing import Any

from ishc_platform import admin_units
from ishc_platform.clock import VIETNAM, as_utc
from ishc_reporting.adapters import report_pdf, report_xlsx
from ishc_reporting.domain import report_layout as layout
from ishc_reporting.domain.report_layout import PeriodKind
from ishc_reporting.models import IssuedReport

XLSX_EPOCH = datetime(2000, 1, 1)  # fixed workbook dates, so the same report gives the same file


def stored(report: IssuedReport) -> dict[str, Any]:
    content: dict[str, Any] = json.loads(report.content)
    return content


def _province_name(report: IssuedReport) -> str | None:
    """The province's official name on the report's map."""
    if report.scope == "nation":
        return None
    unit = (
        admin_units.current_province(report.province or "")
        if report.boundary == "current"
        else admin_units.legacy_province(report.province or "")
    )
    return unit.name if unit else report.province


def issued_on(report: IssuedReport) -> date:
    """The day the report was issued, in Vietnam (the date on the document)."""
    return as_utc(report.issued_at).astimezone(VIETNAM).date()


def frame(report: IssuedReport) -> layout.ReportFrame:
    return layout.ReportFrame(
        scope=report.scope,
        province=report.province,
        province_name=_province_name(report),
        boundary=report.boundary,
        kind=PeriodKind(report.period_kind),
        period_start=report.period_start,
        period_end=report.period_end,
        issued_on=issued_on(report),
    )


def document(report: IssuedReport, lang: str) -> layout.ReportDocument:
    """The report as an official document (the XLSX and the PDF draw it)."""
    return layout.document(frame(report), stored(report), lang)


def _heading(report: IssuedReport, lang: str) -> list[list[Any]]:
    issued = stored(report)
    words = layout.TEXT[lang]
    place = words["nation"] if report.scope == "nation" else _province_name(report) or ""
    kind = PeriodKind(report.period_kind)
    if layout.figures_format(issued) < 3:  # as issued then, to the byte
        return [
            [layout.title(kind, issued["year"], issued.get("number"), place, lang)],
            [
                words["period"],
                f"{report.period_start.isoformat()} – {report.period_end.isoformat()}",
            ],
            [words["as_of"], issued["as_of"]],
            [words["boundary"], words[report.boundary]],
            [words["issued"], report.issued_at.strftime("%Y-%m-%d %H:%M UTC")],
            *layout.heading_rows(issued, lang),
            [],
        ]
    early = layout.issued_early(issued_on(report), report.period_end)

    def day(value: Any) -> str:
        return layout.day_text(value, lang)

    return [
        [layout.title(kind, issued["year"], issued.get("number"), place, lang)],
        [words["period"], f"{day(report.period_start)} – {day(report.period_end)}"],
        [words["as_of"], day(issued["as_of"])],
        [words["boundary"], words[report.boundary]],
        [words["issued"], day(issued_on(report))],
        *([[layout.early_text(issued["as_of"], lang)]] if early else []),
        *layout.heading_rows(issued, lang),
        [],
    ]


def _province_table(report: IssuedReport, lang: str) -> list[list[Any]]:
    """Format 3, a national report: each province's main indicators, then the nation's."""
    issued = stored(report)
    rows = layout.province_rows(issued, lang)
    if not rows:
        return []
    return [[], [layout.DOCUMENT_TEXT[lang]["by_province"]], layout.province_header(lang), *rows]


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
        *_province_table(report, lang),
        *(row for _kind, row in _plan_sections(report, lang)),
        *_commune_table(report, lang),
    ]
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return ("\ufeff" + out.getvalue()).encode()  # the BOM makes Excel read UTF-8


def render_xlsx(report: IssuedReport, lang: str) -> bytes:
    """The report as an official document (`report_xlsx`), with fixed workbook dates."""
    return _fixed_zip_times(report_xlsx.render(document(report, lang), lang, XLSX_EPOCH))


def render_pdf(report: IssuedReport, lang: str) -> bytes:
    """The same document as a PDF (`report_pdf`), with a fixed creation date."""
    return report_pdf.render(document(report, lang), lang)


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
