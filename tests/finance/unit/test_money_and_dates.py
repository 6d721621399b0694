"""Whole-VND rounding and monthly due dates (unit: no I/O)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ishc_finance.domain.money import ROUNDING_UNITS, add_months, floor_to_unit, round_to_unit


@pytest.mark.parametrize(
    ("amount", "unit", "rounded", "floored"),
    [
        (Decimal("833333.33"), 1, 833333, 833333),
        (Decimal("0.5"), 1, 1, 0),  # half up, not to even
        (Decimal("2.5"), 1, 3, 2),
        (Decimal("833333.33"), 1000, 833000, 833000),
        (Decimal("1500"), 1000, 2000, 1000),
        (Decimal("2499.99"), 1000, 2000, 2000),
        (Decimal("650"), 1000, 1000, 0),
        (Decimal("0"), 1000, 0, 0),
        (Decimal("80000"), 1000, 80000, 80000),
    ],
)
def test_rounding_to_the_unit(amount: Decimal, unit: int, rounded: int, floored: int) -> None:
    assert round_to_unit(amount, unit) == rounded
    assert floor_to_unit(amount, unit) == floored


def test_a_unit_is_positive() -> None:
    with pytest.raises(ValueError):
        round_to_unit(Decimal(5), 0)


def test_the_rounding_units_of_a_regulation() -> None:
    assert ROUNDING_UNITS == (1, 1000)


@given(
    amount=st.decimals(min_value=0, max_value=10**12, places=4),
    unit=st.sampled_from(ROUNDING_UNITS),
)
def test_rounded_amounts_are_multiples_near_the_amount(amount: Decimal, unit: int) -> None:
    rounded, floored = round_to_unit(amount, unit), floor_to_unit(amount, unit)
    assert rounded % unit == 0 and floored % unit == 0
    assert abs(rounded - amount) <= Decimal(unit) / 2
    assert 0 <= amount - floored < unit


@pytest.mark.parametrize(
    ("on", "months", "due"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2024, 1, 31), 2, date(2024, 3, 31)),  # from the start date, not chained
        (date(2024, 1, 31), 3, date(2024, 4, 30)),
        (date(2024, 2, 29), 1, date(2024, 3, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2025, 11, 30), 2, date(2026, 1, 30)),  # across the year
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
        (date(2025, 3, 31), 0, date(2025, 3, 31)),
    ],
)
def test_add_months_clamps_to_the_months_end(on: date, months: int, due: date) -> None:
    assert add_months(on, months) == due
