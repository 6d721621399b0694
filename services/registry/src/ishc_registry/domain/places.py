"""Where a club is: its current commune, the legacy one it was registered with,
and the province both decide (pure lookups over the administrative units)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from ishc_platform import admin_units
from ishc_platform.admin_units import Boundary
from ishc_platform.validation import FieldError
from ishc_registry.domain.messages import Reason, short_province


@dataclass(frozen=True)
class Placement:
    commune_code: str
    legacy_commune_code: str | None
    province: str


def place(commune_code: str | None, legacy_commune_code: str | None) -> Placement:
    """The club's placement; a FieldError naming the field when it cannot be placed.

    A legacy code is mapped to its current unit and kept. When it was split, the
    current code must be given too and be one of its successors; when it has no
    successor, the current code must be given.
    """
    if legacy_commune_code is not None:
        try:
            successors = admin_units.successors_of_legacy_commune(legacy_commune_code)
        except admin_units.UnknownUnit:
            raise FieldError(
                "legacy_commune_code",
                Reason(
                    f"{legacy_commune_code} is not a commune code of the pre-July-2025 map",
                    "legacy_unknown",
                    code=legacy_commune_code,
                ),
            ) from None
        listed = [{"code": u.code, "name": u.name} for u in successors]
        if commune_code is None:
            if not successors:
                raise FieldError(
                    "commune_code",
                    Reason(
                        f"legacy commune {legacy_commune_code} has no successor on the current "
                        "map; give the current commune_code",
                        "legacy_no_successor",
                        code=legacy_commune_code,
                    ),
                )
            if len(successors) > 1:
                raise FieldError(
                    "commune_code",
                    Reason(
                        f"legacy commune {legacy_commune_code} was split; give the current "
                        "commune_code, one of its successors",
                        "legacy_split",
                        code=legacy_commune_code,
                        successors=listed,
                    ),
                    successors=listed,
                )
            commune_code = successors[0].code
        elif successors and commune_code not in {u.code for u in successors}:
            raise FieldError(
                "commune_code",
                Reason(
                    f"{commune_code} is not a successor of legacy commune {legacy_commune_code}",
                    "not_a_successor",
                    code=commune_code,
                    legacy=legacy_commune_code,
                    successors=listed,
                ),
                successors=listed,
            )
    if commune_code is None:
        raise FieldError(
            "commune_code",
            Reason("give commune_code (or legacy_commune_code)", "commune_missing"),
        )
    unit = admin_units.current_commune(commune_code)
    if unit is None:
        raise FieldError(
            "commune_code",
            Reason(
                f"{commune_code} is not a current commune code",
                "commune_unknown",
                code=commune_code,
            ),
        )
    return Placement(
        commune_code=unit.code, legacy_commune_code=legacy_commune_code, province=unit.province_code
    )


def commune_named(name: str, field: str, boundary: Boundary, provinces: Iterable[str]) -> str:
    """The code of the one commune called `name` in `provinces` (on `boundary`'s map),
    accents, case and the kind (*Xã*, *Phường*, *Thị trấn*, *Đặc khu*) optional; a
    FieldError naming `field`, with the candidates, when there is none or several.

    Typed accents decide between names that differ only by them (Lộc Thạnh and
    Lộc Thành of Đồng Nai); without accents both are candidates.
    """
    scope = frozenset(provinces)
    found = admin_units.communes_named(name, boundary, scope)
    if len(found) > 1:
        typed = _spelled(name)
        exact = [u for u in found if _spelled(u.name) == typed]
        found = exact if len(exact) == 1 else found
    if len(found) == 1:
        return found[0].code
    province_name = (
        admin_units.current_province
        if boundary is Boundary.CURRENT
        else admin_units.legacy_province
    )

    def province_of(code: str) -> str:
        unit = province_name(code)
        return short_province(unit.name) if unit else code

    if not found:
        where = ", ".join(province_of(code) for code in sorted(scope))
        raise FieldError(
            field,
            Reason(
                f"no commune named {name!r} in province(s) {', '.join(sorted(scope))}",
                "commune_name_unknown",
                name=name,
                where=where,
            ),
        )
    candidates = [
        {"code": u.code, "name": u.name, "province": province_of(u.province_code)} for u in found
    ]
    raise FieldError(
        field,
        Reason(
            f"{len(found)} communes are named {name!r}; give the code",
            "commune_name_ambiguous",
            name=name,
            candidates=candidates,
        ),
        candidates=candidates,
    )


def _spelled(name: str) -> str:
    """A name with its accents, without its kind, case and spacing ignored."""
    words = unicodedata.normalize("NFC", name).casefold().split()
    for kind in (["xã"], ["phường"], ["thị", "trấn"], ["đặc", "khu"]):
        if words[: len(kind)] == kind and len(words) > len(kind):
            return " ".join(words[len(kind) :])
    return " ".join(words)
