"""Who can join a club, change a membership or leave it (unit: no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from ishc_registry.domain import members as rules

TODAY = date(2025, 12, 31)


@dataclass(frozen=True)
class Joining:
    birth_year: int | None
    birth_date: date | None
    joined_on: date


def test_a_person_with_good_dates_can_join_an_active_club() -> None:
    assert rules.member_problems(Joining(1952, None, date(2019, 1, 10)), None, TODAY) == []
    assert rules.member_problems(Joining(None, date(1952, 2, 29), TODAY), None, TODAY) == []


@pytest.mark.parametrize(
    ("person", "dissolved_on", "expected"),
    [
        (Joining(None, None, TODAY), None, [("birth_year", "give birth_year or birth_date")]),
        (
            Joining(1952, None, date(2026, 1, 1)),
            None,
            [("joined_on", "joined_on is in the future")],
        ),
        (
            Joining(2000, None, date(1999, 12, 31)),
            None,
            [("joined_on", "joined_on is before the member was born")],
        ),
        (
            Joining(1951, date(1952, 7, 1), date(2019, 1, 1)),
            None,
            [("birth_year", "birth_year and birth_date disagree")],
        ),
        (
            Joining(1952, None, date(2019, 1, 1)),
            date(2024, 5, 1),
            [("club_id", "the club was dissolved on 2024-05-01")],
        ),
        (
            Joining(2026, None, date(2026, 1, 1)),
            None,
            [
                ("birth_year", "birth_year is in the future"),
                ("joined_on", "joined_on is in the future"),
            ],
        ),
    ],
)
def test_every_reason_a_person_cannot_join(
    person: Joining, dissolved_on: date | None, expected: list[tuple[str, str]]
) -> None:
    assert rules.member_problems(person, dissolved_on, TODAY) == expected


def test_the_birth_date_decides_the_year() -> None:
    assert rules.birth_year_of(Joining(None, date(1950, 12, 31), TODAY)) == 1950
    assert rules.birth_year_of(Joining(1949, None, TODAY)) == 1949


def test_a_change_keeps_joining_before_leaving_and_ignores_dissolution() -> None:
    person = Joining(1952, None, date(2024, 6, 2))
    assert rules.member_change_problems(person, date(2024, 6, 1), TODAY) == [
        ("joined_on", "joined_on is after left_on")
    ]
    assert rules.member_change_problems(person, None, TODAY) == []


def test_a_partial_change_merges_and_a_new_birth_date_drops_the_year() -> None:
    current = {"full_name": "A", "birth_year": 1950, "birth_date": None}
    assert rules.merged_member(current, {"birth_date": date(1951, 3, 3)}) == {
        "full_name": "A",
        "birth_year": None,
        "birth_date": date(1951, 3, 3),
    }
    both = {"birth_date": date(1951, 3, 3), "birth_year": 1951}
    assert rules.merged_member(current, both)["birth_year"] == 1951
    assert rules.merged_member(current, {"birth_date": None})["birth_year"] == 1950


def test_required_fields_cannot_be_emptied() -> None:
    assert rules.emptied_member_problems({"birth_date": None, "external_id": None}) == []
    assert rules.emptied_member_problems({"sex": None, "full_name": None}) == [
        ("full_name", "full_name cannot be emptied")
    ]


@pytest.mark.parametrize(
    ("left_on", "expected"),
    [
        (date(2019, 1, 10), []),
        (TODAY, []),
        (date(2019, 1, 9), [("left_on", "left_on is before joined_on")]),
        (date(2026, 1, 1), [("left_on", "left_on is in the future")]),
    ],
)
def test_leaving_dates(left_on: date, expected: list[tuple[str, str]]) -> None:
    assert rules.leaving_problems(left_on, date(2019, 1, 10), TODAY) == expected
