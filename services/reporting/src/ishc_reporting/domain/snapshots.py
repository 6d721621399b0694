"""Monthly snapshots of every club's facts (ADR 0008): which dates they serve,
and which snapshots a change makes stale. Pure rules, no I/O.

A snapshot holds each active club's facts as of the last day of a complete
month, over the default period and with one older age. A change to a club
marks it *changed from* the earliest date the change can alter; until the
snapshots of that date and later are rewritten, readers compute that club
afresh, so a snapshot never serves a figure the facts no longer give.
"""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel

from ishc_contracts import finance_events as fe
from ishc_contracts import health_events as he
from ishc_contracts import registry_events as re
from ishc_reporting.domain.indicators import default_period_start

EVERY_DATE = date.min
"""A change that may alter any date of the club's history."""

# Events that add a fact of their own, dated: they can alter only the dates from
# their earliest one on (every figure as of D reads facts dated up to D). Every
# other event may amend facts already recorded (a club's place or founding, a
# member's sex, birth year or joining date), so it alters the club's whole
# history: a new event type is treated so until it is listed here.
_DATED: dict[type[BaseModel], tuple[str, ...]] = {
    re.MemberJoined: ("joined_on",),  # once per member (the registry's new aggregate)
    re.MemberLeft: ("left_on",),
    re.BoardChanged: ("effective_on",),
    re.MeetingHeld: ("held_on",),
    re.ActivityHeld: ("held_on",),
    fe.RegulationAdopted: ("effective_on",),
    fe.FundOpened: ("opened_on",),
    fe.ContributionReceived: ("received_on",),
    fe.LoanDisbursed: ("disbursed_on",),
    fe.RepaymentReceived: ("paid_on",),
    fe.LoanWrittenOff: ("written_off_on",),
    fe.LoanRecovered: ("recovered_on",),
    fe.FeePaid: ("month", "paid_on"),
    fe.ExpenseRecorded: ("spent_on",),
    fe.EntryReversed: ("reversed_on",),
    he.ConsentGiven: ("given_on",),
    he.ConsentWithdrawn: ("withdrawn_on",),
    he.HealthCheckDone: ("checked_on",),
    he.ExerciseSessionHeld: ("held_on",),
    he.HomeCareVisitMade: ("visited_on",),
    he.InsuranceRecorded: ("valid_from",),
}


def changed_from(payload: BaseModel) -> date:
    """The earliest date whose figures the event can alter."""
    fields = _DATED.get(type(payload))
    if fields is None:
        return EVERY_DATE
    return min(getattr(payload, name) for name in fields)


def is_month_end(day: date) -> bool:
    return (day + timedelta(days=1)).day == 1


def last_complete_month_end(today: date) -> date:
    """The last day of the month before today's."""
    return today.replace(day=1) - timedelta(days=1)


def month_ends(first: date, last: date) -> list[date]:
    """The last day of every month from `first`'s to `last`'s, both included."""
    ends = []
    month = first.replace(day=1)
    while month <= last:
        following = (month + timedelta(days=32)).replace(day=1)
        ends.append(following - timedelta(days=1))
        month = following
    return [end for end in ends if end <= last]


def snapshot_serves(as_of: date, period_start: date, today: date) -> bool:
    """Whether a snapshot can answer for this date and period: a month end of a
    complete month, over the default period."""
    return (
        is_month_end(as_of)
        and as_of <= last_complete_month_end(today)
        and period_start == default_period_start(as_of)
    )
