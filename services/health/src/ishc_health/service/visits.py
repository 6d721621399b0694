"""Use cases of volunteers' home-care visits (chăm sóc tại nhà): record one, list
the club's visits, and count them.

A visit names people (the volunteer, the person cared for, perhaps a person of the
community), so recording and listing are for province tokens of the club's
province; the counts (visits, people cared for, tasks) are for national tokens
too. A community person's name and a visit's note are sealed at rest and leave
this service only in the club's list, opened for its province."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts.health_events import Beneficiary, CareTask, ConsentScope, HomeCareVisitMade
from ishc_health import queries, schemas
from ishc_health.adapters.sealing import Sealer
from ishc_health.domain import activities
from ishc_health.models import CommunityPerson, Consent, HomeCareVisit
from ishc_health.service import policy
from ishc_health.service.access import club_for_read, club_for_write
from ishc_health.service.exercise import after_date, ensure_key_free, recheck_key_on_race
from ishc_health.service.writes import new_id
from ishc_platform.auth import Caller
from ishc_platform.clock import today, utcnow
from ishc_platform.directory import DirectoryClub
from ishc_platform.outbox import publish
from ishc_platform.pagination import keyset
from ishc_platform.validation import FieldError


@dataclass(frozen=True)
class VisitView:
    """A visit, and what only its province may read (opened)."""

    visit: HomeCareVisit
    community_person_name: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Counts:
    club: DirectoryClub
    date_from: date
    date_to: date
    counts: activities.VisitCounts


async def _ensure_consent(session: AsyncSession, member_id: str) -> None:
    """A member is cared for and recorded only with a standing consent covering
    home care (PDPL 91/2025: processing health-related data needs consent)."""
    consents = (
        await session.exec(
            select(col(Consent.given_on), col(Consent.withdrawn_on), col(Consent.scopes)).where(
                Consent.member_id == member_id
            )
        )
    ).all()
    if not activities.standing_consent(
        [(given, withdrawn, scopes) for given, withdrawn, scopes in consents],
        ConsentScope.HOME_CARE.value,
        today(),
    ):
        raise FieldError(
            "beneficiary_member_id",
            "the member has no standing consent covering home care: record their consent "
            "(POST /v1/members/{id}/consent with scope home_care) first",
        )


async def _community_person(
    session: AsyncSession, sealer: Sealer, club_id: str, data: schemas.HomeCareVisitIn
) -> str:
    """The id of the community person visited: one of the club's known people, or
    a new one whose name is sealed."""
    if data.community_person_id is not None:
        known = await session.get(CommunityPerson, data.community_person_id)
        if known is None or known.club_id != club_id:
            raise FieldError(
                "community_person_id", "no person of this club's community has that id"
            )
        return known.id
    assert data.community_person is not None  # check_beneficiary_fields saw to it
    person = CommunityPerson(
        id=new_id(),
        club_id=club_id,
        name_sealed=sealer.seal(data.community_person.name),
        created_at=utcnow(),
    )
    session.add(person)
    return person.id


async def record_visit(
    session: AsyncSession,
    caller: Caller,
    club_id: str,
    data: schemas.HomeCareVisitIn,
    sealer: Sealer,
) -> tuple[HomeCareVisit, DirectoryClub]:
    """A volunteer's visit, its beneficiary (a new community person if named), and
    its event (ids, the date and the tasks; never a name or the note)."""
    club = await club_for_write(session, caller, club_id, "recording a home-care visit")
    club_key, province = club.club_id, club.province
    activities.check_beneficiary_fields(
        data.beneficiary,
        member_id=data.beneficiary_member_id,
        community_person_given=data.community_person is not None,
        community_person_id=data.community_person_id,
    )
    activities.check_club_date(
        data.visited_on,
        "visited_on",
        today=today(),
        founded_on=club.founded_on,
        dissolved_on=club.dissolved_on,
    )
    activities.check_volunteer(
        await queries.member(session, data.volunteer_id), club_key, data.visited_on
    )
    tasks = activities.distinct_tasks(data.tasks)
    await ensure_key_free(session, HomeCareVisit, province, data.external_id)
    if data.beneficiary == Beneficiary.MEMBER:
        assert data.beneficiary_member_id is not None
        activities.check_member_beneficiary(
            await queries.member(session, data.beneficiary_member_id),
            club_key,
            data.visited_on,
            data.volunteer_id,
        )
        await _ensure_consent(session, data.beneficiary_member_id)
        beneficiary_id = data.beneficiary_member_id
    else:
        beneficiary_id = await _community_person(session, sealer, club_key, data)
    visit = HomeCareVisit(
        id=new_id(),
        club_id=club_key,
        volunteer_id=data.volunteer_id,
        beneficiary=data.beneficiary,
        beneficiary_id=beneficiary_id,
        visited_on=data.visited_on,
        tasks=",".join(tasks),
        note_sealed=sealer.seal(data.note) if data.note is not None else None,
        external_id=data.external_id,
        created_at=utcnow(),
    )
    try:
        session.add(visit)
        await publish(
            session,
            club_key,
            province,
            HomeCareVisitMade(
                visit_id=visit.id,
                club_id=club_key,
                volunteer_id=data.volunteer_id,
                beneficiary=data.beneficiary,
                beneficiary_id=beneficiary_id,
                visited_on=data.visited_on,
                tasks=tasks,
            ),
        )
        await session.commit()
    except IntegrityError as exc:
        await recheck_key_on_race(session, exc, HomeCareVisit, province, data.external_id)
        raise
    return visit, club


async def list_visits(
    session: AsyncSession,
    caller: Caller,
    club_id: str,
    sealer: Sealer,
    *,
    date_from: date | None,
    date_to: date | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[VisitView], str | None, DirectoryClub]:
    """The club's visits in date order (then id), names and notes opened."""
    policy.require_province_token(caller, "reading home-care visits")
    club = await club_for_read(session, caller, club_id)
    query = select(HomeCareVisit).where(HomeCareVisit.club_id == club.club_id)
    if date_from is not None:
        query = query.where(col(HomeCareVisit.visited_on) >= date_from)
    if date_to is not None:
        query = query.where(col(HomeCareVisit.visited_on) <= date_to)
    position = after_date(cursor, "visited_on")
    if position is not None:
        on, after = position
        query = query.where(
            or_(
                col(HomeCareVisit.visited_on) > on,
                and_(col(HomeCareVisit.visited_on) == on, col(HomeCareVisit.id) > after),
            )
        )
    rows = (
        await session.exec(
            query.order_by(col(HomeCareVisit.visited_on), col(HomeCareVisit.id)).limit(limit + 1)
        )
    ).all()
    page, next_cursor = keyset(
        rows, limit, lambda r: {"visited_on": r.visited_on.isoformat(), "after": r.id}
    )
    people_ids = {v.beneficiary_id for v in page if v.beneficiary == Beneficiary.COMMUNITY}
    people = (
        {
            p.id: p
            for p in (
                await session.exec(
                    select(CommunityPerson).where(col(CommunityPerson.id).in_(sorted(people_ids)))
                )
            ).all()
        }
        if people_ids
        else {}
    )
    views = []
    for visit in page:
        community = visit.beneficiary == Beneficiary.COMMUNITY
        person = people.get(visit.beneficiary_id) if community else None
        views.append(
            VisitView(
                visit,
                community_person_name=sealer.open(person.name_sealed) if person else None,
                note=sealer.open(visit.note_sealed) if visit.note_sealed else None,
            )
        )
    return views, next_cursor, club


async def count_visits(
    session: AsyncSession,
    caller: Caller,
    club_id: str,
    *,
    date_from: date | None,
    date_to: date | None,
) -> Counts:
    """Visits, people cared for and tasks over the period (the last 12 months by
    default): counts, for national and province tokens."""
    club = await club_for_read(session, caller, club_id)
    start, end = activities.default_period(date_to, date_from, today())
    rows = (
        await session.exec(
            select(
                col(HomeCareVisit.beneficiary),
                col(HomeCareVisit.beneficiary_id),
                col(HomeCareVisit.volunteer_id),
                col(HomeCareVisit.tasks),
            ).where(
                HomeCareVisit.club_id == club.club_id,
                col(HomeCareVisit.visited_on) >= start,
                col(HomeCareVisit.visited_on) <= end,
            )
        )
    ).all()
    counts = activities.visit_counts(
        activities.VisitFacts(Beneficiary(kind), person, volunteer, activities.parse_tasks(tasks))
        for kind, person, volunteer, tasks in rows
    )
    return Counts(club, start, end, counts)


def task_list(stored: str) -> list[CareTask]:
    return list(activities.parse_tasks(stored))
