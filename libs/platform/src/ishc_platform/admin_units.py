"""Administrative units (*đơn vị hành chính*): provinces and communes, current and legacy.

A thin layer over the `vietnam-provinces` package (no hand-written lists). Two maps:

- CURRENT, since 1 July 2025: 34 provinces (*tỉnh*, *thành phố*) and 3,321 communes
  (2,621 *xã*, 687 *phường*, 13 *đặc khu*); no district level.
- LEGACY, before: 63 provinces and, in the package, 10,051 communes.

Codes are strings of ASCII digits: provinces 2 ("01", "86"), communes 5 ("29623").
Anything else (unpadded, ints, spaces) is simply unknown. The two maps reuse numbers
(3,310 current commune codes are also legacy codes), so every function names its map:
legacy "29623" is Xã Mỹ An, current "29623" is Xã Nhơn Phú, both in Vĩnh Long.

What the package data (2026.9.0) says, including surprises:

- 440 legacy communes were split among several current ones; 28 have no successor. The
  latter are mostly communes merged in the pre-2025 rounds (Sơn La, Bắc Giang, Lâm Đồng,
  Hồ Chí Minh City...) whose post-merger codes the conversion table uses instead. So the
  table also knows 10 old codes the legacy list lacks (e.g. "26929" -> Phường Bình Thạnh):
  `successors_of_legacy_commune` resolves them, but `legacy_commune` returns None for them
  and `legacy_sources_of_commune` cannot list them (no name).
- 5 *đặc khu* (Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa, Lý Sơn, Côn Đảo) have no legacy sources:
  they were island districts with no communes.
- The package's province table (`Province.get_legacy_sources`) lists old Tiền Giang (82)
  as a source of Tây Ninh (80) because one conversion row (Phường 4, Tân An, Long An) has a
  wrong old province. We derive the province map from the commune map and the legacy
  communes' own provinces instead; then each old province goes to exactly one new one.
- Old Vĩnh Long (86) has 102 communes here (109 in 2017: mergers of 2019-2024).
  New Vĩnh Long (86) has 124 communes, new Đồng Nai (75) 95.
- The package writes Quảng Ninh (22), Bắc Ninh (24) and Đồng Nai (75) as *Thành phố*,
  and current commune 06325 as "xã Bắc Sơn" (lower case; we capitalise it).
"""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache

from vietnam_provinces import Province, Ward, WardCode, legacy


class Boundary(StrEnum):
    """Which map a code is on."""

    CURRENT = "current"  # since 1 July 2025
    LEGACY = "legacy"  # before 1 July 2025


@dataclass(frozen=True)
class Unit:
    """A commune-level unit (*xã*, *phường*, *đặc khu*; legacy also *thị trấn*)."""

    code: str  # 5 digits
    name: str  # official Vietnamese name, e.g. "Xã Nhơn Phú"
    province_code: str  # 2 digits, on the same map as the commune


@dataclass(frozen=True)
class ProvinceUnit:
    """A province-level unit (*tỉnh* or *thành phố trực thuộc trung ương*)."""

    code: str  # 2 digits
    name: str  # e.g. "Tỉnh Vĩnh Long"


class UnknownUnit(LookupError):
    """No unit with this code on the given map."""

    def __init__(self, code: str, boundary: Boundary) -> None:
        super().__init__(f"no {boundary} unit with code {code!r}")
        self.code = code
        self.boundary = boundary


def _pcode(number: int) -> str:
    return f"{number:02d}"


def _ccode(number: int) -> str:
    return f"{number:05d}"


def _official(name: str) -> str:
    """Capitalise the unit kind; the package has one "xã Bắc Sơn"."""
    return name[:1].upper() + name[1:]


def _is_code(code: str, width: int) -> bool:
    return len(code) == width and code.isascii() and code.isdigit()


# --- indexes (built once from the package's data) ---------------------------------


