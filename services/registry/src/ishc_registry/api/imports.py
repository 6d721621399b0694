"""HTTP routes of spreadsheet imports: they only translate HTTP to `service.imports`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Response, UploadFile

from ishc_platform.deps import CurrentCaller, SessionDep
from ishc_platform.errors import Problem, field_error, problems
from ishc_registry import schemas
from ishc_registry.adapters.spreadsheet import template
from ishc_registry.domain.spreadsheet import MAX_BYTES, SheetKind
from ishc_registry.service import imports as service

router = APIRouter(prefix="/v1", tags=["imports"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SPREADSHEET: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the template",
        "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post(
    "/imports",
    response_model=schemas.ImportReport,
    responses=problems(401, 403, 404, 409, 413, 422),
)
async def import_spreadsheet(
    caller: CurrentCaller,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="CSV or XLSX, Vietnamese or English headers")],
    kind: Annotated[SheetKind, Form(description="clubs or members")],
    club_id: Annotated[
        str | None, Form(pattern=schemas.ID_PATTERN, description="the club of every member row")
    ] = None,
    dry_run: Annotated[bool, Form(description="check only; report every bad row")] = False,
) -> schemas.ImportReport:
    """Import clubs or members: all or nothing, re-runnable by `external_id`."""
    content = await file.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise Problem(
            413,
            f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB",
            kind="file-too-large",
            errors=[field_error("file", "too large")],
        )
    return await service.import_sheet(
        session,
        caller,
        content=content,
        filename=file.filename,
        kind=kind,
        club_id=club_id,
        dry_run=dry_run,
    )


@router.get(
    "/imports/templates/{kind}.xlsx",
    response_class=Response,
    responses={**_SPREADSHEET, **problems(401, 422)},
)
async def import_template(
    kind: SheetKind, caller: CurrentCaller, language: Literal["vi", "en"] = "vi"
) -> Response:
    """A spreadsheet to fill in, with the headers the import reads."""
    return Response(
        template(kind, language),
        media_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="ishc-{kind.value}-{language}.xlsx"'
        },
    )
