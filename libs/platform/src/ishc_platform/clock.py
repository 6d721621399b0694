"""Time: instants in UTC; calendar dates in Vietnam's time zone.

Every "now" and "today" in the platform comes from here, so tests set one clock.
`ISHC_CLOCK_START` (an ISO instant with its offset, e.g. `2026-02-28T17:30:00+00:00`)
starts a process's clock at that instant, running forward from there; tests of
processes use it to pin the date, month ends and the hours when Vietnam's date
differs from UTC's. In-process tests call `set_clock_start`.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
CLOCK_START_VARIABLE = "ISHC_CLOCK_START"

_offset = timedelta(0)


def set_clock_start(start: datetime | None) -> None:
    """Make `utcnow()` read `start` now and run forward from it; None: the real clock."""
    global _offset
    if start is None:
        _offset = timedelta(0)
        return
    if start.tzinfo is None:
        raise ValueError("the clock's start must carry a time zone")
    _offset = start - datetime.now(UTC)


def _from_environment() -> None:
    value = os.environ.get(CLOCK_START_VARIABLE, "").strip()
    if value:
        try:
            set_clock_start(datetime.fromisoformat(value))
        except ValueError as exc:
            raise SystemExit(
                f"{CLOCK_START_VARIABLE}={value!r} is not an ISO instant with an offset: {exc}"
            ) from None


def utcnow() -> datetime:
    return datetime.now(UTC) + _offset


def today() -> date:
    """Today's calendar date in Vietnam, the default `as_of` everywhere."""
    return vietnam_now().date()


def vietnam_now() -> datetime:
    return utcnow().astimezone(VIETNAM)


def as_utc(stored: datetime) -> datetime:
    """A stored instant with its zone: SQLite hands back naive datetimes, which
    the platform always writes in UTC."""
    return stored if stored.tzinfo else stored.replace(tzinfo=UTC)


def vietnam_date(instant: datetime) -> date:
    if instant.tzinfo is None:
        raise ValueError("instant must carry a time zone")
    return instant.astimezone(VIETNAM).date()


_from_environment()
