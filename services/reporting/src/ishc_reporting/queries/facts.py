"""Reading the projection: every active club's facts as of a date, computed
set-wise from the facts (a handful of grouped queries, whatever the number of
clubs). Readers call `queries.clubs.active_clubs`, which takes a month's
snapshot where one serves (ADR 0008) and this computation otherwise. No access
checks here: callers pass the provinces or clubs they may read."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from sqlalchemy import and_, func, literal, or_, union
from sqlalchemy import select as select_columns
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts.people import older_cutoff
from ishc_platform import admin_units
from ishc_reporting.domain.finance import NO_FINANCE, ClubFinance
from ishc_reporting.domain.health import NO_HEALTH, ClubHealth, days_active
from ishc_reporting.domain.indicators import (
    HARDSHIP_CASES_A_MEETING,
    ClubFacts,
    Proxy,
    area_of,
    chose_hardship_case,
    months_required,
    twelve_months_start,
)
from ishc_reporting.domain.targets import Depth
from ishc_reporting.models import (
    ActivityFact,
    BoardState,
    ClubFact,
    ClubLocation,
    MeetingFact,
    MemberFact,
)
from ishc_reporting.queries.finance import club_finance
from ishc_reporting.queries.health import club_health
from ishc_reporting.queries.scope import Scope, count_if, fetch_rows

_DISADVANTAGED = ("poor", "near_poor", "disadvantaged")


@dataclass(frozen=True)
class ClubRecord:
    """An active club as of a date: where it was then, and its facts."""

    club_id: str
    name: str | None
    province: str  # current map, from where the club was on the date
    commune_code: str
    legacy_commune_code: str | None
    founded_on: date
    dissolved_on: date | None
    facts: ClubFacts


async def computed_clubs(
    session: AsyncSession,
    *,
    as_of: date,
    period_start: date,
    older_age: int,
    provinces: Collection[str] | None = None,
    club_ids: Collection[str] | None = None,
    depth: Depth = Depth.ALL,
) -> list[ClubRecord]:
    """Clubs active on `as_of` (founded on or before it, not dissolved by it),
    in `provinces` (current codes, where the club is now) when given.
    `depth`: where the clubs are only, or also their members and new members
    over the period, or everything (a target's window of several years needs
    no meetings, money or health read over those years)."""
    # Columns, not ORM objects: at national scale building 20,000 objects costs more than the query.
    club_query = select_columns(
        col(ClubFact.club_id),
        col(ClubFact.name),
        col(ClubFact.province),
        col(ClubFact.commune_code),
        col(ClubFact.legacy_commune_code),
        col(ClubFact.founded_on),
        col(ClubFact.dissolved_on),
    ).where(
        col(ClubFact.founded_on) <= as_of,
        col(ClubFact.commune_code).is_not(None),
        or_(col(ClubFact.dissolved_on).is_(None), col(ClubFact.dissolved_on) > as_of),
    )
    if provinces is not None:
        club_query = club_query.where(col(ClubFact.province).in_(sorted(provinces)))
    if club_ids is not None:
        club_query = club_query.where(col(ClubFact.club_id).in_(sorted(club_ids)))
    clubs = {row.club_id: row for row in await fetch_rows(session, club_query)}
    if not clubs:
        return []
    scope = Scope(provinces, club_ids)

    # Activity areas count over the last 12 months up to the date, whatever the period.
    areas_since = twelve_months_start(as_of)
    places = await _places_on(session, as_of, scope)
    tallies: dict[str, MemberTally] = {}
    if depth >= Depth.MEMBERSHIP:
        tallies = await _member_tallies(session, as_of, period_start, older_age, scope)
    boards: dict[str, bool] = {}
    meetings: dict[str, Meetings] = {}
    areas: dict[str, frozenset[str]] = {}
    finance: dict[str, ClubFinance] = {}
    finance_areas: dict[str, frozenset[str]] = {}
    health: dict[str, ClubHealth] = {}
    health_areas: dict[str, frozenset[str]] = {}
    if depth >= Depth.ALL:
        boards = await _boards_on(session, as_of, scope)
        meetings = await _meetings(session, period_start, as_of, scope)
        areas = await _activity_areas(session, areas_since, as_of, scope)
        finance, finance_areas = await club_finance(
            session, as_of=as_of, period_start=period_start, areas_since=areas_since, scope=scope
        )
        health, health_areas = await club_health(
            session, as_of=as_of, period_start=period_start, areas_since=areas_since, scope=scope
        )

    records = []
    for club_id, club in clubs.items():
        assert club.founded_on is not None and club.commune_code is not None
        commune, legacy = places.get(club_id, (club.commune_code, club.legacy_commune_code))
        tally = tallies.get(club_id, NO_MEMBERS)
        met = meetings.get(club_id, NO_MEETINGS)
        facts = ClubFacts(
            club_id=club_id,
            members=tally.members,
            women=tally.women,
            older=tally.older,
            poor=tally.poor,
            volunteers=tally.volunteers,
            poor_older_women=tally.poor_older_women,
            ethnic_minority_members=tally.ethnic_minority,
            new_members=tally.new_members,
            new_older_members=tally.new_older_members,
            new_older_women=tally.new_older_women,
            founded_in_period=club.founded_on >= period_start,
            board_complete=boards.get(club_id, False),
            # Only with the meetings: a plan's window of years would build a
            # set of sixty months per club for nothing.
            months_required=(
                months_required(club.founded_on, club.dissolved_on, period_start, as_of)
                if depth >= Depth.ALL
                else frozenset()
            ),
            months_met=met.months,
            meetings=met.held,
            meetings_with_hardship_case=met.with_hardship_case,
            activity_areas=areas.get(club_id, frozenset())
            | finance_areas.get(club_id, frozenset())
            | health_areas.get(club_id, frozenset()),
            hardship_cases_supported=met.hardship_cases_supported,
            finance=finance.get(club_id, NO_FINANCE),
            health=health.get(club_id, NO_HEALTH),
            days_active=days_active(club.founded_on, club.dissolved_on, period_start, as_of),
        )
        records.append(
            ClubRecord(
                club_id=club_id,
                name=club.name,
                province=_province_of(commune, club.province),
                commune_code=commune,
                legacy_commune_code=legacy,
                founded_on=club.founded_on,
                dissolved_on=club.dissolved_on,
                facts=facts,
            )
        )
    return records


def _province_of(commune: str, fallback: str | None) -> str:
    unit = admin_units.current_commune(commune)
    return unit.province_code if unit else (fallback or "")


async def _places_on(
    session: AsyncSession, as_of: date, scope: Scope
) -> dict[str, tuple[str, str | None]]:
    """Where clubs that have moved were on the date (the others are where they are now)."""
    rows = await moves_until(session, as_of, scope)
    latest: dict[str, tuple[date, int, str, str | None]] = {}
    for club_id, valid_from, sequence, commune, legacy in rows:
        if club_id not in latest or (valid_from, sequence) > latest[club_id][:2]:
            latest[club_id] = (valid_from, sequence, commune, legacy)
    return {club_id: (v[2], v[3]) for club_id, v in latest.items()}


async def moves_until(
    session: AsyncSession, as_of: date, scope: Scope
) -> list[tuple[str, date, int, str, str | None]]:
    """Every place, up to the date, of the clubs that have moved: (club,
    valid from, sequence, commune, legacy commune); the latest by (valid from,
    sequence) is where the club was on the date."""
    moved = select(ClubLocation.club_id).where(col(ClubLocation.relocation))
    rows = await fetch_rows(
        session,
        select_columns(
            col(ClubLocation.club_id),
            col(ClubLocation.valid_from),
            col(ClubLocation.sequence),
            col(ClubLocation.commune_code),
            col(ClubLocation.legacy_commune_code),
        )
        .where(col(ClubLocation.club_id).in_(moved), col(ClubLocation.valid_from) <= as_of)
        .where(*scope.club_column(ClubLocation.club_id)),
    )
    return [tuple(row) for row in rows]


class MemberTally(NamedTuple):
    """A club's members on the date, and those of them who joined in the period."""

    members: int = 0
    women: int = 0
    older: int = 0
    poor: int = 0  # poor, near-poor or disadvantaged
    volunteers: int = 0
    poor_older_women: int = 0
    ethnic_minority: int = 0
    new_members: int = 0
    new_older_members: int = 0
    new_older_women: int = 0


