"""Which plans are in force where, which one's bands judge a page's clubs, and
the bands they set (`domain/plans.py`), on plain data."""

from __future__ import annotations

import tomllib
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ishc_platform.admin_units import Boundary
from ishc_reporting.domain.indicators import DEFAULT_BANDS
from ishc_reporting.domain.plans import (
    PlanDoc,
    bands_for,
    governing_plan,
    national_governing_plan,
    national_plans,
    plan_for_club,
    plans_about,
    plans_in_force,
    progress,
)
from tests.reporting.conftest import plan


def doc(**overrides: Any) -> PlanDoc:
    return PlanDoc.model_validate(plan(**overrides))


OLD_VINH_LONG = doc(
    id="vinh-long-2016-2020",
    legacy_province="86",
    period_start="2016-01-01",
    period_end="2020-12-31",
    commune_count=109,
    targets=[],
)
NEW_VINH_LONG = doc(id="vinh-long-2026")
BEN_TRE = doc(id="ben-tre-2026", legacy_province="83")
NATION_1336 = doc(
    id="national-2021-2025",
    scope="nation",
    province=None,
    period_start="2021-01-01",
    period_end="2025-12-31",
    bands={"size": [50, 70]},
    targets=[],
)
NATION_1648 = doc(
    id="national-2025-2035",
    scope="nation",
    province=None,
    period_start="2025-08-01",
    period_end="2035-12-31",
    targets=[],
)
EVERY = [OLD_VINH_LONG, NEW_VINH_LONG, BEN_TRE, NATION_1336, NATION_1648]


def test_a_plan_is_in_force_from_its_start_to_its_end_and_not_after() -> None:
    assert plans_in_force(EVERY, date(2016, 1, 1)) == [OLD_VINH_LONG]
    assert plans_in_force(EVERY, date(2020, 12, 31)) == [OLD_VINH_LONG]
    assert plans_in_force(EVERY, date(2021, 1, 1)) == [NATION_1336]
    # 1336 and 1648 overlap from 01/08/2025 to 31/12/2025: both are measured.
    assert national_plans(plans_in_force(EVERY, date(2025, 8, 1))) == [NATION_1336, NATION_1648]


def test_a_pre_2025_plan_concerns_its_new_province_but_judges_only_its_old_one() -> None:
    in_force = plans_in_force(EVERY, date(2018, 6, 30))
    # On the current map, new Vĩnh Long's page shows the old plan's targets...
    assert plans_about(in_force, "86", Boundary.CURRENT) == [OLD_VINH_LONG]
    # ...but its bands do not judge old Bến Tre's and Trà Vinh's clubs: the default does.
    assert governing_plan(in_force, "86", Boundary.CURRENT) is None
    # On the old map, it is old Vĩnh Long's plan, and not old Bến Tre's.
    assert governing_plan(in_force, "86", Boundary.LEGACY) == OLD_VINH_LONG
    assert plans_about(in_force, "83", Boundary.LEGACY) == []
    assert governing_plan(in_force, "83", Boundary.LEGACY) is None


def test_a_current_plan_judges_its_province_and_the_old_provinces_merged_into_it() -> None:
    in_force = plans_in_force(EVERY, date(2026, 6, 30))
    assert governing_plan(in_force, "86", Boundary.CURRENT) == NEW_VINH_LONG
    # Old Bến Tre has its own plan on the old map; old Trà Vinh takes new Vĩnh Long's.
    assert governing_plan(in_force, "83", Boundary.LEGACY) == BEN_TRE
    assert governing_plan(in_force, "84", Boundary.LEGACY) == NEW_VINH_LONG
    assert governing_plan(in_force, "75", Boundary.CURRENT) is None


def test_a_club_is_judged_by_its_old_provinces_plan_where_there_is_one() -> None:
    in_force = plans_in_force(EVERY, date(2018, 6, 30))
    assert plan_for_club(in_force, "86", "86") == OLD_VINH_LONG
    assert plan_for_club(in_force, "86", "83") is None  # old Bến Tre: the default
    assert plan_for_club(in_force, "86", None) is None


def test_the_nation_is_judged_by_the_latest_national_plan_that_states_a_composition() -> None:
    # 1648 states no composition: during the overlap, 1336's bands still judge.
    assert national_governing_plan(plans_in_force(EVERY, date(2025, 9, 1))) == NATION_1336
    assert national_governing_plan(plans_in_force(EVERY, date(2026, 6, 30))) is None


def test_bands_are_the_plans_or_the_stated_default() -> None:
    assert bands_for(None, None) == DEFAULT_BANDS
    # The default is the national scheme's composition: no band of poor members.
    assert DEFAULT_BANDS.poor_percent is None
    assert DEFAULT_BANDS.size == (50, 70) and DEFAULT_BANDS.older_age == 60
    assert bands_for(None, 65).older_age == 65
    vinh_long = doc(older_age=55, bands={"size": [50, 60]})
    assert bands_for(vinh_long, None).older_age == 55
    assert bands_for(vinh_long, None).size == (50, 60)
    assert bands_for(vinh_long, None).women_percent is None  # not stated: not assessed


def test_the_default_plan_is_the_committed_national_scheme_of_2021_2025() -> None:
    """The stated default (`DEFAULT_BANDS`) is 1336/QĐ-TTg's composition as its
    plan file writes it: size, women, older, younger, poor, volunteers, board and
    the age older members count from. A change to either must change both."""
    path = Path(__file__).parents[3] / "services/reporting/plans/national-2021-2025.toml"
    national = PlanDoc.model_validate(tomllib.loads(path.read_text()))
    assert national.id == "national-2021-2025" and national.scope == "nation"
    assert asdict(national.bands_for_indicators) == asdict(DEFAULT_BANDS)
    assert national.bands_for_indicators == DEFAULT_BANDS


@pytest.mark.parametrize(
    ("value", "target", "expected"),
    [
        ("19.26", "50", 38),
        ("60", "50", 100),  # past the target: a full bar
        ("0", "50", 0),
        ("1", "0.00", 100),  # nothing to reach
        (None, "50", None),
        ("5", None, None),
    ],
)
def test_progress_towards_a_target(value: Any, target: Any, expected: int | None) -> None:
    assert progress(value, target) == expected
