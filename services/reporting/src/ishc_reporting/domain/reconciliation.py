"""Reconciliation: a source service's tallies of each club against the same
tallies computed from reporting's projection of that service's events.

A tally is a named count or sum of a club (integers only, nothing personal); a
club one side does not list tallies zero there (finance and health list every
club they know, reporting only the clubs it has facts of). Two levels are
compared: each club, and each province (the sum of its clubs' tallies, each
club in the province its side places it in), so an operator sees both where a
difference is and how much it moves a province's figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

PLACEMENT_OWNER = "registry"
"""The service whose events place a club in its province: only its comparison
reports a club placed in another province (the others would repeat it)."""
UNPLACED = "??"
"""The province of a club reporting knows only by its records (its own events
never arrived)."""


@dataclass(frozen=True)
class ClubTally:
    club_id: str
    province: str | None
    counts: Mapping[str, int]


@dataclass(frozen=True)
class Difference:
    """One tally that differs: of a club (`club_id` set) or of a province (the
    sum of its clubs, `club_id` None). `province` is the source's (the
    projection's when only it has the club). For the tally `province` the
    values are the two provinces a club is placed in."""

    service: str
    level: str  # club | province
    club_id: str | None
    province: str | None
    tally: str
    source: int | str | None
    projected: int | str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Comparison:
    """One service's source against its projection."""

    service: str
    names: tuple[str, ...]
    clubs: int  # clubs compared: listed by either side
    source_totals: dict[str, int] = field(default_factory=dict)
    projected_totals: dict[str, int] = field(default_factory=dict)
    differences: tuple[Difference, ...] = ()


def compare(
    service: str,
    names: Sequence[str],
    source: Iterable[ClubTally],
    projected: Iterable[ClubTally],
) -> Comparison:
    """Every difference between `source` and `projected` for the tallies `names`,
    per club (in club id order) then per province (in code order)."""
    sources = {t.club_id: t for t in source}
    projections = {t.club_id: t for t in projected}
    differences: list[Difference] = []
    for club_id in sorted(sources.keys() | projections.keys()):
        mine, theirs = sources.get(club_id), projections.get(club_id)
        either = mine or theirs
        province = either.province if either is not None else None
        if (
            service == PLACEMENT_OWNER
            and mine is not None
            and theirs is not None
            and mine.province != theirs.province
        ):
            differences.append(
                Difference(
                    service, "club", club_id, province, "province", mine.province, theirs.province
                )
            )
        for name in names:
            a, b = _value(mine, name), _value(theirs, name)
            if a != b:
                differences.append(Difference(service, "club", club_id, province, name, a, b))
    by_source = _by_province(sources.values(), names)
    by_projection = _by_province(projections.values(), names)
    for province in sorted(by_source.keys() | by_projection.keys()):
        for name in names:
            a = by_source.get(province, {}).get(name, 0)
            b = by_projection.get(province, {}).get(name, 0)
            if a != b:
                differences.append(Difference(service, "province", None, province, name, a, b))
    return Comparison(
        service=service,
        names=tuple(names),
        clubs=len(sources.keys() | projections.keys()),
        source_totals=_totals(sources.values(), names),
        projected_totals=_totals(projections.values(), names),
        differences=tuple(differences),
    )


def _value(tally: ClubTally | None, name: str) -> int:
    return 0 if tally is None else int(tally.counts.get(name, 0))


def _by_province(tallies: Iterable[ClubTally], names: Sequence[str]) -> dict[str, dict[str, int]]:
    sums: dict[str, dict[str, int]] = {}
    for t in tallies:
        into = sums.setdefault(t.province or UNPLACED, dict.fromkeys(names, 0))
        for name in names:
            into[name] += _value(t, name)
    return sums


def _totals(tallies: Iterable[ClubTally], names: Sequence[str]) -> dict[str, int]:
    totals = dict.fromkeys(names, 0)
    for t in tallies:
        for name in names:
            totals[name] += _value(t, name)
    return totals
