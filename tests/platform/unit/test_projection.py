"""The rule every projection of another service's events follows: a concern
changes only for a newer event (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ishc_platform.projection import set_if_newer


@dataclass
class Row:
    dissolved_on: date | None = None
    status_sequence: int = 0


def test_a_newer_event_sets_the_concern_and_its_sequence() -> None:
    row = Row()
    assert set_if_newer(row, "status_sequence", 3, dissolved_on=date(2025, 12, 31))
    assert row == Row(date(2025, 12, 31), 3)


def test_an_older_or_repeated_event_changes_nothing() -> None:
    row = Row(date(2025, 12, 31), 3)
    assert not set_if_newer(row, "status_sequence", 3, dissolved_on=date(2020, 1, 1))
    assert not set_if_newer(row, "status_sequence", 2, dissolved_on=None)
    assert row == Row(date(2025, 12, 31), 3)
