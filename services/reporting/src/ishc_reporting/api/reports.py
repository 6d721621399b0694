"""Report routes: issue a quarterly, semi-annual or annual report and fetch it
as issued (JSON, CSV, XLSX, PDF). They only translate HTTP to `service/reports.py` and the renderers
of `adapters/report_files.py`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Response

from ishc_platform.deps import CurrentCaller, Cursor, Limit, SessionDep
from ishc_platform.errors import problems
from ishc_reporting import queries, schemas
from ishc_reporting.adapters import report_files
from ishc_reporting.models import IssuedReport
from ishc_reporting.schemas import ReportRequest, jsonable
from ishc_reporting.service import reports as service

router = APIRouter(prefix="/v1/reports", tags=["reports"])
# Report ids are UUIDs; anything else is a 422 before the database sees it.
ReportId = Annotated[str, Path(pattern=queries.RECORD_ID_PATTERN)]
Lang = Annotated[Literal["vi", "en"], Query(description="vi (default) or en")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.post(
    "",
    status_code=201,
    response_model=schemas.ReportSummary,
    responses={
        200: {"model": schemas.ReportSummary, "description": "already issued: that report"},
        **problems(401, 403, 422),
    },
)
async def issue_report(
    session: SessionDep,
    caller: CurrentCaller,
    request: Annotated[ReportRequest, Body()],
    response: Response,
) -> dict[str, Any]:
    """Compute and freeze the report of a province or of the nation for a
    period: 201 when issued now; 200 with the report already issued for the
    same scope, province, period, map and figures day (no duplicate; what
    changed since shows as its `revision`)."""
    report, created = await service.issue_report(session, caller, request)
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"/v1/reports/{report.id}"
    result: dict[str, Any] = jsonable(service.summary(report))
    return result


@router.get("", response_model=schemas.ReportList, responses=problems(401, 403, 422))
async def list_reports(
    session: SessionDep,
    caller: CurrentCaller,
    province: Annotated[str | None, Query(pattern=r"^[0-9]{2}$")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    items, next_cursor = await service.list_reports(session, caller, province, limit, cursor)
    return {"items": jsonable(items), "next_cursor": next_cursor}


@router.get(
    "/{report_id}.csv",
    responses={200: {"content": {"text/csv": {}}}, **problems(401, 403, 404, 422)},
)
async def report_csv(
    session: SessionDep, caller: CurrentCaller, report_id: ReportId, lang: Lang = "vi"
) -> Response:
    report = await service.load_report(session, caller, report_id)
    return Response(
        report_files.render_csv(report, lang),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_filename(report, lang)}.csv"'},
    )


@router.get(
    "/{report_id}.xlsx",
    responses={200: {"content": {XLSX: {}}}, **problems(401, 403, 404, 422)},
)
async def report_xlsx(
    session: SessionDep, caller: CurrentCaller, report_id: ReportId, lang: Lang = "vi"
) -> Response:
    report = await service.load_report(session, caller, report_id)
    return Response(
        report_files.render_xlsx(report, lang),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{_filename(report, lang)}.xlsx"'},
    )


@router.get(
    "/{report_id}.pdf",
    responses={200: {"content": {"application/pdf": {}}}, **problems(401, 403, 404, 422)},
)
async def report_pdf(
    session: SessionDep, caller: CurrentCaller, report_id: ReportId, lang: Lang = "vi"
) -> Response:
    report = await service.load_report(session, caller, report_id)
    return Response(
        report_files.render_pdf(report, lang),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{_filename(report, lang)}.pdf"'},
    )


@router.get(
    "/{report_id}", response_model=schemas.ReportDetail, responses=problems(401, 403, 404, 422)
)
async def get_report(
    session: SessionDep, caller: CurrentCaller, report_id: ReportId
) -> dict[str, Any]:
    """The report as issued, with `revision`: null, or what changed since."""
    result: dict[str, Any] = jsonable(
        await service.report_with_revision(session, caller, report_id)
    )
    return result


def _filename(report: IssuedReport, lang: str) -> str:
    scope = report.province or "nation"
    return f"ishc-{scope}-{report.period_kind}-{report.period_start:%Y-%m}-{lang}"