@cache
def _provinces(boundary: Boundary) -> dict[str, ProvinceUnit]:
    source = Province.iter_all() if boundary is Boundary.CURRENT else legacy.Province.iter_all()
    units = [ProvinceUnit(_pcode(p.code.value), p.name) for p in source]
    return {u.code: u for u in sorted(units, key=lambda u: u.code)}


@cache
def _communes(boundary: Boundary) -> dict[str, Unit]:
    if boundary is Boundary.CURRENT:
        units = [
            Unit(_ccode(w.code.value), _official(w.name), _pcode(w.province_code.value))
            for w in Ward.iter_all()
        ]
    else:
        units = [
            Unit(_ccode(w.code.value), _official(w.name), _pcode(w.province_code.value))
            for w in legacy.Ward.iter_all()
        ]
    return {u.code: u for u in sorted(units, key=lambda u: u.code)}


@cache
def _communes_by_province(boundary: Boundary) -> dict[str, tuple[Unit, ...]]:
    grouped: dict[str, list[Unit]] = defaultdict(list)
    for unit in _communes(boundary).values():  # already sorted by code
        grouped[unit.province_code].append(unit)
    return {code: tuple(units) for code, units in grouped.items()}


@lru_cache(maxsize=16_384)  # bounded: callers may pass arbitrary strings
def _successors(legacy_code: str) -> tuple[Unit, ...]:
    if not _is_code(legacy_code, 5) or legacy_code == "00000":
        return ()
    current = _communes(Boundary.CURRENT)
    codes = {_ccode(hit.ward.code.value) for hit in Ward.search_from_legacy(code=int(legacy_code))}
    return tuple(current[c] for c in sorted(codes))


@cache
def _province_successor() -> dict[str, str]:
    """Legacy province code -> current province code, by where its communes went."""
    went_to: dict[str, Counter[str]] = defaultdict(Counter)
    for unit in _communes(Boundary.LEGACY).values():
        for successor in _successors(unit.code):
            went_to[unit.province_code][successor.province_code] += 1
    return {old: counts.most_common(1)[0][0] for old, counts in went_to.items()}


# --- current map ------------------------------------------------------------------


def is_current_commune(code: str) -> bool:
    return code in _communes(Boundary.CURRENT)


def current_commune(code: str) -> Unit | None:
    return _communes(Boundary.CURRENT).get(code)


def province_of_commune(code: str) -> str:
    """Current province code of a current commune."""
    unit = current_commune(code)
    if unit is None:
        raise UnknownUnit(code, Boundary.CURRENT)
    return unit.province_code


def current_province(code: str) -> ProvinceUnit | None:
    return _provinces(Boundary.CURRENT).get(code)


def current_provinces() -> list[ProvinceUnit]:
    """The 34 provinces since 1 July 2025, sorted by code."""
    return list(_provinces(Boundary.CURRENT).values())


# --- legacy map -------------------------------------------------------------------


def legacy_commune(code: str) -> Unit | None:
    """A pre-July-2025 commune; its `province_code` is the legacy province."""
    return _communes(Boundary.LEGACY).get(code)


def legacy_province(code: str) -> ProvinceUnit | None:
    return _provinces(Boundary.LEGACY).get(code)


def legacy_provinces() -> list[ProvinceUnit]:
    """The 63 provinces before 1 July 2025, sorted by code."""
    return list(_provinces(Boundary.LEGACY).values())


# --- between the maps -------------------------------------------------------------


def successors_of_legacy_commune(code: str) -> list[Unit]:
    """The current commune(s) a legacy commune became, sorted by code.

    One for most; several when it was split; empty when the package has no successor.
    Raises `UnknownUnit` when neither the legacy list nor the conversion table knows it.
    """
    successors = _successors(code)
    if not successors and code not in _communes(Boundary.LEGACY):
        raise UnknownUnit(code, Boundary.LEGACY)
    return list(successors)


