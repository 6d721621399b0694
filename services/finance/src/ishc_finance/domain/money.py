"""Whole-VND amounts and monthly due dates.

VND has no minor unit: every amount is an integer number of đồng. A club may round
its instalments to 1,000 VND (the last instalment absorbing the rest, DOMAIN.md).
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

ROUNDING_UNITS = (1, 1000)
"""The rounding units a club's regulation may choose: 1 VND or 1,000 VND."""


def _to_unit(amount: Decimal | int, unit: int, rounding: str) -> int:
    if unit < 1:
        raise ValueError(f"a rounding unit is a positive whole number of VND, not {unit}")
    units = (Decimal(amount) / unit).quantize(Decimal(1), rounding=rounding)
    return int(units) * unit


def round_to_unit(amount: Decimal | int, unit: int) -> int:
    """`amount` rounded half up (làm tròn) to a multiple of `unit` VND."""
    return _to_unit(amount, unit, ROUND_HALF_UP)


def floor_to_unit(amount: Decimal | int, unit: int) -> int:
    """`amount` rounded down to a multiple of `unit` VND."""
    return _to_unit(amount, unit, ROUND_FLOOR)


def add_months(on: date, months: int) -> date:
    """The same day of the month `months` later, or the month's last day when it is
    shorter (31/01 + 1 → 28/02, or 29/02 in a leap year).

    Always count from the start date: chaining would drift (31/01 → 28/02 → 28/03)
    where the borrower expects 31/03."""
    index = on.year * 12 + (on.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(on.day, last_day))
