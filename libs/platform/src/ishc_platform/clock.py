"""Time: instants in UTC; calendar dates in Vietnam's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """Today's calendar date in Vietnam, the default `as_of` everywhere."""
    return datetime.now(VIETNAM).date()


def vietnam_date(instant: datetime) -> date:
    if instant.tzinfo is None:
        raise ValueError("instant must carry a time zone")
    return instant.astimezone(VIETNAM).date()
