"""Where a club counts on each boundary version (DOMAIN.md, "Indicators").

Current boundary: its current commune and that commune's province.
Legacy boundary (the map before 1 July 2025): its legacy commune when it was
registered with one; otherwise the single legacy commune its current commune
came from, if there is exactly one; otherwise only its old province, when all
the sources share one; otherwise it is unplaced, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ishc_platform import admin_units
from ishc_platform.admin_units import Boundary


@dataclass(frozen=True)
class Place:
    """A club's place on one map: a commune (and its province), only a
    province, or nothing (unplaced)."""

    province: str | None
    commune: str | None

    @property
    def unplaced(self) -> bool:
        return self.province is None


UNPLACED = Place(None, None)


@lru_cache(maxsize=65536)
def place(commune_code: str, legacy_commune_code: str | None, boundary: Boundary) -> Place:
    if boundary is Boundary.CURRENT:
        unit = admin_units.current_commune(commune_code)
        return UNPLACED if unit is None else Place(unit.province_code, unit.code)
    if legacy_commune_code is not None:
        legacy = admin_units.legacy_commune(legacy_commune_code)
        if legacy is not None:
            return Place(legacy.province_code, legacy.code)
    try:
        sources = admin_units.legacy_sources_of_commune(commune_code)
    except admin_units.UnknownUnit:
        return UNPLACED
    if len(sources) == 1:
        return Place(sources[0].province_code, sources[0].code)
    provinces = {s.province_code for s in sources}
    if len(provinces) == 1:
        return Place(provinces.pop(), None)
    return UNPLACED


@lru_cache(maxsize=256)
def commune_count(province: str, boundary: Boundary) -> int:
    return len(admin_units.communes_of_province(province, boundary))


def provinces(boundary: Boundary) -> list[admin_units.ProvinceUnit]:
    if boundary is Boundary.CURRENT:
        return admin_units.current_provinces()
    return admin_units.legacy_provinces()


def province_unit(code: str, boundary: Boundary) -> admin_units.ProvinceUnit | None:
    if boundary is Boundary.CURRENT:
        return admin_units.current_province(code)
    return admin_units.legacy_province(code)


def commune_unit(code: str, boundary: Boundary) -> admin_units.Unit | None:
    if boundary is Boundary.CURRENT:
        return admin_units.current_commune(code)
    return admin_units.legacy_commune(code)


def communes(province: str, boundary: Boundary) -> list[admin_units.Unit]:
    return admin_units.communes_of_province(province, boundary)


def visible_provinces(token_provinces: frozenset[str], boundary: Boundary) -> set[str]:
    """A province token sees its current provinces and, on the legacy map, the
    old provinces merged into them."""
    if boundary is Boundary.CURRENT:
        return set(token_provinces)
    return {old.code for code in token_provinces for old in admin_units.legacy_provinces_of(code)}
