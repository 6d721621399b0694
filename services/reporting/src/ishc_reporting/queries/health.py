"""Reading the health facts: every club's members checked twice in the year,
exercise sessions, home-care visits, people cared for and members insured as of
a date, and the activity areas they stand for, set-wise. Five grouped
statements whatever the number of clubs, members and checks; nothing is read
club by club or member by member, and no member id leaves the database
(members are counted there).

The formulas are `domain/health.py`'s, in SQL: a member counts on the date
(`member_fact`, of the club they are a member of) when they have at least
`CHECKS_A_YEAR` checks from `twelve_months_start(as_of)` to `as_of`, or a card
valid on the date; sessions count from the period's start, or the club's
founding if later, to the date; visits and the people they cared for over the
period. The areas (`domain.indicators.Proxy`) come from a check, a session or a
visit in the window the caller passes (the last 12 months). The tests check
both against hand-worked values.

No access checks here: callers pass the scope they may read.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import distinct, func, literal, or_, union
from sqlalchemy import select as select_columns
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_reporting.domain.health import CHECKS_A_YEAR, ClubHealth
from ishc_reporting.domain.indicators import Proxy, area_of, twelve_months_start
from ishc_reporting.models import (
    ClubFact,
    ExerciseSessionFact,
    HealthCheckFact,
    HomeCareVisitFact,
    InsuranceFact,
    MemberFact,
)
from ishc_reporting.queries.scope import Scope, fetch_rows


async def club_health(
    session: AsyncSession, *, as_of: date, period_start: date, areas_since: date, scope: Scope
) -> tuple[dict[str, ClubHealth], dict[str, frozenset[str]]]:
    """Each club's health facts on `as_of` (sessions and visits over
    `period_start`..`as_of`), and the activity areas its checks, sessions and
    visits of `areas_since`..`as_of` stand for (the last 12 months, not the
    period). Clubs without any health fact are left out."""
    checked = await members_checked_twice_by_club(session, as_of, scope)
    insured = await members_insured_by_club(session, as_of, scope)
    sessions = await _sessions(session, as_of, period_start, scope)
    visits = await _visits(session, as_of, period_start, scope)
    areas = await _areas(session, as_of, areas_since, scope)

    result = {
        club_id: ClubHealth(
            members_checked_twice=checked.get(club_id, 0),
            exercise_sessions=sessions.get(club_id, 0),
            home_care_visits=visits.get(club_id, (0, 0))[0],
            people_cared_for=visits.get(club_id, (0, 0))[1],
            members_insured=insured.get(club_id, 0),
        )
        for club_id in checked.keys() | insured.keys() | sessions.keys() | visits.keys()
    }
    return result, areas


def _member_on(as_of: date) -> list[Any]:
    """A membership current on the date."""
    return [
        col(MemberFact.joined_on) <= as_of,
        or_(col(MemberFact.left_on).is_(None), col(MemberFact.left_on) > as_of),
    ]


async def members_checked_twice_by_club(
    session: AsyncSession, as_of: date, scope: Scope
) -> dict[str, int]:
    """`domain.health.members_checked_twice` per club: members on the date (of the
    club they are a member of) with at least two checks in the twelve months up to
    it. The checks are grouped by member first, then joined to the members."""
    c = HealthCheckFact
    twice = (
        select_columns(col(c.member_id).label("member_id"))
        .where(
            col(c.checked_on) >= twelve_months_start(as_of),
            col(c.checked_on) <= as_of,
            *scope.club_column(c.club_id),
        )
        .group_by(col(c.member_id))
        .having(func.count() >= CHECKS_A_YEAR)
        .subquery("twice")
    )
    statement = (
        select_columns(col(MemberFact.club_id), func.count())
        .join(twice, twice.c.member_id == col(MemberFact.member_id))
        .where(*_member_on(as_of), *scope.members())
        .group_by(col(MemberFact.club_id))
    )
    return {club_id: int(n) for club_id, n in await fetch_rows(session, statement)}


async def members_insured_by_club(
    session: AsyncSession, as_of: date, scope: Scope
) -> dict[str, int]:
    """Members on the date (of the club they are a member of) with a health
    insurance card valid on it, each once."""
    i = InsuranceFact
    statement = (
        select_columns(col(MemberFact.club_id), func.count(distinct(col(i.member_id))))
        .join(MemberFact, col(MemberFact.member_id) == col(i.member_id))
        .where(
            col(i.valid_from) <= as_of,
            col(i.valid_to) >= as_of,
            *_member_on(as_of),
            *scope.members(),
            *scope.club_column(i.club_id),
        )
        .group_by(col(MemberFact.club_id))
    )
    return {club_id: int(n) for club_id, n in await fetch_rows(session, statement)}


async def _sessions(
    session: AsyncSession, as_of: date, period_start: date, scope: Scope
) -> dict[str, int]:
    """Each club's exercise sessions in the period on the days it was active: from
    the period's start, or its founding if later, to the date. (A club active on
    the date has not been dissolved by then.)"""
    s = ExerciseSessionFact
    statement = (
        select_columns(col(s.club_id), func.count())
        .join(ClubFact, col(ClubFact.club_id) == col(s.club_id))
        .where(
            col(s.held_on) >= period_start,
            col(s.held_on) <= as_of,
            col(s.held_on) >= col(ClubFact.founded_on),
            *scope.club_column(s.club_id),
        )
        .group_by(col(s.club_id))
    )
    return {club_id: int(n) for club_id, n in await fetch_rows(session, statement)}


async def _visits(
    session: AsyncSession, as_of: date, period_start: date, scope: Scope
) -> dict[str, tuple[int, int]]:
    """Each club's home-care visits in the period, and the people they cared for
    (each once: by kind and id, counted in the database)."""
    v = HomeCareVisitFact
    person = col(v.beneficiary) + ":" + col(v.beneficiary_id)
    statement = (
        select_columns(col(v.club_id), func.count(), func.count(distinct(person)))
        .where(
            col(v.visited_on) >= period_start,
            col(v.visited_on) <= as_of,
            *scope.club_column(v.club_id),
        )
        .group_by(col(v.club_id))
    )
    return {
        club_id: (int(visits), int(people))
        for club_id, visits, people in await fetch_rows(session, statement)
    }


async def _areas(
    session: AsyncSession, as_of: date, since: date, scope: Scope
) -> dict[str, frozenset[str]]:
    """The areas each club's checks, sessions and visits of `since`..`as_of`
    stand for, in one statement: each club with each proxy it has, once (UNION)."""
    c, s, v = HealthCheckFact, ExerciseSessionFact, HomeCareVisitFact
    sources = [
        (Proxy.HEALTH_CHECK, col(c.club_id), col(c.checked_on)),
        (Proxy.EXERCISE_SESSION, col(s.club_id), col(s.held_on)),
        (Proxy.HOME_CARE_VISIT, col(v.club_id), col(v.visited_on)),
    ]
    found = union(
        *(
            select_columns(club.label("club_id"), literal(proxy.value).label("proxy")).where(
                day >= since, day <= as_of, *scope.club_column(club)
            )
            for proxy, club, day in sources
        )
    ).subquery("evidence")
    areas: dict[str, set[str]] = defaultdict(set)
    for club_id, proxy in await fetch_rows(session, select_columns(found.c.club_id, found.c.proxy)):
        areas[club_id].add(area_of(Proxy(proxy)).value)
    return {k: frozenset(v) for k, v in areas.items()}
