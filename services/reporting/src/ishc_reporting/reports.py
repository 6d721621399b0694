"""Reports of a province or of the nation for a quarter, a half-year or a year.

Issuing a report freezes it: its figures are stored as computed and every
fetch (JSON, CSV, XLSX) renders those stored figures, so it reads the same
each time. Later data does not change it; it shows beside it as a revision,
computed now for the same date, period and map.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.styles import Font
from pydantic import Field, model_validator
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts import new_event_id
from ishc_platform import admin_units
from ishc_platform.admin_units import Boundary
from ishc_platform.auth import Caller, Role, ensure_collection_allowed
from ishc_platform.clock import today, utcnow
from ishc_platform.errors import Problem, invalid, not_found
from ishc_platform.pagination import decode_cursor, encode_cursor
from ishc_platform.validation import StrictModel
from ishc_reporting import service
from ishc_reporting.domain import report_layout as layout
from ishc_reporting.domain.report_layout import PeriodKind
from ishc_reporting.models import IssuedReport

XLSX_EPOCH = datetime(2000, 1, 1)  # fixed workbook dates, so the same report gives the same file


class ReportRequest(StrictModel):
    """What to issue; an unknown field is a 422 naming it, not silently dropped."""

    scope: Literal["province", "nation"]
    province: str | None = Field(default=None, pattern=r"^[0-9]{2}$")
    kind: PeriodKind
    year: int
    number: int | None = None
    boundary: Boundary = Boundary.CURRENT

    @model_validator(mode="after")
    def _province_matches_scope(self) -> ReportRequest:
        if self.scope == "province" and self.province is None:
            raise ValueError("a province report names its province")
        if self.scope == "nation" and self.province is not None:
            raise ValueError("a national report names no province")
        return self


async def issue_report(
    session: AsyncSession, caller: Caller, request: ReportRequest
) -> IssuedReport:
    if caller.role not in (Role.NATIONAL, Role.PROVINCE):
        raise Problem(403, "reports are issued with a national or province token")
    if request.scope == "nation" and caller.role is not Role.NATIONAL:
        raise Problem(403, "a national report needs a national token")
    if request.scope == "province" and not caller.can_see_province(request.province or ""):
        raise Problem(403, f"the token does not cover province {request.province}")
    try:
        start, end = layout.period_of(request.kind, request.year, request.number)
    except layout.PeriodError as exc:
        raise invalid(exc.field, str(exc)) from None
    if start > today():
        raise invalid("year", "the period has not started yet")
    as_of = min(end, today())
    figures = await _figures(
        session, request.scope, request.province, request.boundary, as_of, start
    )
    report = IssuedReport(
        id=str(new_event_id()),  # time-ordered, so the list pages by id
        scope=request.scope,
        province=request.province,
        period_kind=request.kind.value,
        period_start=start,
        period_end=end,
        boundary=request.boundary.value,
        issued_at=utcnow(),
        issued_by=caller.sub,
        content=service.dump({**figures, "number": request.number, "year": request.year}),
    )
    session.add(report)
    await session.commit()
    return report


async def _figures(
    session: AsyncSession,
    scope: str,
    province: str | None,
    boundary: Boundary,
    as_of: Any,
    start: Any,
) -> dict[str, Any]:
    q = service.make_query(as_of, boundary, start, None)
    reader = Caller(sub="reports", role=Role.NATIONAL, provinces=frozenset())
    if scope == "nation":
        return await service.national(session, reader, q)
    unit = (
        admin_units.current_province(province or "")
        if boundary is Boundary.CURRENT
        else admin_units.legacy_province(province or "")
    )
    if unit is None:
        raise invalid("province", f"{province} is not a province on the {boundary.value} map")
    return await service.province_detail(session, reader, province or "", q)


async def load_report(session: AsyncSession, caller: Caller, report_id: str) -> IssuedReport:
    """A report the caller may read; another province's is not found."""
    if caller.role not in (Role.NATIONAL, Role.PROVINCE):
        raise Problem(403, "reports are read with a national or province token")
    report = await session.get(IssuedReport, report_id)
    if report is None:
        raise not_found("report")
    if caller.role is Role.PROVINCE and (
        report.scope == "nation" or report.province not in caller.provinces
    ):
        raise not_found("report")
    return report


def stored(report: IssuedReport) -> dict[str, Any]:
    content: dict[str, Any] = json.loads(report.content)
    return content


async def with_revision(session: AsyncSession, report: IssuedReport) -> dict[str, Any]:
    """The report as issued, and what the same figures say now if they differ."""
    issued = stored(report)
    now = json.loads(
        service.dump(
            await _figures(
                session,
                report.scope,
                report.province,
                Boundary(report.boundary),
                datetime.fromisoformat(issued["as_of"]).date(),
                report.period_start,
            )
        )
    )
    changed = sorted(
        key
        for key, value in _flat(now["indicators"]).items()
        if _flat(issued["indicators"]).get(key) != value
    )
    return {
        **summary(report),
        "figures": issued,
        "revision": None
        if not changed
        else {"changed": changed, "figures": now, "as_of_now": str(today())},
    }


def _flat(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def summary(report: IssuedReport) -> dict[str, Any]:
    issued = stored(report)
    return {
        "id": report.id,
        "scope": report.scope,
        "province": report.province,
        "kind": report.period_kind,
        "year": issued.get("year"),
        "number": issued.get("number"),
        "period_start": report.period_start,
        "period_end": report.period_end,
        "as_of": issued["as_of"],
        "boundary": report.boundary,
        "issued_at": report.issued_at,
        "issued_by": report.issued_by,
        "links": {
            "self": f"/v1/reports/{report.id}",
            "csv": f"/v1/reports/{report.id}.csv",
            "xlsx": f"/v1/reports/{report.id}.xlsx",
        },
    }


async def list_reports(
    session: AsyncSession, caller: Caller, province: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    allowed = ensure_collection_allowed(caller, province)
    query = select(IssuedReport).order_by(col(IssuedReport.id).desc()).limit(limit + 1)
    if allowed is not None:
        query = query.where(col(IssuedReport.province).in_(sorted(allowed)))
    position = decode_cursor(cursor, {"before"})
    if position is not None:
        query = query.where(col(IssuedReport.id) < position["before"])
    rows = (await session.exec(query)).all()
    next_cursor = encode_cursor({"before": rows[limit - 1].id}) if len(rows) > limit else None
    return [summary(r) for r in rows[:limit]], next_cursor


# -- rendering (always from the stored figures) ----------------------------------------


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
        [],
    ]


def _indicator_table(report: IssuedReport, lang: str) -> list[list[Any]]:
    words = layout.TEXT[lang]
    header: list[Any] = [words["indicator"], words["value"], words["target"], words["gap"]]
    return [header, *layout.indicator_rows(stored(report), lang)]


def _commune_table(report: IssuedReport, lang: str) -> list[list[Any]]:
    issued, words = stored(report), layout.TEXT[lang]
    if not issued.get("communes"):
        return []
    header = [words["code"], words["name"], words["clubs"], words["members"], words["has_club"]]
    return [[], [words["communes"]], header, *layout.commune_rows(issued, lang)]


def render_csv(report: IssuedReport, lang: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    rows = _heading(report, lang) + _indicator_table(report, lang) + _commune_table(report, lang)
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
    for row in _commune_table(report, lang):
        sheet.append(row)  # commune codes stay text: "00001" is not 1
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.column_dimensions["A"].width = 48
    for column in "BCDE":
        sheet.column_dimensions[column].width = 16
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
