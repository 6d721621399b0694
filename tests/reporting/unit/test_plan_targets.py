"""A plan's targets measured over their own windows, on their own map, beside
the value expected by now (`domain/targets.py`): hand-worked cases on plain data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ishc_platform.admin_units import Boundary
from ishc_reporting.domain.indicators import ClubFacts, Rollup, count_up, roll_up
from ishc_reporting.domain.plans import PlanDoc
from ishc_reporting.domain.targets import (
    Measurement,
    Status,
    Territory,
    assess_plan,
    expected_by,
    measurement_depths,
    plan_boundary,
    territory_province,
)

OLD_VINH_LONG = Territory(Boundary.LEGACY, "86", communes=109, communes_in_package=102)


def vinh_long(*targets: dict[str, Any], **overrides: Any) -> PlanDoc:
    body: dict[str, Any] = {
        "id": "vinh-long-2016-2020",
        "scope": "province",
        "province": "86",
        "legacy_province": "86",
        "title": "Kế hoạch 2016 - 2020",
        "period_start": "2016-01-01",
        "period_end": "2020-12-31",
        "older_age": 55,
        "commune_count": 109,
        "baseline": {
            "as_of": "2016-12-31",
            "clubs": 21,
            "communes_with_club": 21,
            "communes": 109,
            "coverage_percent": "19.26",
        },
        "targets": list(targets),
    }
    body.update(overrides)
    return PlanDoc.model_validate(body)


def measured(
    on: date, window_start: date, club_ids: set[str] | None = None, **figures: Any
) -> Measurement:
    return Measurement(on, window_start, Rollup(**figures), frozenset(club_ids or set()))


def level(on: date, **figures: Any) -> tuple[tuple[date, date], Measurement]:
    """A measurement of levels: the twelve months up to the day."""
    months = on.year * 12 + on.month - 1 - 11
    start = date(months // 12, months % 12 + 1, 1)
    return (on, start), measured(on, start, **figures)


def one(plan: PlanDoc, as_of: date, *pairs: tuple[tuple[date, date], Measurement]) -> Any:
    needed = set(measurement_depths(plan, as_of))
    found = dict(pairs)
    assert needed <= found.keys(), needed - found.keys()  # the test gives what is asked for
    (progress,) = assess_plan(plan, as_of, found, OLD_VINH_LONG)
    return progress


def test_the_baseline_reads_19_26_percent_over_the_plans_109_communes() -> None:
    plan = vinh_long({"indicator": "coverage", "value": "50", "by": "2020-12-31"})
    p = one(plan, date(2016, 12, 31), level(date(2016, 12, 31), communes_with_club=21, clubs=21))
    assert p.value == Decimal("19.26")  # 21 / 109 truncated, as the plan prints it
    assert p.expected == Decimal("19.26")  # on the baseline's day the path starts there
    assert p.status is Status.ON_TRACK
    assert p.gap == Decimal("30.74")
    # The package has 102 communes for old Vĩnh Long: said, and not used.
    assert OLD_VINH_LONG.note is not None and "109" in OLD_VINH_LONG.note
    assert "102" in OLD_VINH_LONG.note


def test_coverage_expected_on_a_straight_path_from_the_printed_baseline() -> None:
    plan = vinh_long({"indicator": "coverage", "value": "50", "by": "2020-12-31"})
    as_of = date(2018, 12, 31)
    p = one(plan, as_of, level(as_of, communes_with_club=40))
    # 19.26 + (50 - 19.26) * 730 / 1461 days = 34.6197...: truncated
    assert p.expected == Decimal("34.61")
    assert p.value == Decimal("36.69")  # 40 / 109
    assert p.status is Status.ON_TRACK
    behind = one(plan, as_of, level(as_of, communes_with_club=37))
    assert behind.value == Decimal("33.94") and behind.status is Status.BEHIND


def test_new_clubs_count_over_their_window_while_it_runs() -> None:
    plan = vinh_long(
        {"indicator": "new_clubs", "value": "17", "from": "2017-01-01", "by": "2018-12-31"}
    )
    as_of = date(2018, 1, 1)
    p = one(
        plan, as_of, ((as_of, date(2017, 1, 1)), measured(as_of, date(2017, 1, 1), new_clubs=12))
    )
    assert (p.window_from, p.by, p.measured_on) == (date(2017, 1, 1), date(2018, 12, 31), as_of)
    assert p.value == 12
    # From 0 on 31/12/2016 to 17 on 31/12/2018: 17 * 366 / 730 = 8.52, whole clubs: 8.
    assert p.expected == 8
    assert p.status is Status.ON_TRACK and p.gap == Decimal(5)


def test_a_window_that_ended_before_the_query_date_is_read_on_its_deadline() -> None:
    plan = vinh_long(
        {"indicator": "new_clubs", "value": "17", "from": "2017-01-01", "by": "2018-12-31"}
    )
    deadline = date(2018, 12, 31)
    key = (deadline, date(2017, 1, 1))
    assert set(measurement_depths(plan, date(2020, 6, 30))) == {key}
    missed = one(plan, date(2020, 6, 30), (key, measured(deadline, date(2017, 1, 1), new_clubs=15)))
    assert missed.measured_on == deadline
    assert (missed.value, missed.status, missed.expected) == (15, Status.MISSED, None)
    met = one(plan, date(2020, 6, 30), (key, measured(deadline, date(2017, 1, 1), new_clubs=17)))
    assert met.status is Status.MET and met.gap == 0


def test_the_34_of_2017_2020_is_measured_beside_the_17_with_the_same_deadline() -> None:
    plan = vinh_long(
        {"indicator": "new_clubs", "value": "17", "from": "2019-01-01", "by": "2020-12-31"},
        {"indicator": "new_clubs", "value": "34", "from": "2017-01-01", "by": "2020-12-31"},
    )
    as_of = date(2020, 12, 31)
    found = {
        (as_of, date(2019, 1, 1)): measured(as_of, date(2019, 1, 1), new_clubs=17),
        (as_of, date(2017, 1, 1)): measured(as_of, date(2017, 1, 1), new_clubs=30),
    }
    second, whole = assess_plan(plan, as_of, found, OLD_VINH_LONG)
    assert (second.value, second.status) == (17, Status.MET)
    assert (whole.value, whole.status) == (30, Status.MISSED)


def test_a_target_whose_window_has_not_opened() -> None:
    plan = vinh_long(
        {"indicator": "new_clubs", "value": "17", "from": "2017-01-01", "by": "2018-12-31"}
    )
    assert set(measurement_depths(plan, date(2016, 12, 31))) == set()
    p = one(plan, date(2016, 12, 31))
    assert (p.status, p.value, p.measured_on) == (Status.NOT_STARTED, None, None)


def test_communes_with_a_club_are_communes_not_clubs() -> None:
    plan = vinh_long({"indicator": "communes_with_club", "value": "55", "by": "2020-12-31"})
    as_of = date(2020, 12, 31)
    # 60 clubs in 50 communes: 50 towards "55 communes with a club".
    p = one(plan, as_of, level(as_of, clubs=60, communes_with_club=50))
    assert (p.value, p.status, p.gap) == (50, Status.MISSED, Decimal(5))


def test_keeping_the_clubs_of_the_start_running() -> None:
    plan = vinh_long({"indicator": "clubs_retained", "value": "100", "by": "2020-12-31"})
    start, as_of = date(2016, 12, 31), date(2018, 12, 31)
    base = level(start, club_ids={"a", "b", "c", "d"})
    now = level(as_of, club_ids={"a", "b", "c", "x", "y"})  # d dissolved; x, y are new
    p = one(plan, as_of, base, now)
    assert p.value == Decimal("75.00")
    # All of them, all along: the path is flat at 100.
    assert p.expected == Decimal("100.00") and p.status is Status.BEHIND


def test_the_older_share_of_new_members_is_a_band() -> None:
    plan = vinh_long(
        {
            "indicator": "new_members_older_share",
            "value": "60",
            "value_max": "70",
            "from": "2017-01-01",
            "by": "2020-12-31",
        }
    )
    as_of, start = date(2018, 6, 30), date(2017, 1, 1)

    def share(new: int, older: int) -> Any:
        figured = measured(as_of, start, new_members=new, new_older_members=older)
        return one(plan, as_of, ((as_of, start), figured))

    assert share(100, 65).status is Status.REACHED
    assert share(100, 55).status is Status.BEHIND
    assert share(100, 75).status is Status.BEHIND  # above the band is off it too
    assert share(0, 0).status is Status.NOT_MEASURED  # no new member: no share


def test_a_target_per_category_of_commune_is_shown_not_guessed() -> None:
    plan = vinh_long(
        {"indicator": "coverage", "value": "100", "by": "2020-12-31", "commune_category": "lowland"}
    )
    assert one(plan, date(2018, 6, 30)).status is Status.NOT_MEASURED


def test_a_running_share_without_a_printed_baseline_starts_from_the_value_measured_then() -> None:
    plan = vinh_long({"indicator": "board_ok", "value": "100", "by": "2020-12-31"})
    start, as_of = date(2016, 12, 31), date(2018, 12, 31)
    before = level(start)
    before[1].rollup.assessed["board_ok"] = 10
    before[1].rollup.quality["board_ok"] = 5  # 50% on the baseline's day
    now = level(as_of)
    now[1].rollup.assessed["board_ok"] = 10
    now[1].rollup.quality["board_ok"] = 8
    p = one(plan, as_of, before, now)
    # 50 + 50 * 730 / 1461 = 74.98...
    assert p.expected == Decimal("74.98")
    assert (p.value, p.status) == (Decimal("80.00"), Status.ON_TRACK)


def test_the_share_of_meetings_choosing_a_hardship_case_is_scored_as_a_target() -> None:
    # Vĩnh Long P2 II.4: every meeting chooses at least one hardship case.
    plan = vinh_long(
        {"indicator": "meetings_with_hardship_case_share", "value": "100", "by": "2020-12-31"}
    )
    start, as_of = date(2016, 12, 31), date(2018, 12, 31)
    before = level(start, meetings=20, meetings_with_hardship_case=10)  # 50% on the baseline's day
    now = level(as_of, meetings=40, meetings_with_hardship_case=36)
    p = one(plan, as_of, before, now)
    # 50 + 50 * 730 / 1461 = 74.98...
    assert p.expected == Decimal("74.98")
    assert (p.value, p.status) == (Decimal("90.00"), Status.ON_TRACK)
    behind = one(plan, as_of, before, level(as_of, meetings=40, meetings_with_hardship_case=28))
    assert (behind.value, behind.status) == (Decimal("70.00"), Status.BEHIND)
    deadline = date(2020, 12, 31)
    met = one(plan, deadline, level(deadline, meetings=12, meetings_with_hardship_case=12))
    assert (met.value, met.status, met.gap) == (Decimal("100.00"), Status.MET, 0)


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2024, 2, 28), Decimal(0)),  # the path's first day
        (date(2024, 2, 29), Decimal(1)),
        (date(2024, 3, 31), Decimal(32)),
        (date(2025, 2, 28), Decimal(366)),  # the deadline: the goal
        (date(2025, 3, 1), Decimal(366)),  # past it: the goal
    ],
)
def test_the_straight_path_counts_days_across_29_february(on: date, expected: Decimal) -> None:
    assert (
        expected_by(Decimal(0), date(2024, 2, 28), Decimal(366), date(2025, 2, 28), on) == expected
    )


def test_pre_2025_plans_are_measured_on_the_old_map() -> None:
    plan = vinh_long()
    assert plan_boundary(plan) is Boundary.LEGACY and territory_province(plan) == "86"
    nation_1336 = PlanDoc.model_validate(
        {
            "id": "national-2021-2025",
            "scope": "nation",
            "title": "1336",
            "period_start": "2021-01-01",
            "period_end": "2025-12-31",
        }
    )
    assert plan_boundary(nation_1336) is Boundary.LEGACY
    assert territory_province(nation_1336) is None
    nation_1648 = nation_1336.model_copy(update={"period_start": date(2025, 8, 1)})
    assert plan_boundary(nation_1648) is Boundary.CURRENT
    current = vinh_long(legacy_province=None, period_start="2026-01-01", period_end="2030-12-31")
    assert plan_boundary(current) is Boundary.CURRENT


def test_before_the_baseline_day_nothing_is_read_from_after_the_date_asked_for() -> None:
    # Vĩnh Long's plan starts on 01/01/2016; its baseline is printed for 31/12/2016.
    plan = vinh_long(
        {"indicator": "clubs_retained", "value": "100", "by": "2020-12-31"},
        {"indicator": "board_ok", "value": "100", "by": "2020-12-31"},
    )
    as_of = date(2016, 6, 30)
    assert set(measurement_depths(plan, as_of)) == {level(as_of)[0]}
    retained, board = assess_plan(plan, as_of, dict([level(as_of)]), OLD_VINH_LONG)
    assert retained.status is Status.NOT_STARTED
    assert board.expected is None and board.status is Status.NOT_MEASURED  # no club yet


def test_the_counts_alone_equal_the_full_roll_ups() -> None:
    clubs = [
        (ClubFacts("a", members=60, new_members=10, new_older_members=7, new_older_women=5,
                   founded_in_period=True), "29623"),
        (ClubFacts("b", members=52, new_members=3, new_older_members=1), "29623"),
        (ClubFacts("c", members=4), None),  # placed in the province only
    ]  # fmt: skip
    full, counted = roll_up(clubs, communes=109), count_up(clubs, communes=109)
    for name in ("clubs", "new_clubs", "members", "new_members", "new_older_members",
                 "new_older_women", "communes_with_club", "communes"):  # fmt: skip
        assert getattr(counted, name) == getattr(full, name), name
    assert (
        counted.new_members_older_share == full.new_members_older_share == Decimal("61.53")
    )  # 8 of 13
