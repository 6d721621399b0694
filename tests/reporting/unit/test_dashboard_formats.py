"""How the dashboard writes numbers, dates and progress (no app, no database)."""

from __future__ import annotations

from datetime import date

from ishc_reporting.api.dashboard import day, number
from ishc_reporting.domain.plans import progress


def test_numbers_dates_and_progress_as_written() -> None:
    assert number("19.26", "vi") == "19,26" and number("19.26", "en") == "19.26"
    assert number("0.80", "vi") == "0,80" and number("100.00", "en") == "100.00"
    assert number(1234567, "vi") == "1.234.567" and number(1234567, "en") == "1,234,567"
    assert number(None, "vi") == "—"
    assert day("2026-01-31", "vi") == "31/01/2026" and day(date(2026, 1, 31), "en") == "2026-01-31"
    assert progress("19.26", "50") == 38 and progress("60", "50") == 100
    assert progress("1", "0.00") == 100 and progress(None, "50") is None
    assert progress("5", None) is None
