"""Finding communes (*xã, phường, đặc khu*; legacy also *thị trấn*) by name on
either map, for the people who fill in imports; and which provinces a
template lists. Reference data, the same for every caller: any token reads it."""

from __future__ import annotations

from ishc_platform import admin_units
from ishc_platform.admin_units import Boundary, ProvinceUnit, Unit
from ishc_platform.auth import Caller, Role
from ishc_platform.errors import invalid
from ishc_platform.pagination import decode_cursor, keyset
from ishc_registry import schemas


def _province(code: str, boundary: Boundary) -> ProvinceUnit:
    unit = (
        admin_units.current_province(code)
        if boundary is Boundary.CURRENT
        else admin_units.legacy_province(code)
    )
    if unit is None:
        raise invalid("province", f"no province {code} on the {boundary} map")
    return unit


def find_communes(
    *, province: str | None, q: str | None, boundary: Boundary, limit: int, cursor: str | None
) -> tuple[list[schemas.CommuneOut], str | None]:
    """Communes whose name holds `q` (accents and case ignored), in `province`
    (a code of the same map) or everywhere, by code; a page and the next cursor."""
    scope = {_province(province, boundary).code} if province is not None else None
    position = decode_cursor(cursor, {"code"})
    after = position["code"] if position else ""
    found = [u for u in admin_units.search_communes(q, boundary, scope) if u.code > after]
    page, next_cursor = keyset(found[: limit + 1], limit, lambda u: {"code": u.code})
    return [_out(u, boundary) for u in page], next_cursor


def _out(unit: Unit, boundary: Boundary) -> schemas.CommuneOut:
    return schemas.CommuneOut(
        code=unit.code,
        name=unit.name,
        province_code=unit.province_code,
        province_name=_province(unit.province_code, boundary).name,
        boundary=boundary.value,
    )


def template_provinces(caller: Caller, province: str | None) -> list[str]:
    """The current provinces whose communes a template lists: the one asked for;
    else a province token's own; else (national, ops) all 34."""
    if province is not None:
        return [_province(province, Boundary.CURRENT).code]
    if caller.role is Role.PROVINCE and caller.provinces:
        known = [c for c in sorted(caller.provinces) if admin_units.current_province(c)]
        if known:
            return known
    return [p.code for p in admin_units.current_provinces()]
