"""The health indicators' formulas (DOMAIN.md, "Health" and "Indicators"), as
plain functions over plain data. They need no clinical value, and get none: the
health service's events say that a check, a session, a visit or an insurance
card happened, when, and for which club or member, never what was found.

- **Checked twice** (`health_checks_ok`, the Vĩnh Long plan's "at least twice a
  year"): a member on the date with at least 2 checks in the last 12 months up
  to it (`domain.indicators.twelve_months_start`: from the day after the same
  date a year before, the health book's window, 02/12/2025 to 01/12/2026). Over
  the members on the date, per club and rolled up (sum over sum).
- **Exercise** (`exercise_ok`, *dưỡng sinh* at least 3 times a week): the
  sessions of the period ÷ the weeks the club was active in it ≥ 3, weeks as
  the club's days of activity in the period over 7 (a fraction, as the health
  service counts them), compared exactly: `sessions × 7 ≥ 3 × days`. A club
  founded mid-period is judged over the days since its founding. A club check,
  like `board_ok`.
- **Home care**: visits in the period, and the people cared for (each person
  once, however often visited; a member or a person of the community, whose
  name stays in the health service). A person is cared for by one club (a
  member of it, or a person of the community it registered), so clubs' counts add up.
- **Insurance** (BHYT): a member on the date with a card valid on it, both
  ends of the validity included. Over the members on the date.
- **Activity areas**: a check or a session in the last 12 months stands for
  health care, a visit for home care (`domain.indicators.Proxy`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

CHECKS_A_YEAR = 2
SESSIONS_PER_WEEK = 3
DAYS_PER_WEEK = 7


def checked_twice(checked_on: Iterable[date], on: date) -> bool:
    """Whether a member's checks include at least two in the last 12 months up to `on`."""
    # Imported here: `domain.indicators` imports this module (ClubHealth), and the
    # twelve months are its one rule, shared with borrowers and activity areas.
    from ishc_reporting.domain.indicators import in_twelve_months

    return sum(1 for day in checked_on if in_twelve_months(day, on)) >= CHECKS_A_YEAR


def members_checked_twice(checks: Iterable[tuple[str, date]], on: date) -> int:
    """How many of these members (a member id with each check's date; the members
    on `on`) were checked at least twice in the last 12 months up to `on`."""
    by_member: dict[str, list[date]] = {}
    for member, day in checks:
        by_member.setdefault(member, []).append(day)
    return sum(1 for days in by_member.values() if checked_twice(days, on))


def days_active(
    founded_on: date, dissolved_on: date | None, period_start: date, as_of: date
) -> int:
    """The days of `period_start`..`as_of` (both included) on which the club was
    active: from its founding, and not from its dissolution on (a club dissolved
    on a day is no longer active that day, as everywhere in reporting)."""
    start = max(founded_on, period_start)
    end = as_of if dissolved_on is None else min(as_of, dissolved_on - timedelta(days=1))
    return max((end - start).days + 1, 0)


def exercise_ok(sessions: int, active_days: int) -> bool | None:
    """At least 3 sessions a week on average over the days active (exact: no
    rounding decides it); None for a club active no day of the period."""
    if active_days <= 0:
        return None
    return sessions * DAYS_PER_WEEK >= SESSIONS_PER_WEEK * active_days


def insured(valid_from: date, valid_to: date, on: date) -> bool:
    """Whether a card valid `valid_from`..`valid_to` (both included) covers `on`."""
    return valid_from <= on <= valid_to


def people_cared_for(visits: Iterable[tuple[str, str]]) -> int:
    """Each person visited once: (beneficiary kind, beneficiary id) of each visit."""
    return len(set(visits))


@dataclass(frozen=True)
class ClubHealth:
    """What the health facts say of one club as of a date (visits and sessions
    over the period)."""

    members_checked_twice: int = 0  # members on the date, 2+ checks in the 12 months
    exercise_sessions: int = 0  # in the period, on the days the club was active
    home_care_visits: int = 0
    people_cared_for: int = 0
    members_insured: int = 0  # members on the date with a card valid on it


NO_HEALTH = ClubHealth()
