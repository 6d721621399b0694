"""Reads the registry's use cases share (no authorisation here: the use cases
check the caller through `service.policy` before they read)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import and_, case, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from ishc_contracts import registry_events as ev
from ishc_contracts.tallies import REGISTRY_TALLIES
from ishc_platform.admin_units import search_key
from ishc_platform.models import OutboxEvent
from ishc_platform.pagination import decode_cursor, keyset
from ishc_platform.reconciliation import Tally, TallyScope, add_counts, tally
from ishc_registry.domain import people
from ishc_registry.domain.clubs import KeyClash
from ishc_registry.models import Activity, AuditEntry, BoardSeat, Club, Meeting, Member

KeyedRecord = type[Club] | type[Meeting] | type[Activity]


async def club(session: AsyncSession, club_id: str, *, lock: bool = False) -> Club | None:
    """The club; `lock` holds its row until commit (SELECT … FOR UPDATE), read afresh."""
    if lock:
        return await session.get(Club, club_id, with_for_update=True, populate_existing=True)
    return await session.get(Club, club_id)


async def member(session: AsyncSession, member_id: str, *, lock: bool = False) -> Member | None:
    if lock:
        return await session.get(Member, member_id, with_for_update=True, populate_existing=True)
    return await session.get(Member, member_id)


async def record_province(session: AsyncSession, record_id: str) -> str | None:
    """Where a club, member, meeting or activity lives now (None: no such record).
    The platform's idempotency replays ask it: a record moves with its club."""
    for model in (Member, Club, Meeting, Activity):
        province = await session.scalar(select(model.province).where(model.id == record_id))
        if province is not None:
            return str(province)
    return None


async def holder_of_key(
    session: AsyncSession, model: KeyedRecord, province: str, external_id: str
) -> str | None:
    """The id of the record of `model` holding `external_id` in `province`."""
    query = select(model.id).where(model.province == province, model.external_id == external_id)
    return await session.scalar(query)


async def active_membership(
    session: AsyncSession, province: str, external_id: str
) -> Member | None:
    return (
        await session.exec(
            select(Member).where(
                Member.province == province,
                Member.external_id == external_id,
                col(Member.left_on).is_(None),
            )
        )
    ).first()


async def club_members(session: AsyncSession, club_id: str) -> Sequence[Member]:
    return (await session.exec(select(Member).where(Member.club_id == club_id))).all()


def as_person(member: Member) -> people.Person:
    return people.Person(
        sex=ev.Sex(member.sex),
        birth_year=member.birth_year,
        birth_date=member.birth_date,
        poverty_status=ev.PovertyStatus(member.poverty_status),
        is_volunteer=member.is_volunteer,
        ethnic_minority=member.ethnic_minority,
        joined_on=member.joined_on,
        left_on=member.left_on,
    )


async def late_joiners(session: AsyncSession, club_id: str, after: date) -> list[str]:
    """Active members of the club who joined after `after`, by id."""
    return list(
        (
            await session.exec(
                select(Member.id)
                .where(
                    Member.club_id == club_id,
                    col(Member.left_on).is_(None),
                    Member.joined_on > after,
                )
                .order_by(col(Member.id))
            )
        ).all()
    )


async def current_seats(session: AsyncSession, club_id: str) -> Sequence[BoardSeat]:
    return (
        await session.exec(
            select(BoardSeat)
            .where(BoardSeat.club_id == club_id, col(BoardSeat.to_on).is_(None))
            .order_by(col(BoardSeat.id))
        )
    ).all()


async def open_seats_of(session: AsyncSession, member_id: str) -> Sequence[BoardSeat]:
    return (
        await session.exec(
            select(BoardSeat).where(
                BoardSeat.member_id == member_id, col(BoardSeat.to_on).is_(None)
            )
        )
    ).all()


async def board_history(session: AsyncSession, club_id: str) -> Sequence[BoardSeat]:
    return (
        await session.exec(
            select(BoardSeat)
            .where(BoardSeat.club_id == club_id)
            .order_by(col(BoardSeat.from_on), col(BoardSeat.id))
        )
    ).all()


async def next_sequences(session: AsyncSession, subjects: Sequence[str]) -> dict[str, int]:
    """The next event sequence of each aggregate, in one query (bulk changes).
    Callers hold the aggregates' rows locked, so no other writer takes them."""
    rows = await session.exec(
        select(OutboxEvent.subject, func.max(OutboxEvent.sequence))
        .where(col(OutboxEvent.subject).in_(subjects))
        .group_by(col(OutboxEvent.subject))
    )
    last = {subject: sequence for subject, sequence in rows.all()}
    return {subject: (last.get(subject) or 0) + 1 for subject in subjects}


async def active_key_clashes(session: AsyncSession, club_id: str, province: str) -> list[KeyClash]:
    """Active members of the club whose person is already active in `province`."""
    there = aliased(Member)
    rows = await session.exec(
        select(Member.id, Member.external_id, there.id, there.club_id)
        .join(
            there,
            and_(
                col(there.province) == province,
                col(there.external_id) == col(Member.external_id),
                col(there.left_on).is_(None),
            ),
        )
        .where(Member.club_id == club_id, col(Member.left_on).is_(None))
        .order_by(col(Member.id))
    )
    return [KeyClash(m, str(k), h, c) for m, k, h, c in rows.all()]