NO_MEMBERS = MemberTally()


async def _member_tallies(
    session: AsyncSession, as_of: date, period_start: date, older_age: int, scope: Scope
) -> dict[str, MemberTally]:
    # Events carry the birth year only (ADR 0004): age is year(as_of) - birth_year.
    _, latest_birth_year = older_cutoff(as_of, older_age)
    older = col(MemberFact.birth_year) <= latest_birth_year
    woman = col(MemberFact.sex) == "female"
    poor = col(MemberFact.poverty_status).in_(_DISADVANTAGED)
    joined_in_period = col(MemberFact.joined_on) >= period_start
    rows = await fetch_rows(
        session,
        select_columns(
            col(MemberFact.club_id),
            func.count(),
            count_if(woman),
            count_if(older),
            count_if(poor),
            count_if(col(MemberFact.is_volunteer)),
            count_if(and_(woman, older, poor)),
            count_if(col(MemberFact.ethnic_minority)),
            count_if(joined_in_period),
            count_if(and_(joined_in_period, older)),
            count_if(and_(joined_in_period, older, woman)),
        )
        .where(
            col(MemberFact.joined_on) <= as_of,
            or_(col(MemberFact.left_on).is_(None), col(MemberFact.left_on) > as_of),
            *scope.members(),
        )
        .group_by(col(MemberFact.club_id)),
    )
    return {row[0]: MemberTally(*(int(v or 0) for v in row[1:])) for row in rows}


