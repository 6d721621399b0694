"""The board's seats and a club's composition (unit: no I/O)."""

from __future__ import annotations

from datetime import date

from ishc_contracts.registry_events import BoardPosition, PovertyStatus, Sex
from ishc_registry.domain import board, people

CHAIR, VICE, MEMBER = BoardPosition.CHAIR, BoardPosition.VICE_CHAIR, BoardPosition.MEMBER
FULL = [(CHAIR, "a"), (VICE, "b"), (MEMBER, "c"), (MEMBER, "d"), (MEMBER, "e")]


def test_a_full_board_is_complete_and_a_partial_one_is_not() -> None:
    assert board.is_complete(FULL)
    assert not board.is_complete(FULL[:4])
    assert not board.is_complete([])
    assert board.board_problems(FULL, {"a", "b", "c", "d", "e"}) == []


def test_every_reason_a_board_cannot_stand() -> None:
    seats = [*FULL, (CHAIR, "a")]
    assert board.board_problems(seats, {"a", "b", "c", "d"}) == [
        ("seats", "a board has at most 5 seats, 6 given"),
        ("seats", "at most 1 chair seat(s), 2 given"),
        ("seats[4].member_id", "not a current member of this club"),
        ("seats[5].member_id", "a member holds one seat at most"),
    ]


def person(**facts: object) -> people.Person:
    base: dict[str, object] = {
        "sex": Sex.FEMALE,
        "birth_year": 1950,
        "birth_date": None,
        "poverty_status": PovertyStatus.NONE,
        "is_volunteer": False,
        "ethnic_minority": False,
        "joined_on": date(2019, 1, 1),
    }
    return people.Person(**{**base, **facts})  # type: ignore[arg-type]


def test_composition_counts_who_is_a_member_on_the_day() -> None:
    club = [
        person(poverty_status=PovertyStatus.POOR, is_volunteer=True),
        person(sex=Sex.MALE, birth_year=1990, ethnic_minority=True),
        person(birth_date=date(1966, 3, 1), birth_year=1966, left_on=date(2026, 1, 1)),
        person(joined_on=date(2026, 6, 1), poverty_status=PovertyStatus.NEAR_POOR),
    ]
    seen = people.composition(club, date(2025, 12, 31), older_age=60)
    assert (seen.members, seen.women, seen.older, seen.younger) == (3, 2, 1, 2)
    assert (seen.poor, seen.near_poor, seen.volunteers, seen.ethnic_minority) == (1, 0, 1, 1)
    assert seen.poor_near_poor_or_disadvantaged == 1
    # Leaving on a day ends the membership that day; joining starts it.
    assert people.is_member_on(club[2], date(2025, 12, 31))
    assert not people.is_member_on(club[2], date(2026, 1, 1))
    assert people.is_member_on(club[3], date(2026, 6, 1))


def test_age_from_a_birth_date_turns_on_the_birthday_even_on_29_february() -> None:
    leap = person(birth_date=date(1964, 2, 29), birth_year=1964)
    assert people.composition([leap], date(2024, 2, 28), older_age=60).older == 0
    assert people.composition([leap], date(2024, 2, 29), older_age=60).older == 1
