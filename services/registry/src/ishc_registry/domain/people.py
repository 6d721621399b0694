"""Members' ages and a club's composition (pure rules, no I/O).

Many older rural members know only their birth year: age is exact from a birth
date, and `year(on) - birth_year` when only the year is known (DOMAIN.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from ishc_contracts.people import DEFAULT_OLDER_AGE, age_on
from ishc_contracts.registry_events import PovertyStatus, Sex
from ishc_registry.domain.messages import Reason

MAX_AGE = 120


@dataclass(frozen=True)
class Person:
    """The facts of a membership the rules need."""

    sex: Sex
    birth_year: int
    birth_date: date | None
    poverty_status: PovertyStatus
    is_volunteer: bool
    ethnic_minority: bool
    joined_on: date
    left_on: date | None = None


def birth_problems(
    birth_year: int | None, birth_date: date | None, today: date
) -> list[tuple[str, str]]:
    """(field, message) for a birth that cannot be: missing, future, over 120 years ago."""
    if birth_year is None and birth_date is None:
        return [("birth_year", Reason("give birth_year or birth_date", "birth_missing"))]
    problems: list[tuple[str, str]] = []
    old = f"more than {MAX_AGE} years ago"
    if birth_date is not None:
        if birth_year is not None and birth_year != birth_date.year:
            problems.append(
                (
                    "birth_year",
                    Reason(
                        "birth_year and birth_date disagree",
                        "birth_disagree",
                        year=birth_year,
                        date=birth_date,
                    ),
                )
            )
        if birth_date > today:
            problems.append(
                (
                    "birth_date",
                    Reason("birth_date is in the future", "birth_future", value=birth_date),
                )
            )
        elif birth_date.year < today.year - MAX_AGE:
            problems.append(
                (
                    "birth_date",
                    Reason(
                        f"birth_date is {old}", "birth_too_old", value=birth_date, max_age=MAX_AGE
                    ),
                )
            )
    elif birth_year is not None:
        if birth_year > today.year:
            problems.append(
                (
                    "birth_year",
                    Reason("birth_year is in the future", "birth_future", value=birth_year),
                )
            )
        elif birth_year < today.year - MAX_AGE:
            problems.append(
                (
                    "birth_year",
                    Reason(
                        f"birth_year is {old}", "birth_too_old", value=birth_year, max_age=MAX_AGE
                    ),
                )
            )
    return problems


def is_member_on(person: Person, on: date) -> bool:
    return person.joined_on <= on and (person.left_on is None or person.left_on > on)


@dataclass(frozen=True)
class Composition:
    """Who the club's members are on a date (counts, not people)."""

    on: date
    older_age: int
    members: int
    women: int
    older: int
    younger: int
    poor: int
    near_poor: int
    disadvantaged: int
    volunteers: int
    ethnic_minority: int

    @property
    def poor_near_poor_or_disadvantaged(self) -> int:
        return self.poor + self.near_poor + self.disadvantaged


def composition(
    people: Iterable[Person], on: date, older_age: int = DEFAULT_OLDER_AGE
) -> Composition:
    current = [p for p in people if is_member_on(p, on)]
    older = sum(1 for p in current if age_on(p.birth_year, p.birth_date, on) >= older_age)
    return Composition(
        on=on,
        older_age=older_age,
        members=len(current),
        women=sum(1 for p in current if p.sex is Sex.FEMALE),
        older=older,
        younger=len(current) - older,
        poor=sum(1 for p in current if p.poverty_status is PovertyStatus.POOR),
        near_poor=sum(1 for p in current if p.poverty_status is PovertyStatus.NEAR_POOR),
        disadvantaged=sum(1 for p in current if p.poverty_status is PovertyStatus.DISADVANTAGED),
        volunteers=sum(1 for p in current if p.is_volunteer),
        ethnic_minority=sum(1 for p in current if p.ethnic_minority),
    )
