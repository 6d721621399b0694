"""Rules of a membership: who can join a club, when one can end, and what a
partial change may empty (pure: plain values in, (field, message) out)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Protocol

from ishc_registry.domain.clubs import Fault, dissolved_message, emptied_problems, not_in_future
from ishc_registry.domain.messages import Reason
from ishc_registry.domain.people import birth_problems

REQUIRED_MEMBER_FIELDS = (
    "full_name",
    "sex",
    "poverty_status",
    "joined_on",
    "ethnic_minority",
    "is_volunteer",
)
"""Fields a partial change may not empty (birth_year and birth_date replace each other)."""


class Joining(Protocol):
    """The dates of a person joining a club (a `schemas.MemberIn` has them). An
    import checks a row whose joining date could not be read: then `joined_on`
    is None and the rules that need it wait for a readable date."""

    @property
    def birth_year(self) -> int | None: ...
    @property
    def birth_date(self) -> date | None: ...
    @property
    def joined_on(self) -> date | None: ...


def birth_year_of(person: Joining) -> int | None:
    """The year of birth: the birth date's when it is known."""
    return person.birth_date.year if person.birth_date else person.birth_year


def member_problems(person: Joining, club_dissolved_on: date | None, today: date) -> list[Fault]:
    """Why this person cannot join this club (every reason); empty when they can."""
    problems = birth_problems(person.birth_year, person.birth_date, today)
    joined_on = person.joined_on
    if joined_on is not None:
        problems.extend(not_in_future(joined_on, "joined_on", today))
        birth_year = birth_year_of(person)
        if birth_year is not None and joined_on.year < birth_year:
            problems.append(
                (
                    "joined_on",
                    Reason(
                        "joined_on is before the member was born",
                        "joined_before_born",
                        joined_on=joined_on,
                        birth_year=birth_year,
                    ),
                )
            )
    if club_dissolved_on is not None:
        problems.append(("club_id", dissolved_message(club_dissolved_on)))
    return problems


def member_change_problems(person: Joining, left_on: date | None, today: date) -> list[Fault]:
    """Why a member's record, changed to `person`, cannot stand: the rules of
    joining, except the club's dissolution, and no joining after leaving."""
    problems = [p for p in member_problems(person, None, today) if p[0] != "club_id"]
    if left_on is not None and person.joined_on is not None and person.joined_on > left_on:
        problems.append(("joined_on", "joined_on is after left_on"))
    return problems


def emptied_member_problems(changes: Mapping[str, Any]) -> list[Fault]:
    return emptied_problems(changes, REQUIRED_MEMBER_FIELDS)


def merged_member(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """The member's fields after a partial change. A new birth date without a
    birth year drops the stored year, which the date then decides."""
    drop_year = (
        "birth_date" in changes
        and "birth_year" not in changes
        and changes["birth_date"] is not None
    )
    return {**current, **changes, **({"birth_year": None} if drop_year else {})}


def leaving_problems(left_on: date, joined_on: date, today: date) -> list[Fault]:
    """Why a membership that began on `joined_on` cannot end on `left_on` (the first reason)."""
    if left_on < joined_on:
        return [("left_on", "left_on is before joined_on")]
    return [("left_on", "left_on is in the future")] if left_on > today else []