async def taken_keys[T: (Meeting, Activity)](
    session: AsyncSession, model: type[T], club_id: str, province: str
) -> list[tuple[str, str, str]]:
    """The club's records whose external_id another record holds in `province`:
    (record id, key, holder id)."""
    other = aliased(model)
    rows = await session.exec(
        select(model.id, model.external_id, other.id)
        .join(
            other,
            and_(
                col(other.province) == province,
                col(other.external_id) == col(model.external_id),
            ),
        )
        .where(model.club_id == club_id)
        .order_by(col(model.id))
    )
    return [(record_id, str(key), holder_id) for record_id, key, holder_id in rows.all()]


# -- pages (keyset on the id) --------------------------------------------------------


async def _page_after[T: (Club, Member, Meeting, Activity)](
    session: AsyncSession, query: SelectOfScalar[T], model: type[T], limit: int, cursor: str | None
) -> tuple[list[T], str | None]:
    position = decode_cursor(cursor, {"after"})
    if position is not None:
        query = query.where(model.id > position["after"])
    rows = (await session.exec(query.order_by(col(model.id)).limit(limit + 1))).all()
    return keyset(rows, limit, lambda row: {"after": row.id})


async def clubs_page(
    session: AsyncSession,
    *,
    provinces: frozenset[str] | None,
    commune_code: str | None,
    status: str | None,
    q: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Club], str | None]:
    """Clubs in `provinces` (None: every one), filtered, in id order."""
    query = select(Club)
    if provinces is not None:
        query = query.where(col(Club.province).in_(sorted(provinces)))
    if commune_code is not None:
        query = query.where(Club.commune_code == commune_code)
    if status == "active":
        query = query.where(col(Club.dissolved_on).is_(None))
    elif status == "dissolved":
        query = query.where(col(Club.dissolved_on).is_not(None))
    if q:
        # autoescape: `%` and `_` in a name are letters, not LIKE wildcards
        query = query.where(col(Club.name_key).contains(search_key(q), autoescape=True))
    return await _page_after(session, query, Club, limit, cursor)


async def members_page(
    session: AsyncSession,
    club_id: str,
    *,
    status: str,
    q: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Member], str | None]:
    query = select(Member).where(Member.club_id == club_id)
    if status == "active":
        query = query.where(col(Member.left_on).is_(None))
    elif status == "left":
        query = query.where(col(Member.left_on).is_not(None))
    if q:
        key = search_key(q)
        query = query.where(
            or_(col(Member.name_key).contains(key, autoescape=True), col(Member.external_id) == q)
        )
    return await _page_after(session, query, Member, limit, cursor)


async def held_page[T: (Meeting, Activity)](
    session: AsyncSession, model: type[T], club_id: str, limit: int, cursor: str | None
) -> tuple[list[T], str | None]:
    """A club's meetings or activities, in id order."""
    return await _page_after(
        session, select(model).where(model.club_id == club_id), model, limit, cursor
    )


async def audit_page(
    session: AsyncSession,
    provinces: frozenset[str],
    *,
    member_id: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[AuditEntry], str | None]:
    """Audit entries of `provinces`, newest first."""
    query = (
        select(AuditEntry)
        .where(col(AuditEntry.province).in_(sorted(provinces)))
        .order_by(col(AuditEntry.id).desc())
        .limit(limit + 1)
    )
    if member_id is not None:
        query = query.where(AuditEntry.member_id == member_id)
    position = decode_cursor(cursor, {"before": int})  # audit ids are integers
    if position is not None:
        query = query.where(col(AuditEntry.id) < position["before"])
    rows = (await session.exec(query)).all()
    return keyset(rows, limit, lambda row: {"before": row.id})


# -- reconciliation (ishc_platform.reconciliation) ----------------------------------

RECONCILIATION_TALLIES = REGISTRY_TALLIES


async def club_tallies(session: AsyncSession, scope: TallyScope) -> list[Tally]:
    """Per club of the scope, its registry tallies (`RECONCILIATION_TALLIES`) of
    what was created by `scope.as_of`."""
    query = select(Club.id, Club.province, col(Club.dissolved_on)).where(
        col(Club.created_at) <= scope.as_of
    )
    if scope.province is not None:
        query = query.where(Club.province == scope.province)
    if scope.after is not None:
        query = query.where(Club.id > scope.after)
    clubs = (await session.exec(query.order_by(col(Club.id)).limit(scope.limit))).all()
    ids = [club_id for club_id, _, _ in clubs]
    found: dict[str, dict[str, int]] = {}
    if ids:
        members = (
            select(
                Member.club_id,
                func.count(),
                func.count(case((col(Member.left_on).is_(None), 1))),
            )
            .where(col(Member.club_id).in_(ids), col(Member.created_at) <= scope.as_of)
            .group_by(col(Member.club_id))
        )
        add_counts(found, (await session.exec(members)).all(), "members", "members_active")
        meetings = (
            select(
                Meeting.club_id,
                func.count(),
                func.sum(Meeting.attendance),
                func.sum(Meeting.hardship_cases_supported),
            )
            .where(col(Meeting.club_id).in_(ids), col(Meeting.created_at) <= scope.as_of)
            .group_by(col(Meeting.club_id))
        )
        add_counts(
            found,
            (await session.exec(meetings)).all(),
            "meetings",
            "meeting_attendance",
            "hardship_cases_supported",
        )
        activities = (
            select(Activity.club_id, func.count(), func.sum(Activity.participants))
            .where(col(Activity.club_id).in_(ids), col(Activity.created_at) <= scope.as_of)
            .group_by(col(Activity.club_id))
        )
        add_counts(
            found, (await session.exec(activities)).all(), "activities", "activity_participants"
        )
    return [
        tally(
            club_id,
            province,
            RECONCILIATION_TALLIES,
            clubs=1,
            dissolved=int(dissolved_on is not None),
            **found.get(club_id, {}),
        )
        for club_id, province, dissolved_on in clubs
    ]
