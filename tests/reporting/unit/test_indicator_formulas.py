"""The indicator formulas on hand-worked cases (no database, no broker)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ishc_contracts.people import age_on, older_cutoff
from ishc_platform.admin_units import Boundary
from ishc_reporting.domain.finance import ClubFinance
from ishc_reporting.domain.health import ClubHealth
from ishc_reporting.domain.indicators import (
    ALL_AREAS,
    Bands,
    ClubFacts,
    default_period_start,
    judge,
    months_required,
    percent,
    roll_up,
)
from ishc_reporting.domain.placement import Place, place


def club(**facts: object) -> ClubFacts:
    base: dict[str, object] = {
        "club_id": "c",
        "members": 60,
        "women": 39,  # 65%
        "older": 39,  # 65%, so 21 younger: 35%
        "poor": 40,  # 66.67%
        "volunteers": 5,
        "board_complete": True,
        "finance": ClubFinance(income_fund=True, activity_fund=True),
        "health": ClubHealth(exercise_sessions=3),  # 3 sessions in its one week
        "days_active": 7,
        "activity_areas": ALL_AREAS,  # so well managed and in full activity too
    }
    base.update(facts)
    return ClubFacts(**base)  # type: ignore[arg-type]


def test_vinh_long_baseline_reads_as_the_plan_wrote_it() -> None:
    # 21 clubs in 109 communes: 19.266…%, which the plan prints truncated.
    assert percent(21, 109) == Decimal("19.26")
    assert percent(0, 0) is None
    assert percent(2, 3) == Decimal("66.66")


def test_a_club_inside_every_band_meets_each_check() -> None:
    quality = judge(club())
    # The default plan states no band of poor members: not assessed, not failed.
    assert quality.poor_ok is None
    assert all(getattr(quality, f) for f in quality.__dataclass_fields__ if f != "poor_ok")
    with_poor_band = Bands(poor_percent=(Decimal(60), Decimal(70)))
    assert all(getattr(judge(club(), with_poor_band), f) for f in quality.__dataclass_fields__)


def test_band_edges_are_inclusive_and_compared_exactly() -> None:
    assert judge(club(members=50, women=30, older=30, poor=30)).women_ok  # exactly 60%
    assert not judge(club(members=50, women=29, older=30, poor=30)).women_ok  # 58%
    assert judge(club(members=70, women=49, older=49, poor=49)).older_ok  # exactly 70%
    assert not judge(club(members=71)).size_ok
    assert not judge(club(members=49)).size_ok
    # 2 of 3 members is 66.67%: inside 60–70 however one rounds it
    assert judge(club(members=3, women=2)).women_ok


def test_young_is_the_members_who_are_not_older() -> None:
    facts = club(members=60, older=45)  # 75% older, 25% younger
    assert facts.young == 15
    quality = judge(facts)
    assert not quality.older_ok and not quality.young_ok


def test_an_empty_club_meets_no_composition_band() -> None:
    quality = judge(club(members=0, women=0, older=0, poor=0, volunteers=0))
    assert not (quality.size_ok or quality.women_ok or quality.older_ok or quality.poor_ok)


def test_a_plan_sets_its_own_bands_and_older_age() -> None:
    vinh_long = Bands(size=(50, 60), older_percent=(Decimal(70), Decimal(100)), older_age=55)
    assert not judge(club(members=65), vinh_long).size_ok
    assert judge(club(members=60, older=45), vinh_long).older_ok


def test_ages_come_from_the_birth_date_or_else_the_year() -> None:
    assert age_on(1966, None, date(2026, 1, 1)) == 60  # year only: 60 all year
    assert age_on(1966, date(1966, 6, 30), date(2026, 6, 29)) == 59
    assert age_on(1966, date(1966, 6, 30), date(2026, 6, 30)) == 60
    assert older_cutoff(date(2026, 6, 30), 60) == (date(1966, 6, 30), 1966)
    # 29 February: the cutoff falls back to the 28th in a common year
    assert older_cutoff(date(2028, 2, 29), 61) == (date(1967, 2, 28), 1967)


def test_met_every_month_asks_only_for_complete_months_the_club_was_active() -> None:
    period = date(2026, 1, 1)
    # As of 15 April: January to March are over; April is not.
    assert months_required(date(2020, 1, 1), None, period, date(2026, 4, 15)) == {
        (2026, 1),
        (2026, 2),
        (2026, 3),
    }
    # Founded on 10 February: not active all February, so March is the first month asked for.
    assert months_required(date(2026, 2, 10), None, period, date(2026, 4, 15)) == {(2026, 3)}
    # Founded on 1 February: February is asked for.
    assert months_required(date(2026, 2, 1), None, period, date(2026, 4, 15)) == {
        (2026, 2),
        (2026, 3),
    }
    # Dissolved on 1 March: active in February, not in March.
    assert months_required(date(2020, 1, 1), date(2026, 3, 1), period, date(2026, 4, 30)) == {
        (2026, 1),
        (2026, 2),
    }
    # The last day of a month completes it.
    assert (2026, 4) in months_required(date(2020, 1, 1), None, period, date(2026, 4, 30))


def test_a_meeting_entered_late_counts_in_its_month() -> None:
    required = months_required(date(2020, 1, 1), None, date(2026, 1, 1), date(2026, 3, 31))
    missing_february = club(months_required=required, months_met=frozenset({(2026, 1), (2026, 3)}))
    assert not judge(missing_february).meetings_ok
    # February's meeting, recorded in April, is dated in February.
    late = club(months_required=required, months_met=frozenset({(2026, 1), (2026, 2), (2026, 3)}))
    assert judge(late).meetings_ok


def test_the_default_period_is_the_twelve_months_up_to_the_date() -> None:
    assert default_period_start(date(2026, 11, 23)) == date(2025, 12, 1)
    assert default_period_start(date(2026, 1, 5)) == date(2025, 2, 1)


def test_roll_up_counts_communes_with_a_club_once_and_shares_over_active_clubs() -> None:
    good, small = club(club_id="a"), club(club_id="b", members=30, women=20, older=20, poor=20)
    rollup = roll_up([(good, "29623"), (small, "29623"), (club(club_id="c"), None)], communes=124)
    assert rollup.clubs == 3
    assert rollup.communes_with_club == 1
    assert rollup.coverage == Decimal("0.80")  # 1 of 124
    assert rollup.quality["size_ok"] == 2
    assert rollup.shares()["size_ok"] == Decimal("66.66")
    assert rollup.members == 150


def test_placement_on_each_map() -> None:
    # Current map: the commune and its province.
    assert place("29623", None, Boundary.CURRENT) == Place("86", "29623")
    # Registered with a legacy code that was split: counted in that legacy commune.
    assert place("29719", "29719", Boundary.LEGACY) == Place("86", "29719")
    # One legacy source: that commune (Xã Hòa Minh came from old Trà Vinh).
    assert place("29410", None, Boundary.LEGACY) == Place("84", "29410")
    # Several sources, one old province (Bến Tre): only the province.
    assert place("28756", None, Boundary.LEGACY) == Place("83", None)
    # No legacy source at all: unplaced, never guessed.
    assert place("11948", None, Boundary.LEGACY).unplaced


def test_a_band_the_plan_does_not_state_is_not_assessed() -> None:
    vinh_long = Bands(size=(50, 60), older_percent=(Decimal(70), Decimal(100)), young_percent=None)
    quality = judge(club(members=60, older=45), vinh_long)
    assert quality.young_ok is None and quality.older_ok is True
    rollup = roll_up(
        [(club(club_id="a", older=45), "29623"), (club(club_id="b"), "29623")], vinh_long
    )
    assert rollup.shares()["young_ok"] is None
    assert rollup.as_dict()["clubs_meeting"]["young_ok"] is None  # type: ignore[index]
    assert rollup.shares()["older_ok"] == Decimal("50.00")  # a at 75%, b at 65%
