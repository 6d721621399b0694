"""HTTP routes of the communes people look codes up in: they only translate HTTP
to `service.communes`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ishc_platform.admin_units import Boundary
from ishc_platform.deps import CurrentCaller, Cursor, Limit
from ishc_platform.errors import problems
from ishc_platform.pagination import Page
from ishc_registry import schemas
from ishc_registry.api.http import ProvinceCode
from ishc_registry.service import communes as service

router = APIRouter(prefix="/v1", tags=["communes"])


@router.get("/communes", response_model=Page[schemas.CommuneOut], responses=problems(401, 422))
async def find_communes(
    _caller: CurrentCaller,
    province: ProvinceCode = None,
    q: Annotated[
        schemas.SearchText | None,
        Query(max_length=100, description="part of the name; accents and case optional"),
    ] = None,
    boundary: Annotated[
        Boundary, Query(description="current (since 1/7/2025) or legacy (the 63 provinces)")
    ] = Boundary.CURRENT,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.CommuneOut]:
    """Communes by name, on either map: "phuoc hau" finds "Phường Phước Hậu".
    Any token reads them (administrative units are public)."""
    items, next_cursor = service.find_communes(
        province=province, q=q, boundary=boundary, limit=limit, cursor=cursor
    )
    return Page(items=items, next_cursor=next_cursor)
