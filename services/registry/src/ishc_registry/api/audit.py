"""HTTP route of the audit log of personal data: translated to `service.audit`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ishc_platform.deps import CurrentCaller, Cursor, Limit, SessionDep
from ishc_platform.errors import problems
from ishc_platform.pagination import Page
from ishc_registry import schemas
from ishc_registry.api.http import ProvinceCode, page_of
from ishc_registry.service import audit as service

router = APIRouter(prefix="/v1", tags=["members"])


@router.get("/audit", response_model=Page[schemas.AuditOut], responses=problems(401, 403, 422))
async def audit_log(
    caller: CurrentCaller,
    session: SessionDep,
    province: ProvinceCode = None,
    member_id: Annotated[str | None, Query(pattern=schemas.ID_PATTERN)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.AuditOut]:
    """Who read, exported or erased members' personal data, newest first."""
    entries, next_cursor = await service.audit_log(
        session, caller, province=province, member_id=member_id, limit=limit, cursor=cursor
    )
    return page_of(schemas.AuditOut, entries, next_cursor)
