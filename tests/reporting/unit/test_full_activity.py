"""Activity areas over the last 12 months, well managed, full activity, and the
priority counts (meetings that chose a hardship case, poor older women, older
women among the new members, ethnic-minority members), on hand-worked cases
(no database, no broker)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ishc_contracts.registry_events import ActivityArea
from ishc_reporting.domain.finance import ClubFinance
from ishc_reporting.domain.indicators import (
    ALL_AREAS,
    ClubFacts,
    Proxy,
    chose_hardship_case,
    in_twelve_months,
    judge,
    months_required,
    roll_up,
    twelve_month_areas,
    twelve_months_start,
)
from ishc_reporting.schemas import Indicators, jsonable

ON = date(2026, 6, 30)  # the last 12 months: 01/07/2025 to 30/06/2026
PERIOD = date(2025, 7, 1)
REQUIRED = months_required(date(2020, 1, 1), None, PERIOD, ON)  # July 2025 to June 2026


def managed(**facts: object) -> ClubFacts:
    """A well-managed club in all eight areas; `facts` override."""
    base: dict[str, object] = {
        "club_id": "c",
        "board_complete": True,
        "finance": ClubFinance(income_fund=True, activity_fund=True),
        "months_required": REQUIRED,
        "months_met": REQUIRED,
        "activity_areas": ALL_AREAS,
    }
    base.update(facts)
    return ClubFacts(**base)  # type: ignore[arg-type]


# -- the last 12 months -----------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "start"),
    [
        (date(2026, 12, 1), date(2025, 12, 2)),
        (date(2026, 6, 30), date(2025, 7, 1)),
        (date(2026, 12, 31), date(2026, 1, 1)),
        (date(2028, 2, 29), date(2027, 3, 1)),  # 28/02/2027 + 1
        (date(2029, 2, 28), date(2028, 2, 29)),  # 28/02/2028 + 1: 29 February is in
        (date(2029, 3, 1), date(2028, 3, 2)),  # over a 29 February
    ],
)
def test_the_last_twelve_months_start_the_day_after_the_same_date_a_year_before(
    on: date, start: date
) -> None:
    assert twelve_months_start(on) == start
    assert in_twelve_months(start, on) and in_twelve_months(on, on)
    assert not in_twelve_months(date.fromordinal(start.toordinal() - 1), on)


def test_there_are_eight_areas_and_every_proxy_stands_for_one() -> None:
    assert len(ALL_AREAS) == 8
    assert {p: twelve_month_areas([(p, ON)], ON) for p in Proxy} == {
        Proxy.LOAN_DISBURSED: {"income_generation"},
        Proxy.REPAYMENT_RECEIVED: {"income_generation"},
        Proxy.HEALTH_CHECK: {"health_care"},
        Proxy.EXERCISE_SESSION: {"health_care"},
        Proxy.HOME_CARE_VISIT: {"home_care"},
        Proxy.HARDSHIP_CASE_CHOSEN: {"self_help"},
        Proxy.CONTRIBUTION: {"resource_mobilisation"},
    }


@pytest.mark.parametrize("area", list(ActivityArea))
def test_a_recorded_activity_counts_for_its_own_area(area: ActivityArea) -> None:
    assert twelve_month_areas([(area, date(2025, 7, 1))], ON) == {area.value}


def test_an_event_a_day_before_the_twelve_months_does_not_count() -> None:
    for proxy in Proxy:
        assert twelve_month_areas([(proxy, date(2025, 6, 30))], ON) == frozenset()
        assert twelve_month_areas([(proxy, date(2026, 7, 1))], ON) == frozenset()  # later
    # Not the query period either: a period from 1 January counts nothing more or less.
    areas = twelve_month_areas([(Proxy.LOAN_DISBURSED, date(2025, 8, 1))], ON)
    assert areas == {"income_generation"}


def test_the_twelve_months_around_29_february() -> None:
    leap_day = date(2028, 2, 29)
    # As of 29/02/2028 the window starts on 01/03/2027: the 28th of February 2027 is out.
    assert twelve_month_areas([(Proxy.HEALTH_CHECK, date(2027, 2, 28))], leap_day) == frozenset()
    assert twelve_month_areas([(Proxy.HEALTH_CHECK, date(2027, 3, 1))], leap_day) == {"health_care"}
    # A year on, 29 February 2028 is the first day of the window ending 28/02/2029 ...
    assert twelve_month_areas([(Proxy.CONTRIBUTION, leap_day)], date(2029, 2, 28)) == {
        "resource_mobilisation"
    }
    # ... and is out of the one ending 01/03/2029.
    assert twelve_month_areas([(Proxy.CONTRIBUTION, leap_day)], date(2029, 3, 1)) == frozenset()


def test_a_meeting_stands_for_self_help_only_when_it_chose_a_hardship_case() -> None:
    assert not chose_hardship_case(0)
    assert chose_hardship_case(1) and chose_hardship_case(3)


# -- well managed and full activity -----------------------------------------------


def test_well_managed_is_board_funds_and_every_month() -> None:
    assert judge(managed()).well_managed
    assert not judge(managed(board_complete=False)).well_managed
    assert not judge(managed(finance=ClubFinance(income_fund=True))).well_managed
    missing_march = REQUIRED - {(2026, 3)}
    assert not judge(managed(months_met=missing_march)).well_managed
    # Composition and exercise are other checks: an empty, idle club can be well managed.
    quality = judge(managed(members=0))
    assert quality.well_managed and not quality.size_ok and quality.exercise_ok is None


def test_full_activity_needs_all_eight_areas_and_good_management() -> None:
    assert judge(managed()).full_activity
    seven = ALL_AREAS - {"rights"}
    assert not judge(managed(activity_areas=seven)).full_activity
    assert judge(managed(activity_areas=seven)).well_managed
    # All eight areas, but February without a meeting: neither well managed nor full.
    missing_february = managed(months_met=REQUIRED - {(2026, 2)})
    assert missing_february.in_all_areas
    quality = judge(missing_february)
    assert not quality.meetings_ok and not quality.well_managed and not quality.full_activity


def test_a_meeting_in_a_month_not_required_still_counts_as_met() -> None:
    # Founded on 10 January: January is not required, but its meeting is a month met.
    required = months_required(date(2026, 1, 10), None, PERIOD, ON)
    assert (2026, 1) not in required and min(required) == (2026, 2)
    met = required | {(2026, 1)}
    assert judge(managed(months_required=required, months_met=met)).full_activity


def test_areas_pooled_across_clubs_make_neither_club_full() -> None:
    half = frozenset(sorted(ALL_AREAS)[:4])
    a = managed(club_id="a", activity_areas=half)
    b = managed(club_id="b", activity_areas=ALL_AREAS - half)
    rollup = roll_up([(a, "1"), (b, "1")])
    assert rollup.clubs_in_all_areas == 0
    assert rollup.meeting()["full_activity"] == 0
    assert rollup.shares()["full_activity"] == Decimal("0.00")
    assert rollup.shares()["well_managed"] == Decimal("100.00")
    assert rollup.as_dict()["clubs_in_all_areas"] == 0


def test_full_activity_and_well_managed_roll_up_as_shares_of_active_clubs() -> None:
    clubs = [
        (managed(club_id="a"), "1"),  # full
        (managed(club_id="b", activity_areas=ALL_AREAS - {"self_help"}), "1"),  # managed only
        (managed(club_id="c", board_complete=False), "2"),  # all areas, no board
    ]
    rollup = roll_up(clubs)
    assert rollup.clubs_in_all_areas == 2  # a and c
    assert rollup.meeting()["well_managed"] == 2 and rollup.meeting()["full_activity"] == 1
    assert rollup.shares()["well_managed"] == Decimal("66.66")
    assert rollup.shares()["full_activity"] == Decimal("33.33")
    empty = roll_up([])
    assert empty.shares()["full_activity"] is None and empty.meeting()["well_managed"] is None


# -- the priority counts ----------------------------------------------------------


def test_meetings_with_a_hardship_case_and_their_share() -> None:
    a = ClubFacts("a", meetings=12, meetings_with_hardship_case=9)
    b = ClubFacts("b", meetings=4, meetings_with_hardship_case=4)
    idle = ClubFacts("c")
    rollup = roll_up([(a, "1"), (b, "1"), (idle, "2")])
    assert (rollup.meetings, rollup.meetings_with_hardship_case) == (16, 13)
    assert rollup.hardship_case_meetings_share == Decimal("81.25")  # 13 of 16, not a mean
    figures = rollup.as_dict()
    assert figures["meetings_with_hardship_case_share"] == Decimal("81.25")
    assert roll_up([(idle, "2")]).hardship_case_meetings_share is None  # no meeting held


def test_older_women_among_the_new_members_and_other_priority_counts() -> None:
    a = ClubFacts(
        "a",
        members=60,
        poor_older_women=20,
        ethnic_minority_members=7,
        new_members=15,
        new_older_members=10,
        new_older_women=6,
    )
    b = ClubFacts("b", members=10, poor_older_women=1, new_members=5, new_older_members=2)
    rollup = roll_up([(a, "1"), (b, "2")])
    figures = rollup.as_dict()
    assert figures["poor_older_women"] == 21 and figures["ethnic_minority_members"] == 7
    assert figures["new_older_women"] == 6
    assert figures["new_older_women_share"] == Decimal("50.00")  # 6 of 12: the scheme's 50–60%
    assert figures["new_members_older_share"] == Decimal("60.00")  # 12 of 20
    none_new = roll_up([(ClubFacts("c", members=5), "1")]).as_dict()
    assert none_new["new_older_women_share"] is None and none_new["new_members_older_share"] is None


def test_a_roll_up_reads_as_the_published_indicators() -> None:
    """`as_dict` and the `Indicators` answer name the same figures (the schema forbids others)."""
    rollup = roll_up([(managed(club_id="a", meetings=3, meetings_with_hardship_case=1), "1")])
    shown = Indicators.model_validate(jsonable(rollup.as_dict()))
    assert shown.clubs_in_all_areas == 1 and shown.meetings_with_hardship_case_share == "33.33"
    assert shown.shares["full_activity"] == "100.00"
    assert "activity_areas_covered" not in rollup.as_dict()  # pooled areas are gone
