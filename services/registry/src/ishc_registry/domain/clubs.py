"""Rules of a club's life: its dates, what a change may empty, when it can be
dissolved and where it can move (pure: the service looks the facts up)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ishc_registry.domain.messages import Reason

Fault = tuple[str, str]
"""(field, message): why a value cannot be taken."""

REQUIRED_CLUB_FIELDS = ("name", "founded_on")


def not_in_future(on: date, field: str, today: date) -> list[Fault]:
    if on > today:
        return [(field, Reason(f"{field} is in the future", "in_future", value=on, today=today))]
    return []


def happened_problems(
    on: date, field: str, *, founded_on: date, dissolved_on: date | None, today: date
) -> list[Fault]:
    """Something the club did (a meeting, an activity) happened in its lifetime,
    and not in the future: the first reason it could not have."""
    if on > today:
        return [(field, f"{field} is in the future")]
    if on < founded_on:
        return [(field, f"{field} is before the club was founded")]
    if dissolved_on is not None and on > dissolved_on:
        return [(field, f"{field} is after the club was dissolved")]
    return []


def hardship_problems(chosen: int, supported: int) -> list[Fault]:
    """A meeting supports at most the hardship cases it chose."""
    if supported > chosen:
        return [("hardship_cases_supported", "more cases supported than chosen")]
    return []


def emptied_problems(changes: Mapping[str, Any], required: Iterable[str]) -> list[Fault]:
    """The first required field a partial change tries to empty."""
    for field in required:
        if field in changes and changes[field] is None:
            return [(field, f"{field} cannot be emptied")]
    return []


def club_change_problems(changes: Mapping[str, Any], today: date) -> list[Fault]:
    """Why a partial change of a club cannot be taken (the first reason)."""
    problems = emptied_problems(changes, REQUIRED_CLUB_FIELDS)
    if not problems and "founded_on" in changes:
        problems = not_in_future(changes["founded_on"], "founded_on", today)
    return problems


def dissolution_problems(on: date, *, founded_on: date, today: date) -> list[Fault]:
    """Why a club founded on `founded_on` cannot be dissolved on `on` (the first reason).
    Members who joined after `on` are `late_joiners_problem`."""
    if on > today:
        return [("dissolved_on", "dissolved_on is in the future")]
    if on < founded_on:
        return [("dissolved_on", "dissolved_on is before the club was founded")]
    return []


LATE_JOINERS = "some active members joined after dissolved_on: record their departure first"


def dissolved_message(dissolved_on: date) -> str:
    return Reason(
        f"the club was dissolved on {dissolved_on}", "club_dissolved", dissolved_on=dissolved_on
    )


@dataclass(frozen=True)
class KeyClash:
    """A member of a moving club whose person is already active in the province."""

    member_id: str
    external_id: str
    holder_id: str
    holder_club_id: str


def relocation_clash_errors(clashes: Iterable[KeyClash], province: str) -> list[dict[str, Any]]:
    """The field errors of the members a relocation to `province` would make
    active twice there (one active membership per person and province)."""
    return [
        {
            "field": "external_id",
            "message": f"person {c.external_id!r} is already an active member of a club "
            f"in province {province}",
            "member_id": c.member_id,
            "conflicting_member_id": c.holder_id,
            "conflicting_club_id": c.holder_club_id,
        }
        for c in clashes
    ]


def taken_key_errors(
    kind: str, taken: Iterable[tuple[str, str, str]], province: str
) -> list[dict[str, Any]]:
    """The field errors of the club's `kind` records (`meeting`, `activity`) whose
    key another record holds in `province`: (record id, key, holder id)."""
    return [
        {
            "field": "external_id",
            "message": f"{kind} external_id {key!r} is taken in province {province}",
            f"{kind}_id": record_id,
            "existing_id": holder_id,
        }
        for record_id, key, holder_id in taken
    ]


def relocation_refused(errors: list[dict[str, Any]], province: str) -> str:
    return f"the club cannot move to province {province}: {len(errors)} key(s) are taken there"
