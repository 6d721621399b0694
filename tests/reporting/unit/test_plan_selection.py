"""Which plan is in force where, the bands it sets, its targets and the
progress towards them (`domain/plans.py`), on plain data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ishc_platform.admin_units import Boundary
from ishc_reporting.domain.indicators import DEFAULT_BANDS, Rollup
from ishc_reporting.domain.plans import (
    PlanDoc,
    bands_for,
    plan_for,
    plans_by_province,
    progress,
    targets_of,
)
from tests.reporting.conftest import plan


def doc(**overrides: Any) -> PlanDoc:
    return PlanDoc.model_validate(plan(**overrides))


def test_the_plan_in_force_per_province_and_for_the_nation() -> None:
    old = doc(id="vl-2025", period_start="2021-01-01", period_end="2025-12-31")
    new = doc(id="vl-2026")
    ben_tre = doc(id="bt-2026", legacy_province="83")
    nation = doc(id="nation", scope="nation", province=None)
    chosen, national = plans_by_province([old, new, ben_tre, nation], date(2026, 12, 31))
    assert national == nation
    assert chosen["current:86"].id in {"vl-2026", "bt-2026"}  # both started on 1 January
    assert plan_for(chosen, "83", Boundary.LEGACY) == ben_tre
    # An old province without its own plan takes its successor's.
    assert plan_for(chosen, "84", Boundary.LEGACY) == chosen["current:86"]
    assert plan_for(chosen, "75", Boundary.CURRENT) is None
    # Past its end, a plan is in force nowhere.
    chosen, national = plans_by_province([old, nation], date(2027, 1, 1))
    assert chosen == {} and national is None


def test_bands_are_the_plans_or_the_national_defaults() -> None:
    assert bands_for(None, None) == DEFAULT_BANDS
    assert bands_for(None, 65).older_age == 65
    vinh_long = doc(older_age=55, bands={"size": [50, 60]})
    assert bands_for(vinh_long, None).older_age == 55
    assert bands_for(vinh_long, None).size == (50, 60)
    assert bands_for(vinh_long, None).women_percent is None  # not stated: not assessed


def test_targets_with_their_gaps() -> None:
    targets = [
        {"indicator": "clubs", "value": "10", "by": "2026-12-31"},
        {"indicator": "coverage", "value": "50", "by": "2026-12-31"},
    ]
    rollup = Rollup(communes=109, communes_with_club=21, clubs=4)
    found = targets_of(doc(targets=targets), rollup, date(2026, 6, 30), Boundary.CURRENT)
    assert found["clubs"] == {
        "value": 4,
        "target": Decimal(10),
        "by": date(2026, 12, 31),
        "gap": Decimal(6),
    }
    assert found["coverage"]["value"] == Decimal("19.26")
    assert found["coverage"]["gap"] == Decimal("30.74")
    # A plan written on the old map measures coverage over its own communes.
    legacy = doc(targets=targets, commune_count=42)
    assert targets_of(legacy, rollup, date(2026, 6, 30), Boundary.LEGACY)["coverage"][
        "value"
    ] == Decimal("50.00")
    assert targets_of(None, rollup, date(2026, 6, 30), Boundary.CURRENT) == {}


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
