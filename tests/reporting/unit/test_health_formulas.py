"""The health indicators' formulas on hand-worked cases (no database, no broker):
checks twice in the twelve months, exercise three times a week over the days
active, people cared for, insurance validity, their roll-ups and plan targets,
how they show in reports, and what the public does not see of them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ishc_platform.admin_units import Boundary
from ishc_reporting.domain.health import (
    ClubHealth,
    checked_twice,
    days_active,
    exercise_ok,
    insured,
    members_checked_twice,
    people_cared_for,
)
from ishc_reporting.domain.indicators import ClubFacts, judge, roll_up, twelve_months_start
from ishc_reporting.domain.plans import PlanDoc
from ishc_reporting.domain.report_layout import indicator_rows
from ishc_reporting.domain.small_cells import suppress_small_cells
from ishc_reporting.domain.targets import Measurement, Territory, assess_plan


def test_the_twelve_months_start_the_day_after_the_same_date_a_year_before() -> None:
    assert twelve_months_start(date(2026, 12, 1)) == date(2025, 12, 2)
    assert twelve_months_start(date(2026, 6, 30)) == date(2025, 7, 1)
    assert twelve_months_start(date(2026, 12, 31)) == date(2026, 1, 1)
    assert twelve_months_start(date(2026, 3, 1)) == date(2025, 3, 2)
    assert twelve_months_start(date(2028, 2, 29)) == date(2027, 3, 1)  # 28/02/2027 + 1
    assert twelve_months_start(date(2029, 3, 1)) == date(2028, 3, 2)  # over a 29 February


def test_two_checks_in_the_twelve_months_count_and_no_more_is_needed() -> None:
    on = date(2026, 6, 30)
    assert checked_twice([date(2025, 8, 1), date(2026, 6, 20)], on)  # eleven months apart
    assert not checked_twice([date(2025, 5, 15), date(2026, 6, 15)], on)  # thirteen
    assert not checked_twice([date(2025, 6, 30), date(2026, 6, 30)], on)  # a year to the day
    assert checked_twice([date(2025, 7, 1), date(2026, 6, 30)], on)  # both ends included
    assert not checked_twice([date(2026, 3, 1), date(2026, 7, 5)], on)  # one is later
    assert not checked_twice([date(2026, 3, 1)], on)
    checks = [
        ("m0", date(2026, 1, 10)),
        ("m0", date(2026, 3, 10)),
        ("m0", date(2026, 5, 10)),  # three checks: one member
        ("m1", date(2026, 2, 1)),
        ("m2", date(2025, 9, 1)),
        ("m2", date(2026, 1, 5)),
    ]
    assert members_checked_twice(checks, on) == 2


def test_exercise_is_judged_over_the_days_the_club_was_active() -> None:
    year = (date(2025, 7, 1), date(2026, 6, 30))
    assert days_active(date(2018, 3, 15), None, *year) == 365
    # Founded on 8 April: 84 days, twelve weeks, to 30 June.
    founded = date(2026, 4, 8)
    assert days_active(founded, None, *year) == 84
    assert exercise_ok(36, 84) is True  # exactly 3 a week
    assert exercise_ok(35, 84) is False
    assert exercise_ok(36, 85) is False  # a day more, no session more
    assert exercise_ok(157, 365) is True and exercise_ok(156, 365) is False  # 3.01 and 2.99
    assert exercise_ok(1, 1) is True and exercise_ok(0, 1) is False  # founded today
    assert exercise_ok(0, 0) is None  # active no day: not assessed
    # A club dissolved on a day is no longer active that day.
    assert days_active(date(2020, 1, 1), date(2026, 7, 1), *year) == 365
    assert days_active(date(2020, 1, 1), date(2025, 7, 1), *year) == 0
    assert days_active(date(2026, 7, 1), None, *year) == 0  # founded after the date


def test_a_card_covers_both_ends_of_its_validity() -> None:
    start, end = date(2026, 1, 1), date(2026, 12, 31)
    assert insured(start, end, start) and insured(start, end, end)
    assert insured(start, end, date(2026, 6, 30))
    assert not insured(start, end, date(2025, 12, 31)) and not insured(start, end, date(2027, 1, 1))


def test_each_person_cared_for_counts_once() -> None:
    visits = [("member", "m3"), ("member", "m3"), ("community", "p1"), ("community", "p1")]
    assert people_cared_for(visits) == 2
    assert people_cared_for([]) == 0


def clubs() -> list[tuple[ClubFacts, str]]:
    a = ClubFacts(
        "a",
        members=9,
        days_active=365,
        health=ClubHealth(
            members_checked_twice=2,
            exercise_sessions=208,
            home_care_visits=5,
            people_cared_for=2,
            members_insured=2,
        ),
    )
    b = ClubFacts("b", members=4, days_active=365, health=ClubHealth(1, 0, 0, 0, 1))
    c = ClubFacts("c", members=6, days_active=84, health=ClubHealth(0, 36, 1, 1, 1))
    return [(a, "1"), (b, "2"), (c, "2")]


def test_health_rolls_up_as_the_sum_over_the_sum_and_exercise_as_a_check_of_clubs() -> None:
    assert [judge(club).exercise_ok for club, _ in clubs()] == [True, False, True]
    rollup = roll_up(clubs())
    assert rollup.health_checks_share == Decimal("15.78")  # 3 of 19, not a mean of 22, 25, 0
    assert rollup.insurance_coverage == Decimal("21.05")  # 4 of 19
    figures = rollup.as_dict()
    assert figures["members_checked_twice"] == 3 and figures["health_checks_ok"] == Decimal("15.78")
    assert figures["home_care_visits"] == 6 and figures["people_cared_for"] == 3
    assert figures["exercise_sessions"] == 244
    assert rollup.shares()["exercise_ok"] == Decimal("66.66")
    assert rollup.meeting()["exercise_ok"] == 2
    empty = roll_up([]).as_dict()
    assert empty["health_checks_ok"] is None and empty["insurance_coverage"] is None


def test_plan_targets_for_checks_and_exercise_are_measured() -> None:
    plan = PlanDoc.model_validate(
        {
            "id": "vinh-long-2026",
            "scope": "province",
            "province": "86",
            "title": "Kế hoạch 2026",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "targets": [
                {"indicator": "health_checks_ok", "value": "100", "by": "2026-12-31"},
                {"indicator": "exercise_ok", "value": "100", "by": "2026-12-31"},
                {"indicator": "full_activity", "value": "70", "by": "2026-12-31"},
            ],
        }
    )
    as_of = date(2026, 6, 30)
    level = Measurement(as_of, date(2025, 7, 1), roll_up(clubs()), frozenset())
    before = Measurement(date(2025, 12, 31), date(2025, 1, 1), roll_up([]), frozenset())
    measurements = {
        (as_of, date(2025, 7, 1)): level,
        (date(2025, 12, 31), date(2025, 1, 1)): before,
    }
    territory = Territory(Boundary.CURRENT, "86", communes=124, communes_in_package=124)
    targets = {t.indicator: t for t in assess_plan(plan, as_of, measurements, territory)}
    assert targets["health_checks_ok"].value == Decimal("15.78")
    assert targets["health_checks_ok"].gap == Decimal("84.22")
    assert targets["exercise_ok"].value == Decimal("66.66")
    # Measured now that clubs are judged one by one: none of these is well managed.
    assert targets["full_activity"].value == Decimal("0.00")


def test_a_report_shows_the_health_rows_with_their_targets() -> None:
    figures = {
        "indicators": {
            "members_checked_twice": 3,
            "health_checks_ok": "15.78",
            "exercise_sessions": 244,
            "home_care_visits": 6,
            "people_cared_for": 3,
            "members_insured": 4,
            "insurance_coverage": "21.05",
            "shares": {"exercise_ok": "66.66"},
        },
        "targets": {
            "health_checks_ok": {"value": "15.78", "target": "100", "gap": "84.22"},
            "exercise_ok": {"value": "66.66", "target": "100", "gap": "33.34"},
        },
    }
    vi = {r[0]: r[1:] for r in indicator_rows(figures, "vi")}
    assert vi["Hội viên được khám sức khỏe ít nhất 2 lần trong 12 tháng"] == [3, None, None]
    assert vi["Tỷ lệ hội viên được khám sức khỏe ít nhất 2 lần/năm (%)"] == [
        "15.78",
        "100",
        "84.22",
    ]
    assert vi["CLB tập dưỡng sinh bình quân ít nhất 3 buổi/tuần (%)"] == ["66.66", "100", "33.34"]
    assert vi["Số người được chăm sóc tại nhà trong kỳ"] == [3, None, None]
    assert vi["Lượt chăm sóc tại nhà trong kỳ"] == [6, None, None]
    assert vi["Tỷ lệ hội viên có bảo hiểm y tế (%)"] == ["21.05", None, None]
    en = {r[0]: r[1:] for r in indicator_rows(figures, "en")}
    assert en["Members checked at least twice a year (%)"][0] == "15.78"
    assert en["People cared for at home in the period"][0] == 3


def test_the_public_sees_no_few_people_checked_insured_or_cared_for() -> None:
    row = {
        "members": 60,
        "members_checked_twice": 3,
        "health_checks_ok": "5.00",  # would give the 3 away
        "members_insured": 58,
        "insurance_coverage": "96.66",  # would give the 2 uninsured away
        "people_cared_for": 2,
        "home_care_visits": 4,
        "exercise_sessions": 3,
        "shares": {"exercise_ok": "100.00"},
    }
    shown = suppress_small_cells(row, 5)
    assert shown["members_checked_twice"] == "< 5" and shown["health_checks_ok"] is None
    assert shown["members_insured"] == "> 55" and shown["insurance_coverage"] is None
    assert shown["people_cared_for"] == "< 5" and shown["home_care_visits"] == "< 5"
    assert shown["exercise_sessions"] == 3  # sessions are not people
    assert shown["shares"]["exercise_ok"] == "100.00"  # a share of clubs stays

    many = suppress_small_cells(
        {**row, "members_checked_twice": 30, "health_checks_ok": "50.00", "members_insured": 0,
         "insurance_coverage": "0.00"},
        5,
    )  # fmt: skip
    assert many["members_checked_twice"] == 30 and many["health_checks_ok"] == "50.00"
    assert many["members_insured"] == 0 and many["insurance_coverage"] == "0.00"

    # A group of fewer than 5 people: its shares hide, the clubs' exercise share stays.
    few = suppress_small_cells({**row, "members": 3, "members_checked_twice": 0}, 5)
    assert few["health_checks_ok"] is None and few["shares"]["exercise_ok"] == "100.00"

    # A province row: the target of health_checks_ok hides with the share.
    province = {
        "indicators": row,
        "targets": {
            "health_checks_ok": {"value": "5.00", "target": "100", "gap": "95.00"},
            "exercise_ok": {"value": "100.00", "target": "100", "gap": "0"},
        },
    }
    hidden = suppress_small_cells(province, 5)
    assert hidden["targets"]["health_checks_ok"] == {"value": None, "target": "100", "gap": None}
    assert hidden["targets"]["exercise_ok"]["value"] == "100.00"
    assert hidden["indicators"]["health_checks_ok"] is None
