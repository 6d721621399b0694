"""The twelve months up to a day: one rule for every service.

Health checks "at least twice a year" (health), borrowers and the activity
areas of the last 12 months (reporting) and the simulator that draws data for
them all read the same window, so it is written once, here, beside the other
rules the services share (`loans.py`, `people.py`).
"""

from __future__ import annotations

from datetime import date, timedelta


def year_before(on: date) -> date:
    """The same date a year before; 28 February for 29 February."""
    try:
        return on.replace(year=on.year - 1)
    except ValueError:
        return on.replace(year=on.year - 1, day=28)


def twelve_months_start(on: date) -> date:
    """The first day of the last 12 months up to `on`: the day after the same
    date a year before (02/12/2025 for 01/12/2026; 01/03/2027 for 29/02/2028)."""
    return year_before(on) + timedelta(days=1)
