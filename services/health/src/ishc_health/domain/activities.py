"""Rules of a club's health activities: exercise sessions (dưỡng sinh) and the
volunteers' home-care visits (chăm sóc tại nhà dựa vào tình nguyện viên).

- A session or a visit is dated within the club's life: not in the future, not
  before the club was founded, not after it was dissolved (the day of the
  dissolution still counts: the club was active on it).
- "At least 3 sessions a week" (Vĩnh Long plan, II.2: *tập thể dục dưỡng sinh ...
  ít nhất 3 lần/tuần*), as DOMAIN.md counts it: the sessions in the period ÷ the
  weeks the club was active in it ≥ 3. The weeks are the club's days of activity
  in the period over 7 (a fraction), so a club founded or dissolved mid-period is
  judged only on the days it existed, and a period running past today counts only
  up to today.
- A visit is made by a member flagged as a home-care volunteer (tình nguyện viên)
  of the same club, active on the day, to a member of the club (not the
  volunteer) or to a person of the community, doing at least one task.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Protocol

from ishc_contracts.health_events import Beneficiary, CareTask
from ishc_platform.validation import FieldError

SESSIONS_PER_WEEK = 3
"""The Vĩnh Long plan's floor: dưỡng sinh at least 3 times a week."""
DAYS_PER_WEEK = 7


class MemberFacts(Protocol):
    """What the rules need to know of a member (the directory's row has it)."""

    @property
    def member_id(self) -> str: ...
    @property
    def club_id(self) -> str: ...
    @property
    def joined_on(self) -> date | None: ...
    @property
    def left_on(self) -> date | None: ...
    @property
    def is_volunteer(self) -> bool: ...


# -- dates -----------------------------------------------------------------------------


def check_club_date(
    on: date,
    field: str,
    *,
    today: date,
    founded_on: date | None,
    dissolved_on: date | None,
) -> None:
    """FieldError naming `field` when the club could not have done anything on `on`."""
    if on > today:
        raise FieldError(
            field, f"{field} {on:%d/%m/%Y} is in the future (today is {today:%d/%m/%Y})"
        )
    if founded_on is not None and on < founded_on:
        raise FieldError(
            field, f"{field} {on:%d/%m/%Y} is before the club was founded on {founded_on:%d/%m/%Y}"
        )
    if dissolved_on is not None and on > dissolved_on:
        raise FieldError(
            field,
            f"{field} {on:%d/%m/%Y} is after the club was dissolved on {dissolved_on:%d/%m/%Y}",
        )


def active_on(member: MemberFacts, on: date) -> bool:
    """Whether the person was a member on `on` (from the day they joined to the
    day before they left: the registry's `left_on` is the first day out)."""
    if member.joined_on is not None and on < member.joined_on:
        return False
    return member.left_on is None or on < member.left_on


def active_members_on(members: Iterable[MemberFacts], on: date) -> int:
    return sum(1 for member in members if active_on(member, on))


def check_participants(participants: int, active_members: int, held_on: date) -> None:
    """A session's participants are the club's members: no more than were members
    on the day (a typo such as 500 for 50 shows)."""
    if participants > active_members:
        raise FieldError(
            "participants",
            f"{participants} participants, but the club had {active_members} active members "
            f"on {held_on:%d/%m/%Y}",
            active_members=active_members,
        )


# -- sessions a week -------------------------------------------------------------------


def active_span(
    date_from: date,
    date_to: date,
    *,
    founded_on: date | None,
    dissolved_on: date | None,
    today: date,
) -> tuple[date, date] | None:
    """The days of `date_from`..`date_to` (both included) on which the club was
    active and that have passed (up to today); None when there are none."""
    start = max(date_from, founded_on) if founded_on is not None else date_from
    end = min(date_to, today)
    if dissolved_on is not None:
        end = min(end, dissolved_on)
    return (start, end) if start <= end else None


@dataclass(frozen=True)
class ExerciseRate:
    """Sessions in a period against the weeks the club was active in it."""

    sessions: int
    participants: int
    active_from: date | None
    active_to: date | None
    days_active: int

    @property
    def weeks_active(self) -> Fraction:
        return Fraction(self.days_active, DAYS_PER_WEEK)

    @property
    def per_week(self) -> Fraction | None:
        """Sessions ÷ weeks active; None when the club was not active in the period."""
        if self.days_active == 0:
            return None
        return Fraction(self.sessions * DAYS_PER_WEEK, self.days_active)

    @property
    def meets_rule(self) -> bool | None:
        """At least 3 sessions a week on average (exact: no rounding decides it)."""
        rate = self.per_week
        return None if rate is None else rate >= SESSIONS_PER_WEEK


def exercise_rate(
    held_on: Iterable[tuple[date, int]],
    date_from: date,
    date_to: date,
    *,
    founded_on: date | None,
    dissolved_on: date | None,
    today: date,
) -> ExerciseRate:
    """The club's rate of sessions over `date_from`..`date_to`, from each session's
    date and participants (sessions outside the active days are not counted)."""
    span = active_span(
        date_from, date_to, founded_on=founded_on, dissolved_on=dissolved_on, today=today
    )
    if span is None:
        return ExerciseRate(0, 0, None, None, 0)
    start, end = span
    counted = [people for on, people in held_on if start <= on <= end]
    return ExerciseRate(
        sessions=len(counted),
        participants=sum(counted),
        active_from=start,
        active_to=end,
        days_active=(end - start).days + 1,
    )


