"""Where a club is: its current commune, the legacy one it was registered with,
and the province both decide (pure lookups over the administrative units)."""

from __future__ import annotations

from dataclasses import dataclass

from ishc_platform import admin_units
from ishc_platform.validation import FieldError


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
                f"{legacy_commune_code} is not a commune code of the pre-July-2025 map",
            ) from None
        listed = [{"code": u.code, "name": u.name} for u in successors]
        if commune_code is None:
            if not successors:
                raise FieldError(
                    "commune_code",
                    f"legacy commune {legacy_commune_code} has no successor on the current map; "
                    "give the current commune_code",
                )
            if len(successors) > 1:
                raise FieldError(
                    "commune_code",
                    f"legacy commune {legacy_commune_code} was split; give the current "
                    "commune_code, one of its successors",
                    successors=listed,
                )
            commune_code = successors[0].code
        elif successors and commune_code not in {u.code for u in successors}:
            raise FieldError(
                "commune_code",
                f"{commune_code} is not a successor of legacy commune {legacy_commune_code}",
                successors=listed,
            )
    if commune_code is None:
        raise FieldError("commune_code", "give commune_code (or legacy_commune_code)")
    unit = admin_units.current_commune(commune_code)
    if unit is None:
        raise FieldError("commune_code", f"{commune_code} is not a current commune code")
    return Placement(
        commune_code=unit.code, legacy_commune_code=legacy_commune_code, province=unit.province_code
    )