def legacy_sources_of_commune(code: str) -> list[Unit]:
    """The legacy communes a current commune was formed from, sorted by code."""
    if not is_current_commune(code):
        raise UnknownUnit(code, Boundary.CURRENT)
    known = _communes(Boundary.LEGACY)
    ward = Ward.from_code(WardCode(int(code)))
    codes = {_ccode(w.code.value) for w in ward.get_legacy_sources()}
    return [known[c] for c in sorted(codes) if c in known]


def communes_of_province(province_code: str, boundary: Boundary) -> list[Unit]:
    """Communes of a province, both on the same map, sorted by code."""
    if province_code not in _provinces(boundary):
        raise UnknownUnit(province_code, boundary)
    return list(_communes_by_province(boundary).get(province_code, ()))


def legacy_provinces_of(current_province_code: str) -> list[ProvinceUnit]:
    """The legacy provinces merged into a current one, sorted by code."""
    if current_province(current_province_code) is None:
        raise UnknownUnit(current_province_code, Boundary.CURRENT)
    olds = _provinces(Boundary.LEGACY)
    mapping = _province_successor()
    return [unit for code, unit in olds.items() if mapping.get(code) == current_province_code]


def current_province_of_legacy_province(legacy_code: str) -> ProvinceUnit | None:
    new_code = _province_successor().get(legacy_code)
    return None if new_code is None else current_province(new_code)


# --- search -----------------------------------------------------------------------


def search_key(text: str) -> str:
    """Accent-insensitive key: "Nguyễn  Thị Đào" -> "nguyen thi dao"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.lower().split())


# --- finding communes by name -----------------------------------------------------

UNIT_KINDS = ("xa", "phuong", "thi tran", "dac khu")
"""The kinds a commune's name starts with, as search keys (*xã*, *phường*,
*thị trấn* on the legacy map, *đặc khu*)."""
MAX_QUERY_CHARS = 200
"""A longer query matches nothing (no name is that long): it is not even keyed."""


def bare_name_key(name: str) -> str:
    """The search key of a commune's name without its kind: "Phường Phước Hậu" and
    "xa phuoc hau" -> "phuoc hau". A name that is only a kind ("Xã") keeps it."""
    key = search_key(name)
    for kind in UNIT_KINDS:
        if key.startswith(kind + " "):
            return key[len(kind) + 1 :]
    return key


@cache
def _name_index(boundary: Boundary) -> tuple[tuple[Unit, str, str], ...]:
    """Every commune with its full and bare keys, sorted by code."""
    return tuple(
        (u, search_key(u.name), bare_name_key(u.name)) for u in _communes(boundary).values()
    )


def search_communes(
    query: str | None,
    boundary: Boundary,
    province_codes: frozenset[str] | set[str] | None = None,
) -> list[Unit]:
    """Communes whose name holds `query`, accents and case ignored ("phuoc hau",
    "PHƯỚC HẬU" and "Phước Hậu" all find "Phường Phước Hậu"), on one map, in the
    given provinces of that map (None: all), sorted by code. No query: all of them."""
    if query is not None and len(query) > MAX_QUERY_CHARS:
        return []
    key = search_key(query or "")
    return [
        unit
        for unit, full, _ in _name_index(boundary)
        if (province_codes is None or unit.province_code in province_codes) and key in full
    ]


def communes_named(
    name: str, boundary: Boundary, province_codes: frozenset[str] | set[str] | None = None
) -> list[Unit]:
    """Communes whose name is `name`, accents and case ignored, sorted by code. A name
    given with its kind ("Phường Phước Hậu") matches that kind only; without one
    ("Phước Hậu") it matches every kind."""
    if len(name) > MAX_QUERY_CHARS:
        return []
    full_key, bare = search_key(name), bare_name_key(name)
    with_kind = full_key != bare
    return [
        unit
        for unit, full, unit_bare in _name_index(boundary)
        if (province_codes is None or unit.province_code in province_codes)
        and bare
        and (full == full_key if with_kind else unit_bare == bare)
    ]
