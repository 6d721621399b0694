"""The rules of a club's health activities and of insurance, without I/O: dates in
the club's life, sessions a week over the weeks a club was active (founded or
dissolved mid-period, 29/02, month ends), who may visit whom, and BHYT cards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from ishc_contracts.health_events import Beneficiary, CareTask
from ishc_health.domain import activities as rules
from ishc_health.domain import insurance
from ishc_platform.validation import FieldError

CLUB = "club-a"
TODAY = date(2026, 12, 1)


@dataclass(frozen=True)
class Member:
    member_id: str
    club_id: str = CLUB
    joined_on: date | None = date(2019, 1, 10)
    left_on: date | None = None
    is_volunteer: bool = False


def field_of(error: pytest.ExceptionInfo[FieldError]) -> str:
    return error.value.field


# -- dates in the club's life ----------------------------------------------------------


def test_a_date_lies_in_the_clubs_life_up_to_today() -> None:
    founded, dissolved = date(2018, 3, 15), date(2026, 6, 30)
    for fine in (founded, dissolved, date(2024, 2, 29)):
        rules.check_club_date(
            fine, "held_on", today=TODAY, founded_on=founded, dissolved_on=dissolved
        )
    rules.check_club_date(TODAY, "held_on", today=TODAY, founded_on=founded, dissolved_on=None)
    cases = [
        (date(2026, 12, 2), None, "in the future (today is 01/12/2026)"),
        (date(2018, 3, 14), None, "before the club was founded on 15/03/2018"),
        (date(2026, 7, 1), dissolved, "after the club was dissolved on 30/06/2026"),
    ]
    for on, dissolved_on, words in cases:
        with pytest.raises(FieldError) as error:
            rules.check_club_date(
                on, "visited_on", today=TODAY, founded_on=founded, dissolved_on=dissolved_on
            )
        assert field_of(error) == "visited_on"
        assert words in error.value.message


def test_a_member_is_active_from_joining_to_the_day_before_leaving() -> None:
    member = Member("m", joined_on=date(2024, 2, 29), left_on=date(2026, 3, 1))
    assert not rules.active_on(member, date(2024, 2, 28))
    assert rules.active_on(member, date(2024, 2, 29))
    assert rules.active_on(member, date(2026, 2, 28))
    assert not rules.active_on(member, date(2026, 3, 1))
    assert rules.active_on(Member("m", joined_on=None), date(1950, 1, 1))


def test_participants_are_at_most_the_active_members_of_the_day() -> None:
    members = [
        Member("a"),
        Member("b", joined_on=date(2026, 11, 30)),
        Member("c", left_on=date(2026, 11, 30)),
    ]
    assert rules.active_members_on(members, date(2026, 11, 29)) == 2  # a, c
    assert rules.active_members_on(members, date(2026, 11, 30)) == 2  # a, b
    rules.check_participants(2, 2, date(2026, 11, 30))
    with pytest.raises(FieldError) as error:
        rules.check_participants(3, 2, date(2026, 11, 30))
    assert field_of(error) == "participants"
    assert error.value.extra == {"active_members": 2}
    assert "2 active members on 30/11/2026" in error.value.message


# -- sessions a week over the weeks active ---------------------------------------------


def rate(
    sessions: list[date],
    date_from: date,
    date_to: date,
    founded_on: date | None = date(2018, 3, 15),
    dissolved_on: date | None = None,
    today: date = TODAY,
) -> rules.ExerciseRate:
    return rules.exercise_rate(
        [(on, 20) for on in sessions],
        date_from,
        date_to,
        founded_on=founded_on,
        dissolved_on=dissolved_on,
        today=today,
    )


def days(start: date, count: int, step: int = 1) -> list[date]:
    return [date.fromordinal(start.toordinal() + i * step) for i in range(count)]


def test_three_a_week_over_four_whole_weeks_meets_the_rule() -> None:
    found = rate(days(date(2026, 11, 2), 12, 2), date(2026, 11, 2), date(2026, 11, 29))
    assert (found.sessions, found.participants, found.days_active) == (12, 240, 28)
    assert found.weeks_active == 4 and found.per_week == 3 and found.meets_rule is True
    short = rate(days(date(2026, 11, 2), 11, 2), date(2026, 11, 2), date(2026, 11, 29))
    assert short.per_week == Fraction(11, 4) and short.meets_rule is False


def test_a_club_founded_mid_period_is_judged_on_its_weeks_only() -> None:
    # November has 30 days; founded on the 17th: 14 days, 2 weeks, 6 sessions.
    found = rate(
        days(date(2026, 11, 17), 6, 2),
        date(2026, 11, 1),
        date(2026, 11, 30),
        founded_on=date(2026, 11, 17),
    )
    assert (found.active_from, found.active_to) == (date(2026, 11, 17), date(2026, 11, 30))
    assert found.days_active == 14 and found.per_week == 3 and found.meets_rule is True
    # Over the whole month the same 6 sessions would be 1.4 a week.
    assert rate(days(date(2026, 11, 17), 6, 2), date(2026, 11, 1), date(2026, 11, 30)).per_week == (
        Fraction(7, 5)
    )


def test_a_club_dissolved_mid_period_counts_up_to_its_dissolution_day() -> None:
    sessions = [*days(date(2026, 6, 17), 6, 2), date(2026, 7, 2)]  # the last one after
    found = rate(sessions, date(2026, 6, 1), date(2026, 7, 31), dissolved_on=date(2026, 6, 30))
    assert (found.active_from, found.active_to) == (date(2026, 6, 1), date(2026, 6, 30))
    assert found.sessions == 6 and found.days_active == 30
    assert found.per_week == Fraction(42, 30) and found.meets_rule is False


def test_a_period_past_today_counts_the_days_that_have_passed() -> None:
    found = rate(days(date(2026, 11, 25), 3, 2), date(2026, 11, 25), date(2026, 12, 31))
    assert found.active_to == TODAY and found.days_active == 7
    assert found.per_week == 3 and found.meets_rule is True


def test_a_club_not_active_in_the_period_has_no_rate() -> None:
    before = rate([], date(2017, 1, 1), date(2017, 12, 31))
    assert before.days_active == 0 and before.active_from is None
    assert before.per_week is None and before.meets_rule is None
    later = rate([], date(2027, 1, 1), date(2027, 1, 31))
    assert later.days_active == 0 and later.meets_rule is None
    dissolved = rate([], date(2026, 7, 1), date(2026, 7, 31), dissolved_on=date(2026, 6, 30))
    assert dissolved.days_active == 0


def test_february_of_a_leap_year_has_29_days() -> None:
    start, end = date(2024, 2, 1), date(2024, 2, 29)
    met = rate(days(start, 13, 2), start, end)
    assert met.days_active == 29 and met.per_week == Fraction(91, 29) and met.meets_rule
    missed = rate(days(start, 12, 2), start, end)
    assert missed.per_week == Fraction(84, 29) and missed.meets_rule is False
    # 28 days in 2026: 12 sessions are exactly 3 a week.
    assert rate(days(date(2026, 2, 1), 12, 2), date(2026, 2, 1), date(2026, 2, 28)).per_week == 3


def test_month_ends_and_a_single_day() -> None:
    # 31/01 to 28/02/2026: 29 days.
    found = rate(days(date(2026, 1, 31), 13, 2), date(2026, 1, 31), date(2026, 2, 28))
    assert found.days_active == 29 and found.sessions == 13
    one = rate([date(2026, 3, 31)], date(2026, 3, 31), date(2026, 3, 31))
    assert one.days_active == 1 and one.per_week == 7 and one.meets_rule


def test_the_rule_is_decided_on_the_exact_ratio_not_the_rounded_one() -> None:
    # 128 sessions over 299 days: 2.9967 a week, shown as 3.00, and not met.
    start = date(2025, 1, 1)
    found = rate(days(start, 128), start, date.fromordinal(start.toordinal() + 298))
    assert found.days_active == 299
    assert rules.two_places(found.per_week or Fraction(0)) == Decimal("3.00")
    assert found.meets_rule is False


def test_ratios_are_shown_with_two_decimals_half_up() -> None:
    assert rules.two_places(Fraction(20, 7)) == Decimal("2.86")
    assert rules.two_places(Fraction(3)) == Decimal("3.00")
    assert rules.two_places(Fraction(1, 8)) == Decimal("0.13")
    assert str(rules.two_places(Fraction(30, 7))) == "4.29"


def test_the_default_period_is_the_twelve_months_ending_on_to() -> None:
    assert rules.default_period(None, None, TODAY) == (date(2025, 12, 2), TODAY)
    assert rules.default_period(date(2024, 2, 29), None, TODAY) == (
        date(2023, 3, 1),
        date(2024, 2, 29),
    )
    assert rules.default_period(date(2025, 2, 28), None, TODAY) == (
        date(2024, 2, 29),
        date(2025, 2, 28),
    )
    assert rules.default_period(date(2026, 3, 31), None, TODAY) == (
        date(2025, 4, 1),
        date(2026, 3, 31),
    )
    assert rules.default_period(None, date(2026, 11, 1), TODAY) == (date(2026, 11, 1), TODAY)
    with pytest.raises(FieldError) as error:
        rules.default_period(date(2026, 1, 31), date(2026, 2, 1), TODAY)
    assert field_of(error) == "from"


# -- home-care visits ------------------------------------------------------------------

VISIT_DAY = date(2026, 11, 28)


def test_only_a_volunteer_of_the_club_active_that_day_visits() -> None:
    rules.check_volunteer(Member("v", is_volunteer=True), CLUB, VISIT_DAY)
    refused = [
        (None, "not a member of this club"),
        (Member("v", club_id="club-b", is_volunteer=True), "not a member of this club"),
        (Member("v"), "not a home-care volunteer"),
        (
            Member("v", is_volunteer=True, left_on=VISIT_DAY),
            "was not a member of the club on 28/11/2026",
        ),
        (
            Member("v", is_volunteer=True, joined_on=date(2026, 11, 29)),
            "was not a member of the club on 28/11/2026",
        ),
    ]
    for volunteer, words in refused:
        with pytest.raises(FieldError) as error:
            rules.check_volunteer(volunteer, CLUB, VISIT_DAY)
        assert field_of(error) == "volunteer_id"
        assert words in error.value.message


def test_a_member_cared_for_is_another_member_of_the_club_that_day() -> None:
    rules.check_member_beneficiary(Member("b"), CLUB, VISIT_DAY, "v")
    refused = [
        (None, "not a member of this club"),
        (Member("b", club_id="club-b"), "not a member of this club"),
        (Member("v", is_volunteer=True), "does not visit themself"),
        (Member("b", left_on=date(2026, 11, 1)), "not a member on 28/11/2026"),
    ]
    for member, words in refused:
        with pytest.raises(FieldError) as error:
            rules.check_member_beneficiary(member, CLUB, VISIT_DAY, "v")
        assert field_of(error) == "beneficiary_member_id"
        assert words in error.value.message


def test_the_beneficiarys_fields_match_its_kind() -> None:
    member, community = Beneficiary.MEMBER, Beneficiary.COMMUNITY
    fine = [
        (member, "m", False, None),
        (community, None, True, None),
        (community, None, False, "p"),
    ]
    for kind, member_id, new, known in fine:
        rules.check_beneficiary_fields(
            kind, member_id=member_id, community_person_given=new, community_person_id=known
        )
    refused = [
        (member, None, False, None, "beneficiary_member_id"),
        (member, "m", True, None, "community_person"),
        (member, "m", False, "p", "community_person_id"),
        (community, "m", True, None, "beneficiary_member_id"),
        (community, None, True, "p", "community_person_id"),
        (community, None, False, None, "community_person"),
    ]
    for kind, member_id, new, known, field in refused:
        with pytest.raises(FieldError) as error:
            rules.check_beneficiary_fields(
                kind, member_id=member_id, community_person_given=new, community_person_id=known
            )
        assert field_of(error) == field, (kind, member_id, new, known)


def test_tasks_are_kept_once_each_in_their_order() -> None:
    done = [CareTask.COOKING, CareTask.TALKING, CareTask.COOKING]
    assert rules.distinct_tasks(done) == [CareTask.TALKING, CareTask.COOKING]
    with pytest.raises(FieldError) as error:
        rules.distinct_tasks([])
    assert field_of(error) == "tasks"
    assert rules.parse_tasks("talking,clinic") == (CareTask.TALKING, CareTask.CLINIC)


def test_a_standing_consent_covers_the_scope_today() -> None:
    given = date(2026, 1, 5)
    assert rules.standing_consent([(given, None, "health_checks,home_care")], "home_care", TODAY)
    assert not rules.standing_consent([(given, None, "health_checks")], "home_care", TODAY)
    assert not rules.standing_consent([(given, TODAY, "home_care")], "home_care", TODAY)
    assert rules.standing_consent([(given, date(2026, 12, 2), "home_care")], "home_care", TODAY)
    assert not rules.standing_consent([(date(2026, 12, 2), None, "home_care")], "home_care", TODAY)
    assert not rules.standing_consent([(given, None, "home_care_extra")], "home_care", TODAY)
    assert rules.standing_consent(
        [(given, date(2026, 3, 1), "home_care"), (date(2026, 4, 1), None, "home_care")],
        "home_care",
        TODAY,
    )


def test_visit_counts_count_each_person_once() -> None:
    visit = rules.VisitFacts
    counted = rules.visit_counts(
        [
            visit(Beneficiary.MEMBER, "m1", "v1", (CareTask.TALKING, CareTask.COOKING)),
            visit(Beneficiary.MEMBER, "m1", "v2", (CareTask.TALKING,)),
            visit(Beneficiary.COMMUNITY, "p1", "v1", (CareTask.CLINIC,)),
        ]
    )
    assert (counted.visits, counted.people_cared_for, counted.volunteers) == (3, 2, 2)
    assert (counted.members_cared_for, counted.community_people_cared_for) == (1, 1)
    assert counted.by_task == {
        CareTask.TALKING: 2,
        CareTask.COOKING: 1,
        CareTask.LAUNDRY: 0,
        CareTask.HOUSEWORK: 0,
        CareTask.CLINIC: 1,
        CareTask.OTHER: 0,
    }
    empty = rules.visit_counts([])
    assert empty.visits == 0 and empty.people_cared_for == 0 and set(empty.by_task.values()) == {0}


# -- insurance (BHYT) ------------------------------------------------------------------


def test_a_card_number_is_two_letters_and_thirteen_digits() -> None:
    assert insurance.card_number("HT2797924000123") == "HT2797924000123"
    assert insurance.card_number("ht 2 79 7924000123") == "HT2797924000123"
    for bad in ("HT279792400012", "HT27979240001234", "H32797924000123", "HT279792400012X", ""):
        with pytest.raises(ValueError) as error:
            insurance.card_number(bad)
        message = str(error.value)
        assert "15 characters" in message
        assert not bad or bad.upper() not in message.upper()  # the number is never echoed


def test_a_card_is_answered_masked() -> None:
    assert insurance.masked("HT2797924000123") == "HT2•••••••••123"
    assert len(insurance.masked("HT2797924000123")) == 15


def test_periods_cover_both_ends_and_must_not_overlap() -> None:
    year = insurance.check_period(date(2026, 1, 1), date(2026, 12, 31))
    assert year.covers(date(2026, 1, 1)) and year.covers(date(2026, 12, 31))
    assert not year.covers(date(2027, 1, 1))
    with pytest.raises(FieldError) as error:
        insurance.check_period(date(2026, 3, 1), date(2026, 2, 28))
    assert field_of(error) == "valid_to"
    insurance.check_period(date(2024, 2, 29), date(2024, 2, 29))
    held = [("a", year)]
    renewal = insurance.Period(date(2027, 1, 1), date(2027, 12, 31))
    assert insurance.overlapping(renewal, held) is None
    clash = insurance.Period(date(2026, 12, 31), date(2027, 12, 30))
    assert insurance.overlapping(clash, held) == ("a", year)
    assert insurance.covered_on([year, renewal], date(2027, 6, 1))
    assert not insurance.covered_on([year], date(2025, 12, 31))
