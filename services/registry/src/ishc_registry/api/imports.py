"""HTTP routes of spreadsheet imports: they only translate HTTP to `service.imports`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile

from ishc_platform.deps import CurrentCaller, SessionDep
from ishc_platform.errors import Problem, field_error, problems
from ishc_registry import schemas
from ishc_registry.adapters.spreadsheet import template
from ishc_registry.domain.messages import Lang, Reason, say
from ishc_registry.domain.spreadsheet import MAX_BYTES, SheetKind
from ishc_registry.service import communes
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
    lang: Annotated[
        Lang, Query(description="the language of the problems: vi (default) or en")
    ] = Lang.VI,
) -> schemas.ImportReport:
    """Import clubs or members: all or nothing, re-runnable by `external_id`.

    Every problem of every row at once, each naming its row (the header is row
    1), its column as the file heads it and that column's letter, and saying what
    to do. A commune column may hold the commune's name when it is unambiguous
    in the token's provinces."""
    content = await file.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        mb = MAX_BYTES // (1024 * 1024)
        raise Problem(
            413,
            say(Reason(f"the file is larger than {mb} MB", "file_too_large", mb=mb), lang),
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
        lang=lang,
    )


@router.get(
    "/imports/templates/{kind}.xlsx",
    response_class=Response,
    responses={**_SPREADSHEET, **problems(401, 422)},
)
async def import_template(
    kind: SheetKind,
    caller: CurrentCaller,
    language: Literal["vi", "en"] = "vi",
    province: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9]{2}$",
            description="whose communes the clubs template lists (default: a province "
            "token's own; for other tokens, every province)",
        ),
    ] = None,
    lang: Annotated[
        Lang | None, Query(description="the same as `language`, as the import names it")
    ] = None,
) -> Response:
    """A spreadsheet to fill in, with the headers the import reads; the clubs
    template also lists the communes to choose from, with their codes (current
    and legacy)."""
    language = lang.value if lang is not None else language
    provinces = communes.template_provinces(caller, province) if kind is SheetKind.CLUBS else []
    return Response(
        template(kind, language, provinces),
        media_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="ishc-{kind.value}-{language}.xlsx"'
        },
    )