async def _boards_on(session: AsyncSession, as_of: date, scope: Scope) -> dict[str, bool]:
    rows = await fetch_rows(
        session,
        select_columns(
            col(BoardState.club_id),
            col(BoardState.effective_on),
            col(BoardState.sequence),
            col(BoardState.complete),
        )
        .where(col(BoardState.effective_on) <= as_of)
        .where(*scope.club_column(BoardState.club_id)),
    )
    latest: dict[str, tuple[date, int, bool]] = {}
    for club_id, effective_on, sequence, complete in rows:
        if club_id not in latest or (effective_on, sequence) > latest[club_id][:2]:
            latest[club_id] = (effective_on, sequence, complete)
    return {club_id: v[2] for club_id, v in latest.items()}


class Meetings(NamedTuple):
    """A club's meetings of the period."""

    months: frozenset[tuple[int, int]] = frozenset()  # every month with one, required or not
    held: int = 0
    with_hardship_case: int = 0  # that chose at least one hardship case
    hardship_cases_supported: int = 0


NO_MEETINGS = Meetings()


async def _meetings(
    session: AsyncSession, start: date, as_of: date, scope: Scope
) -> dict[str, Meetings]:
    rows = await fetch_rows(
        session,
        select_columns(
            col(MeetingFact.club_id),
            col(MeetingFact.held_on),
            col(MeetingFact.hardship_cases_chosen),
            col(MeetingFact.hardship_cases_supported),
        )
        .where(col(MeetingFact.held_on) >= start, col(MeetingFact.held_on) <= as_of)
        .where(*scope.club_column(MeetingFact.club_id)),
    )
    months: dict[str, set[tuple[int, int]]] = defaultdict(set)
    held: dict[str, int] = defaultdict(int)
    chose: dict[str, int] = defaultdict(int)
    supported: dict[str, int] = defaultdict(int)
    for club_id, held_on, chosen, helped in rows:
        months[club_id].add((held_on.year, held_on.month))
        held[club_id] += 1
        chose[club_id] += chose_hardship_case(chosen)
        supported[club_id] += helped
    return {
        club_id: Meetings(frozenset(months[club_id]), n, chose[club_id], supported[club_id])
        for club_id, n in held.items()
    }


async def _activity_areas(
    session: AsyncSession, since: date, as_of: date, scope: Scope
) -> dict[str, frozenset[str]]:
    """The areas of each club's recorded activities of `since`..`as_of`, and
    self-help for a meeting then that chose at least one hardship case, in one
    statement (UNION: each club with each area once)."""
    a, m = ActivityFact, MeetingFact
    self_help = area_of(Proxy.HARDSHIP_CASE_CHOSEN).value
    found = union(
        select_columns(col(a.club_id).label("club_id"), col(a.area).label("area")).where(
            col(a.held_on) >= since, col(a.held_on) <= as_of, *scope.club_column(a.club_id)
        ),
        select_columns(col(m.club_id), literal(self_help)).where(
            col(m.held_on) >= since,
            col(m.held_on) <= as_of,
            col(m.hardship_cases_chosen) >= HARDSHIP_CASES_A_MEETING,
            *scope.club_column(m.club_id),
        ),
    ).subquery("evidence")
    areas: dict[str, set[str]] = defaultdict(set)
    for club_id, area in await fetch_rows(session, select_columns(found.c.club_id, found.c.area)):
        areas[club_id].add(area)
    return {k: frozenset(v) for k, v in areas.items()}
