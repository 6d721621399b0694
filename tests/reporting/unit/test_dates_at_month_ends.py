"""The date-sensitive rules on the days that break date arithmetic: the last
day of a month (which completes it), 29 February, and 31 December."""

from __future__ import annotations

from datetime import date

import pytest

from ishc_contracts.people import older_cutoff
from ishc_reporting.domain.indicators import default_period_start, months_required
from ishc_reporting.domain.report_layout import PeriodKind, period_of

FOUNDED_LONG_AGO = date(2015, 1, 1)


@pytest.mark.parametrize(
    ("as_of", "period_start", "first", "last", "count"),
    [
        (date(2026, 11, 30), date(2025, 12, 1), (2025, 12), (2026, 11), 12),  # a 30-day month's end
        (date(2026, 11, 29), date(2025, 12, 1), (2025, 12), (2026, 10), 11),  # the day before
        (date(2026, 1, 31), date(2025, 2, 1), (2025, 2), (2026, 1), 12),  # a 31-day month's end
        (date(2028, 2, 29), date(2027, 3, 1), (2027, 3), (2028, 2), 12),  # 29 February
        (date(2028, 2, 28), date(2027, 3, 1), (2027, 3), (2028, 1), 11),  # not February's end
        (date(2027, 2, 28), date(2026, 3, 1), (2026, 3), (2027, 2), 12),  # a common year's end
        (date(2026, 12, 31), date(2026, 1, 1), (2026, 1), (2026, 12), 12),  # 31 December
        (date(2027, 1, 1), date(2026, 2, 1), (2026, 2), (2026, 12), 11),  # the new year
    ],
)
def test_the_default_period_and_its_complete_months(
    as_of: date,
    period_start: date,
    first: tuple[int, int],
    last: tuple[int, int],
    count: int,
) -> None:
    assert default_period_start(as_of) == period_start
    required = months_required(FOUNDED_LONG_AGO, None, period_start, as_of)
    assert len(required) == count
    assert min(required) == first and max(required) == last


@pytest.mark.parametrize(
    ("dissolved_on", "last"),
    [
        # A month counts only when the club was active on every day of it.
        (date(2028, 3, 1), (2028, 2)),  # dissolved the day after 29 February
        (date(2028, 2, 29), (2028, 1)),  # dissolved on 29 February: active until the 28th
        (date(2028, 2, 1), (2028, 1)),  # dissolved on 1 February: not active in February
        (date(2027, 1, 1), (2026, 12)),  # dissolved on New Year's Day
        (date(2026, 12, 31), (2026, 11)),  # dissolved on 31 December: active until the 30th
    ],
)
def test_a_club_dissolved_around_a_month_end(dissolved_on: date, last: tuple[int, int]) -> None:
    required = months_required(FOUNDED_LONG_AGO, dissolved_on, date(2026, 1, 1), date(2028, 6, 30))
    assert max(required) == last


@pytest.mark.parametrize(
    ("founded_on", "first"),
    [
        (date(2026, 1, 1), (2026, 1)),  # founded on the 1st: its founding month is asked for
        (date(2026, 1, 31), (2026, 2)),  # founded on 31 January: February first
        (date(2028, 2, 29), (2028, 3)),  # founded on 29 February: March first
        (date(2028, 2, 1), (2028, 2)),  # founded on 1 February of a leap year
        (date(2026, 11, 30), (2026, 12)),  # founded on a 30-day month's last day
    ],
)
def test_the_founding_month_is_asked_for_only_when_the_club_began_on_its_first(
    founded_on: date, first: tuple[int, int]
) -> None:
    required = months_required(founded_on, None, date(2025, 1, 1), date(2028, 12, 31))
    assert min(required) == first


@pytest.mark.parametrize(
    ("as_of", "last"),
    [
        (date(2028, 2, 29), (2028, 2)),  # 29 February completes February
        (date(2028, 2, 28), (2028, 1)),  # the day before does not
        (date(2026, 1, 31), (2026, 1)),
        (date(2026, 1, 30), (2025, 12)),
        (date(2026, 12, 31), (2026, 12)),
        (date(2026, 12, 30), (2026, 11)),
    ],
)
def test_the_current_month_is_asked_for_only_on_its_last_day(
    as_of: date, last: tuple[int, int]
) -> None:
    assert max(months_required(FOUNDED_LONG_AGO, None, date(2025, 1, 1), as_of)) == last


def test_a_period_begun_mid_month_does_not_ask_for_that_month() -> None:
    required = months_required(FOUNDED_LONG_AGO, None, date(2026, 1, 15), date(2026, 3, 31))
    assert required == {(2026, 2), (2026, 3)}


def test_a_club_founded_and_dissolved_inside_one_month_owes_no_month() -> None:
    assert (
        months_required(date(2026, 1, 31), date(2026, 2, 1), date(2025, 1, 1), date(2026, 6, 30))
        == frozenset()
    )
    # Founded on the 1st, dissolved on the 1st of the next month: that one month.
    assert months_required(
        date(2026, 1, 1), date(2026, 2, 1), date(2025, 1, 1), date(2026, 6, 30)
    ) == {(2026, 1)}


@pytest.mark.parametrize(
    ("on", "age", "expected"),
    [
        (date(2028, 2, 29), 60, (date(1968, 2, 29), 1968)),  # a leap year 60 years back
        (date(2028, 2, 29), 61, (date(1967, 2, 28), 1967)),  # none: the 28th
        (date(2026, 12, 31), 60, (date(1966, 12, 31), 1966)),
        (date(2026, 11, 30), 60, (date(1966, 11, 30), 1966)),
        (date(2026, 1, 31), 55, (date(1971, 1, 31), 1971)),
    ],
)
def test_who_is_older_on_a_month_end(on: date, age: int, expected: tuple[date, int]) -> None:
    assert older_cutoff(on, age) == expected


@pytest.mark.parametrize(
    ("kind", "year", "number", "expected"),
    [
        (PeriodKind.QUARTER, 2028, 1, (date(2028, 1, 1), date(2028, 3, 31))),
        (PeriodKind.HALF, 2028, 1, (date(2028, 1, 1), date(2028, 6, 30))),
        (PeriodKind.QUARTER, 2026, 4, (date(2026, 10, 1), date(2026, 12, 31))),
        (PeriodKind.HALF, 2026, 2, (date(2026, 7, 1), date(2026, 12, 31))),
        (PeriodKind.YEAR, 2028, None, (date(2028, 1, 1), date(2028, 12, 31))),
    ],
)
def test_report_periods_end_on_the_last_day(
    kind: PeriodKind, year: int, number: int | None, expected: tuple[date, date]
) -> None:
    assert period_of(kind, year, number) == expected
    start, end = expected
    # A report issued on its period's last day counts that last month as complete.
    assert max(months_required(FOUNDED_LONG_AGO, None, start, end)) == (end.year, end.month)
