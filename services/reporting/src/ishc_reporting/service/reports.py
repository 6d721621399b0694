"""Reports of a province or of the nation for a quarter, a half-year or a year.

Issuing a report freezes it: its figures are stored as computed, with the
format they were stored in (`report_layout.FORMAT`), and every fetch (JSON,
CSV, XLSX) renders those stored figures, so it reads the same each time.
Later data does not change it; it shows beside it as a revision, computed now
for the same date, period and map.

Issuing is idempotent: the same scope, province, period, map and figures day
(`report_layout.issue_key`, unique in the database, so concurrent issues make
one row) is the report already issued; the API answers 200 with it instead of
201. A report issued before its period ended (on its last day too) is an
interim one, its figures taken at the issue day: it and the final one (issued
after the period ends) are two reports.

A national report also stores each province's main indicators (`by_province`).

The figures are the indicator queries' own: the indicators, the plan judging
the clubs (`plan`), and every plan in force measured over its own window and
territory (`plans`, `queries/targets.py`), so a report and the dashboard give
one figure for each target.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts import new_event_id
from ishc_platform import admin_units
from ishc_platform.admin_units import Boundary
from ishc_platform.auth import Caller
from ishc_platform.clock import as_utc, today, utcnow
from ishc_platform.errors import invalid
from ishc_platform.pagination import decode_cursor, keyset
from ishc_reporting import queries
from ishc_reporting.adapters.report_files import issued_on, stored
from ishc_reporting.domain import report_layout as layout
from ishc_reporting.models import IssuedReport
from ishc_reporting.schemas import ReportRequest
from ishc_reporting.service import policy


async def issue_report(
    session: AsyncSession, caller: Caller, request: ReportRequest
) -> tuple[IssuedReport, bool]:
    """The report, and whether this call issued it: the same scope, province,
    period, map and figures day issued again is the report already issued
    (`report_layout.issue_key`), whose later changes show as its revision."""
    policy.ensure_report_issuer(caller, request.scope, request.province)
    start, end = layout.period_of(request.kind, request.year, request.number)  # FieldError: 422
    if start > today():
        raise invalid("year", "the period has not started yet")
    as_of = min(end, today())
    key = layout.issue_key(
        request.scope,
        request.province,
        request.kind.value,
        start,
        request.boundary.value,
        as_of,
        interim=layout.issued_early(today(), end),
    )
    existing = await _issued(session, key)
    if existing is not None:
        return existing, False
    figures = await _figures(
        session, request.scope, request.province, request.boundary, as_of, start, breakdown=True
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
        issue_key=key,
        content=dump(
            {
                **figures,
                "format": layout.FORMAT,
                "number": request.number,
                "year": request.year,
            }
        ),
    )
    session.add(report)
    try:
        await session.commit()
    except IntegrityError:
        # Issued concurrently: the unique key let one insert through; that one is the report.
        await session.rollback()
        existing = await _issued(session, key)
        if existing is None:
            raise
        return existing, False
    return report, True


async def _issued(session: AsyncSession, key: str) -> IssuedReport | None:
    query = select(IssuedReport).where(col(IssuedReport.issue_key) == key)
    return (await session.exec(query)).first()


async def _figures(
    session: AsyncSession,
    scope: str,
    province: str | None,
    boundary: Boundary,
    as_of: date,
    start: date,
    *,
    breakdown: bool = False,
) -> dict[str, Any]:
    """A report's figures, read unchecked: the issuer was checked for the
    report's scope, and a report holds the figures of that scope whole. With
    `breakdown`, a national report also holds each province's main indicators."""
    q = queries.make_query(as_of, boundary, start, None)
    if scope == "nation":
        figures = await queries.national_unchecked(session, q)
        if breakdown:
            table = await queries.province_table_unchecked(session, q)
            figures["by_province"] = [
                {"code": p["code"], "name": p["name"], **layout.province_breakdown(p["indicators"])}
                for p in table["provinces"]
            ]
        return figures
    unit = (
        admin_units.current_province(province or "")
        if boundary is Boundary.CURRENT
        else admin_units.legacy_province(province or "")
    )
    if unit is None:
        raise invalid("province", f"{province} is not a province on the {boundary.value} map")
    return await queries.province_detail_unchecked(session, province or "", q)


async def load_report(session: AsyncSession, caller: Caller, report_id: str) -> IssuedReport:
    """A report the caller may read; another province's is not found."""
    return policy.ensure_report_visible(caller, await session.get(IssuedReport, report_id))


async def report_with_revision(
    session: AsyncSession, caller: Caller, report_id: str
) -> dict[str, Any]:
    """The report as issued, and what the same figures say now if they differ."""
    report = await load_report(session, caller, report_id)
    issued = stored(report)
    now = json.loads(
        dump(
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
    then = _flat(issued["indicators"])
    # A report stored in an earlier format holds fewer indicators: those it
    # did not hold are not changes of it.
    changed = sorted(
        key
        for key, value in _flat(now["indicators"]).items()
        if (key in then or layout.figures_format(issued) >= layout.FORMAT)
        and then.get(key) != value
    )
    now["format"] = layout.FORMAT
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
    early = layout.issued_early(issued_on(report), report.period_end)
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
        "issued_at": as_utc(report.issued_at),  # SQLite hands back naive instants
        "issued_by": report.issued_by,
        "links": {
            "self": f"/v1/reports/{report.id}",
            "csv": f"/v1/reports/{report.id}.csv",
            "xlsx": f"/v1/reports/{report.id}.xlsx",
            "pdf": f"/v1/reports/{report.id}.pdf",
        },
        # Issued before the period ended: its figures stop at `as_of`.
        "issued_early": early,
        "warning": layout.early_text(issued["as_of"], "vi") if early else None,
    }


async def list_reports(
    session: AsyncSession, caller: Caller, province: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    allowed = policy.report_collection(caller, province)
    query = select(IssuedReport).order_by(col(IssuedReport.id).desc()).limit(limit + 1)
    if allowed is not None:
        query = query.where(col(IssuedReport.province).in_(sorted(allowed)))
    position = decode_cursor(cursor, {"before"})
    if position is not None:
        query = query.where(col(IssuedReport.id) < position["before"])
    rows = (await session.exec(query)).all()
    page, next_cursor = keyset(rows, limit, lambda r: {"before": r.id})
    return [summary(r) for r in page], next_cursor


def dump(value: Any) -> str:
    """JSON with dates and decimals as strings (reports keep exactly what they said)."""
    return json.dumps(value, default=_default, ensure_ascii=False, sort_keys=True)


def _default(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)
