"""A club's dates, changes, dissolution and relocation clashes (unit: no I/O)."""

from __future__ import annotations

from datetime import date

import pytest

from ishc_platform.validation import FieldError
from ishc_registry.domain import clubs as rules
from ishc_registry.domain.places import place

TODAY = date(2026, 2, 28)
FOUNDED = date(2018, 3, 15)


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2025, 5, 31), []),
        (date(2026, 3, 1), [("held_on", "held_on is in the future")]),
        (date(2018, 3, 14), [("held_on", "held_on is before the club was founded")]),
        (FOUNDED, []),
        (date(2025, 6, 2), [("held_on", "held_on is after the club was dissolved")]),
        (date(2025, 6, 1), []),  # the day of dissolution still counts
    ],
)
def test_what_a_club_did_happened_in_its_lifetime(
    on: date, expected: list[tuple[str, str]]
) -> None:
    assert (
        rules.happened_problems(
            on, "held_on", founded_on=FOUNDED, dissolved_on=date(2025, 6, 1), today=TODAY
        )
        == expected
    )


def test_today_has_happened() -> None:
    assert (
        rules.happened_problems(
            TODAY, "held_on", founded_on=FOUNDED, dissolved_on=None, today=TODAY
        )
        == []
    )


def test_the_future_comes_first_when_several_rules_fail() -> None:
    assert rules.happened_problems(
        date(2027, 1, 1), "held_on", founded_on=date(2028, 1, 1), dissolved_on=None, today=TODAY
    ) == [("held_on", "held_on is in the future")]


def test_dates_at_year_and_leap_day_boundaries() -> None:
    assert rules.not_in_future(date(2024, 2, 29), "founded_on", date(2024, 2, 29)) == []
    assert rules.not_in_future(date(2025, 1, 1), "founded_on", date(2024, 12, 31)) == [
        ("founded_on", "founded_on is in the future")
    ]


def test_a_change_cannot_empty_a_required_field_or_found_in_the_future() -> None:
    assert rules.club_change_problems({"hamlet": None}, TODAY) == []
    assert rules.club_change_problems({"name": None, "founded_on": None}, TODAY) == [
        ("name", "name cannot be emptied")
    ]
    assert rules.club_change_problems({"founded_on": date(2026, 3, 1)}, TODAY) == [
        ("founded_on", "founded_on is in the future")
    ]
    assert rules.club_change_problems({"founded_on": TODAY, "name": "CLB"}, TODAY) == []


def test_dissolution_dates() -> None:
    assert rules.dissolution_problems(TODAY, founded_on=FOUNDED, today=TODAY) == []
    assert rules.dissolution_problems(date(2026, 3, 1), founded_on=FOUNDED, today=TODAY) == [
        ("dissolved_on", "dissolved_on is in the future")
    ]
    assert rules.dissolution_problems(date(2017, 1, 1), founded_on=FOUNDED, today=TODAY) == [
        ("dissolved_on", "dissolved_on is before the club was founded")
    ]
    assert rules.dissolved_message(date(2025, 6, 1)) == "the club was dissolved on 2025-06-01"


def test_relocation_clashes_name_both_memberships_and_the_taken_records() -> None:
    clash = rules.KeyClash("m-1", "P-1", "m-9", "c-9")
    errors = rules.relocation_clash_errors([clash], "75")
    errors += rules.taken_key_errors("meeting", [("mt-1", "MT-1", "mt-9")], "75")
    assert errors == [
        {
            "field": "external_id",
            "message": "person 'P-1' is already an active member of a club in province 75",
            "member_id": "m-1",
            "conflicting_member_id": "m-9",
            "conflicting_club_id": "c-9",
        },
        {
            "field": "external_id",
            "message": "meeting external_id 'MT-1' is taken in province 75",
            "meeting_id": "mt-1",
            "existing_id": "mt-9",
        },
    ]
    assert rules.relocation_refused(errors, "75") == (
        "the club cannot move to province 75: 2 key(s) are taken there"
    )


def test_placement_by_current_or_legacy_commune() -> None:
    current = place("29623", None)  # Xã Nhơn Phú, Vĩnh Long
    assert (current.commune_code, current.province) == ("29623", "86")
    moved = place("29770", "29764")  # a split legacy commune and one of its successors
    assert (moved.legacy_commune_code, moved.province) == ("29764", "86")
    with pytest.raises(FieldError) as split:
        place(None, "29764")
    assert split.value.field == "commune_code" and split.value.extra["successors"]
    with pytest.raises(FieldError) as unknown:
        place("99999", None)
    assert unknown.value.field == "commune_code"
    with pytest.raises(FieldError) as missing:
        place(None, None)
    assert missing.value.message == "give commune_code (or legacy_commune_code)"


def test_a_meeting_supports_at_most_the_cases_it_chose() -> None:
    assert rules.hardship_problems(2, 2) == []
    assert rules.hardship_problems(2, 3) == [
        ("hardship_cases_supported", "more cases supported than chosen")
    ]
