"""Report routes: issue a quarterly, semi-annual or annual report and fetch it as issued."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Response

from ishc_platform.deps import CurrentCaller, Cursor, Limit, SessionDep
from ishc_reporting import reports, service

router = APIRouter(prefix="/v1/reports", tags=["reports"])
# Report ids are UUIDs; anything else is a 422 before the database sees it.
ReportId = Annotated[str, Path(pattern=service.RECORD_ID_PATTERN)]
Lang = Annotated[Literal["vi", "en"], Query(description="vi (default) or en")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.post("", status_code=201)
async def issue_report(
    session: SessionDep, caller: CurrentCaller, request: Annotated[reports.ReportRequest, Body()]
) -> dict[str, Any]:
    """Compute and freeze the report of a province or of the nation for a period."""
    report = await reports.issue_report(session, caller, request)
    result: dict[str, Any] = service.jsonable(reports.summary(report))
    return result


@router.get("")
async def list_reports(
    session: SessionDep,
    caller: CurrentCaller,
    province: Annotated[str | None, Query(pattern=r"^[0-9]{2}$")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    items, next_cursor = await reports.list_reports(session, caller, province, limit, cursor)
    return {"items": service.jsonable(items), "next_cursor": next_cursor}


@router.get("/{report_id}.csv")
async def report_csv(
    session: SessionDep, caller: CurrentCaller, report_id: ReportId, lang: Lang = "vi"
) -> Response:
    report = await reports.load_report(session, caller, report_id)
    return Response(
        reports.render_csv(report, lang),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_filename(report, lang)}.csv"'},
    )


@router.get("/{report_id}.xlsx")
async def report_xlsx(
    session: SessionDep, caller: CurrentCaller, report_id: ReportId, lang: Lang = "vi"
) -> Response:
    report = await reports.load_report(session, caller, report_id)
    return Response(
        reports.render_xlsx(report, lang),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{_filename(report, lang)}.xlsx"'},
    )


@router.get("/{report_id}")
async def get_report(
    session: SessionDep, caller: CurrentCaller, report_id: ReportId
) -> dict[str, Any]:
    """The report as issued, with `revision`: null, or what changed since."""
    report = await reports.load_report(session, caller, report_id)
    result: dict[str, Any] = service.jsonable(await reports.with_revision(session, report))
    return result


def _filename(report: Any, lang: str) -> str:
    scope = report.province or "nation"
    return f"ishc-{scope}-{report.period_kind}-{report.period_start:%Y-%m}-{lang}"