def two_places(value: Fraction) -> Decimal:
    """A ratio as shown to people: 2 decimals, half up (21/7 → 3.00, 20/7 → 2.86)."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def default_period(date_to: date | None, date_from: date | None, today: date) -> tuple[date, date]:
    """A summary's period: up to `date_to` (today), from `date_from` (the 12 months
    ending on `date_to`, as the platform's "last 12 months")."""
    end = date_to or today
    if date_from is not None:
        start = date_from
    else:
        try:
            start = end.replace(year=end.year - 1) + timedelta(days=1)
        except ValueError:  # 29/02: a year earlier has no 29/02
            start = date(end.year - 1, 3, 1)
    if start > end:
        raise FieldError(
            "from", f"from {start:%d/%m/%Y} is after to {end:%d/%m/%Y}: the period is empty"
        )
    return start, end


# -- home-care visits ------------------------------------------------------------------


def check_volunteer(volunteer: MemberFacts | None, club_id: str, on: date) -> None:
    """The visitor is a volunteer member of this club, a member on the day."""
    if volunteer is None or volunteer.club_id != club_id:
        # The same words for an unknown id and another club's member: whether the
        # id exists elsewhere (another province) does not leak.
        raise FieldError("volunteer_id", "the volunteer is not a member of this club")
    if not volunteer.is_volunteer:
        raise FieldError(
            "volunteer_id",
            "the member is not a home-care volunteer (tình nguyện viên) of the club",
        )
    if not active_on(volunteer, on):
        raise FieldError(
            "volunteer_id", f"the volunteer was not a member of the club on {on:%d/%m/%Y}"
        )


def check_member_beneficiary(
    member: MemberFacts | None, club_id: str, on: date, volunteer_id: str
) -> None:
    """A member cared for is a member of the same club on the day, not the visitor."""
    field = "beneficiary_member_id"
    if member is None or member.club_id != club_id:
        raise FieldError(field, "the person cared for is not a member of this club")
    if member.member_id == volunteer_id:
        raise FieldError(field, "a volunteer does not visit themself")
    if not active_on(member, on):
        raise FieldError(field, f"the person cared for was not a member on {on:%d/%m/%Y}")


def check_beneficiary_fields(
    beneficiary: Beneficiary,
    *,
    member_id: str | None,
    community_person_given: bool,
    community_person_id: str | None,
) -> None:
    """Exactly the fields of the kind of beneficiary: a member's id; or a person
    of the community, new (`community_person` with a name) or known
    (`community_person_id`, from an earlier visit)."""
    if beneficiary == Beneficiary.MEMBER:
        if member_id is None:
            raise FieldError("beneficiary_member_id", "a visit to a member names the member")
        for given, field in (
            (community_person_given, "community_person"),
            (community_person_id is not None, "community_person_id"),
        ):
            if given:
                raise FieldError(field, f"{field} is for a visit to a person of the community")
        return
    if member_id is not None:
        raise FieldError(
            "beneficiary_member_id", "beneficiary_member_id is for a visit to a member"
        )
    if community_person_given and community_person_id is not None:
        raise FieldError(
            "community_person_id",
            "give either community_person (a new person) or community_person_id "
            "(one visited before), not both",
        )
    if not community_person_given and community_person_id is None:
        raise FieldError(
            "community_person",
            "a visit to a person of the community gives community_person {name} "
            "or the community_person_id of an earlier visit",
        )


def distinct_tasks(tasks: Iterable[CareTask]) -> list[CareTask]:
    """The tasks done, each once, in the list's own order (talking, cooking, ...)."""
    done = set(tasks)
    if not done:
        raise FieldError("tasks", "a visit records at least one task")
    return [task for task in CareTask if task in done]


def standing_consent(
    consents: Iterable[tuple[date, date | None, str]], scope: str, today: date
) -> bool:
    """Whether one of the member's consents (given on, withdrawn on, comma-separated
    scopes) covers `scope` today: given, not withdrawn."""
    return any(
        given_on <= today
        and (withdrawn_on is None or withdrawn_on > today)
        and scope in scopes.split(",")
        for given_on, withdrawn_on, scopes in consents
    )


@dataclass(frozen=True)
class VisitFacts:
    """What a visit's counts need: who was visited, by whom, doing what."""

    beneficiary: Beneficiary
    beneficiary_id: str
    volunteer_id: str
    tasks: tuple[CareTask, ...]


@dataclass(frozen=True)
class VisitCounts:
    """Home care in a period, as counts (no one named): visits, people cared for
    (each person once, however often visited), volunteers who visited, and the
    visits that did each task."""

    visits: int
    people_cared_for: int
    members_cared_for: int
    community_people_cared_for: int
    volunteers: int
    by_task: dict[CareTask, int]


def visit_counts(visits: Iterable[VisitFacts]) -> VisitCounts:
    seen = list(visits)
    people = {(v.beneficiary, v.beneficiary_id) for v in seen}
    return VisitCounts(
        visits=len(seen),
        people_cared_for=len(people),
        members_cared_for=sum(1 for kind, _ in people if kind == Beneficiary.MEMBER),
        community_people_cared_for=sum(1 for kind, _ in people if kind == Beneficiary.COMMUNITY),
        volunteers=len({v.volunteer_id for v in seen}),
        by_task={task: sum(1 for v in seen if task in v.tasks) for task in CareTask},
    )


def parse_tasks(stored: str) -> tuple[CareTask, ...]:
    """The tasks as a visit's row keeps them (comma-separated values)."""
    return tuple(CareTask(value) for value in stored.split(",") if value)
