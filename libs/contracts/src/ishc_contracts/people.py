"""How old a member is, as every service counts it (DOMAIN.md, "Conventions").

Many older rural members know only their birth year: age is exact from a birth
date, and `year(on) - birth_year` when only the year is known.
"""

from __future__ import annotations

from datetime import date

DEFAULT_OLDER_AGE = 60  # Law on the Elderly; a plan may count from 55


def age_on(birth_year: int, birth_date: date | None, on: date) -> int:
    if birth_date is None:
        return on.year - birth_year
    had_birthday = (on.month, on.day) >= (birth_date.month, birth_date.day)
    return on.year - birth_date.year - (0 if had_birthday else 1)


def older_cutoff(on: date, older_age: int) -> tuple[date, int]:
    """Who is at least `older_age` on `on`: born on or before the date returned,
    or, with only a birth year, in or before the year returned."""
    year = on.year - older_age
    try:
        latest_birth_date = on.replace(year=year)
    except ValueError:  # 29 February in a year without one
        latest_birth_date = date(year, 2, 28)
    return latest_birth_date, year
