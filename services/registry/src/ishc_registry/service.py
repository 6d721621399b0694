"""Use cases of the registry: one transaction each, state and outbox events
together. The only place that commits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts import new_event_id
from ishc_contracts import registry_events as ev
from ishc_platform.admin_units import search_key
from ishc_platform.auth import Caller, Role, ensure_collection_allowed, ensure_record_visible
from ishc_platform.clock import today, utcnow
from ishc_platform.db import is_unique_violation
from ishc_platform.errors import Problem, field_error, invalid, not_found
from ishc_platform.models import OutboxEvent
from ishc_platform.outbox import NewEvent, record_event, record_events
from ishc_platform.pagination import decode_cursor, encode_cursor
from ishc_registry import schemas
from ishc_registry.domain import board as board_rules
from ishc_registry.domain import people
from ishc_registry.domain.places import Placement, PlacementError, place
from ishc_registry.models import Activity, AuditEntry, BoardSeat, Club, Meeting, Member


def new_id() -> str:
    return str(new_event_id())


def conflict(field: str, message: str, **extra: Any) -> Problem:
    return Problem(
        409,
        message,
        kind="conflict",
        title="Conflict",
        errors=[field_error(field, message, **extra)],
    )


def forbidden(message: str) -> Problem:
    return Problem(403, message, kind="forbidden")


# -- integrity under concurrency ---------------------------------------------------


@asynccontextmanager
async def unique_or_conflict(
    session: AsyncSession, recheck: Callable[[], Awaitable[None]]
) -> AsyncIterator[None]:
    """Answer a lost race for a unique key as the sequential check does.

    A concurrent request can take a key between our look-up and our commit;
    the unique index then refuses the write (at flush or commit). Roll back
    and run the look-up again: the winner has committed, so `recheck` raises
    the same 409 naming it. `recheck` must not touch ORM objects of the
    session, which the rollback expired."""
    try:
        yield
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        await session.rollback()
        await recheck()
        raise  # not a key the look-up knows: let it be the 500 it is


async def _next_sequences(session: AsyncSession, subjects: Sequence[str]) -> dict[str, int]:
    """The next event sequence of each aggregate, in one query (bulk changes).
    Callers hold the aggregates' rows locked, so no other writer takes them."""
    rows = await session.exec(
        select(OutboxEvent.subject, func.max(OutboxEvent.sequence))
        .where(col(OutboxEvent.subject).in_(subjects))
        .group_by(col(OutboxEvent.subject))
    )
    last = {subject: sequence for subject, sequence in rows.all()}
    return {subject: (last.get(subject) or 0) + 1 for subject in subjects}


# -- who may do what ------------------------------------------------------------


def require_province_token(caller: Caller, what: str) -> None:
    """Writes, and reads of a person's record, are for province tokens only."""
    if caller.role is not Role.PROVINCE:
        raise forbidden(f"{what} is for province tokens")


def require_reader_of_clubs(caller: Caller) -> None:
    if caller.role is Role.OPS:
        raise forbidden("clubs are read with national or province tokens")


def ensure_covers(caller: Caller, province: str, field: str) -> None:
    if province not in caller.provinces:
        raise Problem(
            403,
            f"the token does not cover province {province}",
            kind="forbidden",
            errors=[field_error(field, f"in province {province}")],
        )


# -- clubs --------------------------------------------------------------------


def _placement(commune_code: str | None, legacy_commune_code: str | None) -> Placement:
    try:
        return place(commune_code, legacy_commune_code)
    except PlacementError as exc:
        raise invalid(exc.field, exc.message, **exc.extra) from None


def _club_facts(club: Club) -> dict[str, Any]:
    return {
        "club_id": club.id,
        "name": club.name,
        "commune_code": club.commune_code,
        "legacy_commune_code": club.legacy_commune_code,
    }


async def _ensure_unique_external_id(
    session: AsyncSession,
    model: type[Club] | type[Meeting] | type[Activity],
    province: str,
    external_id: str | None,
    own_id: str | None = None,
) -> None:
    if external_id is None:
        return
    query = select(model.id).where(model.province == province, model.external_id == external_id)
    existing = await session.scalar(query)
    if existing is not None and existing != own_id:
        raise conflict(
            "external_id",
            f"external_id {external_id!r} is taken in province {province}",
            existing_id=existing,
        )


async def register_club(session: AsyncSession, caller: Caller, data: schemas.ClubIn) -> Club:
    require_province_token(caller, "registering a club")
    placement = _placement(data.commune_code, data.legacy_commune_code)
    ensure_covers(caller, placement.province, "commune_code")
    if data.founded_on > today():
        raise invalid("founded_on", "founded_on is in the future")
    await _ensure_unique_external_id(session, Club, placement.province, data.external_id)
    async with unique_or_conflict(
        session,
        lambda: _ensure_unique_external_id(session, Club, placement.province, data.external_id),
    ):
        return await _insert_club(session, data, placement)


async def _insert_club(session: AsyncSession, data: schemas.ClubIn, placement: Placement) -> Club:
    now = utcnow()
    club = Club(
        id=new_id(),
        province=placement.province,
        commune_code=placement.commune_code,
        legacy_commune_code=placement.legacy_commune_code,
        hamlet=data.hamlet,
        name=data.name,
        name_key=search_key(data.name),
        founded_on=data.founded_on,
        external_id=data.external_id,
        created_at=now,
        updated_at=now,
    )
    session.add(club)
    await record_event(
        session,
        event_type="ishc.registry.club.registered.v1",
        subject=club.id,
        province=club.province,
        new_aggregate=True,
        data=ev.ClubRegistered(**_club_facts(club), founded_on=club.founded_on),
    )
    await session.commit()
    return club


async def load_club(session: AsyncSession, caller: Caller, club_id: str) -> Club:
    """A club the caller may see; 404 for one of another province."""
    require_reader_of_clubs(caller)
    club = await session.get(Club, club_id)
    if club is None:
        raise not_found("club")
    ensure_record_visible(caller, club.province, "club")
    return club


async def _club_for_write(session: AsyncSession, caller: Caller, club_id: str, what: str) -> Club:
    """The club, locked until commit: its checks and the change they guard are
    one step (SELECT … FOR UPDATE on PostgreSQL, where replicas and requests
    write at once; SQLite's BEGIN IMMEDIATE already serialises writers).
    Every write that reads the club, or records an event of the club, takes it."""
    require_province_token(caller, what)
    club = await session.get(Club, club_id, with_for_update=True, populate_existing=True)
    if club is None:
        raise not_found("club")
    ensure_record_visible(caller, club.province, "club")
    return club


def check_version(current: int, expected: int | None) -> None:
    if expected is None:
        raise Problem(428, "send If-Match with the ETag you read", kind="precondition-required")
    if expected != current:
        raise Problem(
            412, "the record changed since you read it; read it again", kind="precondition-failed"
        )


async def update_club(
    session: AsyncSession,
    caller: Caller,
    club_id: str,
    patch: schemas.ClubPatch,
    expected_version: int | None,
) -> Club:
    club = await _club_for_write(session, caller, club_id, "updating a club")
    check_version(club.version, expected_version)
    changes = patch.model_dump(exclude_unset=True)
    for field in ("name", "founded_on"):
        if field in changes and changes[field] is None:
            raise invalid(field, f"{field} cannot be emptied")
    if "founded_on" in changes and changes["founded_on"] > today():
        raise invalid("founded_on", "founded_on is in the future")
    province, own_id = club.province, club.id
    if "external_id" in changes:
        await _ensure_unique_external_id(session, Club, province, changes["external_id"], own_id)
    async with unique_or_conflict(
        session,
        lambda: _ensure_unique_external_id(
            session, Club, province, changes.get("external_id"), own_id
        ),
    ):
        for field, value in changes.items():
            setattr(club, field, value)
        club.name_key = search_key(club.name)
        club.version += 1
        club.updated_at = utcnow()
        session.add(club)
        await record_event(
            session,
            event_type="ishc.registry.club.updated.v1",
            subject=club.id,
            province=club.province,
            data=ev.ClubUpdated(**_club_facts(club), founded_on=club.founded_on),
        )
        await session.commit()
    return club


async def relocate_club(
    session: AsyncSession, caller: Caller, club_id: str, data: schemas.RelocationIn
) -> Club:
    club = await _club_for_write(session, caller, club_id, "relocating a club")
    if club.dissolved_on is not None:
        raise conflict("club_id", "a dissolved club cannot move")
    if data.relocated_on > today():
        raise invalid("relocated_on", "relocated_on is in the future")
    placement = _placement(data.commune_code, data.legacy_commune_code)
    ensure_covers(caller, placement.province, "commune_code")
    club_id, external_id, province = club.id, club.external_id, placement.province
    moves = province != club.province
    if moves:
        await _ensure_room_in(session, club_id, external_id, province)
    async with unique_or_conflict(
        session, lambda: _ensure_room_in(session, club_id, external_id, province)
    ):
        club.province = province
        club.commune_code = placement.commune_code
        club.legacy_commune_code = placement.legacy_commune_code
        club.hamlet = data.hamlet
        club.version += 1
        club.updated_at = utcnow()
        session.add(club)
        await record_event(
            session,
            event_type="ishc.registry.club.relocated.v1",
            subject=club.id,
            province=club.province,
            data=ev.ClubRelocated(**_club_facts(club), relocated_on=data.relocated_on),
        )
        if moves:
            await _move_belongings(session, club_id, province, club.updated_at)
        await session.commit()
    return club


async def _ensure_room_in(
    session: AsyncSession, club_id: str, external_id: str | None, province: str
) -> None:
    """409 when a key of the club or of what it holds is taken in `province`
    (keys are unique per province): above all a person who is already an
    active member there, who cannot hold two active memberships."""
    await _ensure_unique_external_id(session, Club, province, external_id, club_id)
    errors: list[dict[str, Any]] = []
    there = aliased(Member)
    members = await session.exec(
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
    for member_id, key, holder_id, holder_club_id in members.all():
        errors.append(
            field_error(
                "external_id",
                f"person {key!r} is already an active member of a club in province {province}",
                member_id=member_id,
                conflicting_member_id=holder_id,
                conflicting_club_id=holder_club_id,
            )
        )
    errors += await _taken_keys(session, Meeting, club_id, province)
    errors += await _taken_keys(session, Activity, club_id, province)
    if errors:
        raise Problem(
            409,
            f"the club cannot move to province {province}: {len(errors)} key(s) are taken there",
            kind="conflict",
            title="Conflict",
            errors=errors,
        )


async def _taken_keys[T: (Meeting, Activity)](
    session: AsyncSession, model: type[T], club_id: str, province: str
) -> list[dict[str, Any]]:
    """The club's records whose external_id another record holds in `province`."""
    kind = model.__tablename__
    other = aliased(model)
    records = await session.exec(
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
    return [
        field_error(
            "external_id",
            f"{kind} external_id {key!r} is taken in province {province}",
            **{f"{kind}_id": record_id},
            existing_id=existing_id,
        )
        for record_id, key, existing_id in records.all()
    ]


async def _move_belongings(
    session: AsyncSession, club_id: str, province: str, now: datetime
) -> None:
    """Whatever belongs to the club follows it to `province`, so access (which
    reads each record's province) follows the club: one UPDATE per table. Each
    member gets a `member.updated` event whose envelope names the new province,
    which is what the finance and health directories and reporting file members
    by. Audit entries stay: they record what callers of the old province did."""
    for model in (Meeting, Activity):
        await session.exec(
            update(model)
            .where(col(model.club_id) == club_id)
            .values(province=province)
            .execution_options(synchronize_session=False)
        )
    await session.exec(
        update(Member)
        .where(col(Member.club_id) == club_id)
        .values(province=province, version=col(Member.version) + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    # Read after the UPDATE, which waited for any member write in flight: the
    # payloads and sequences include what that write committed.
    rows = (
        await session.exec(
            select(Member.id, *(getattr(Member, f) for f in MEMBER_PAYLOAD_FIELDS))
            .where(col(Member.club_id) == club_id)
            .order_by(col(Member.id))
        )
    ).all()
    sequences = await _next_sequences(session, [row.id for row in rows])
    await record_events(
        session,
        [
            NewEvent(
                event_type="ishc.registry.member.updated.v1",
                subject=row.id,
                province=province,
                data=ev.MemberUpdated(**member_payload(row._mapping)),
                sequence=sequences[row.id],
            )
            for row in rows
        ],
    )


async def dissolve_club(
    session: AsyncSession, caller: Caller, club_id: str, data: schemas.DissolutionIn
) -> Club:
    club = await _club_for_write(session, caller, club_id, "dissolving a club")
    if club.dissolved_on is not None:
        raise conflict("club_id", f"the club was dissolved on {club.dissolved_on}")
    if data.dissolved_on > today():
        raise invalid("dissolved_on", "dissolved_on is in the future")
    if data.dissolved_on < club.founded_on:
        raise invalid("dissolved_on", "dissolved_on is before the club was founded")
    late = (
        await session.exec(
            select(Member.id)
            .where(
                Member.club_id == club.id,
                col(Member.left_on).is_(None),
                Member.joined_on > data.dissolved_on,
            )
            .order_by(col(Member.id))
        )
    ).all()
    if late:
        raise invalid(
            "dissolved_on",
            "some active members joined after dissolved_on: record their departure first",
            member_ids=list(late),
        )
    club.dissolved_on = data.dissolved_on
    club.dissolution_reason = data.reason
    club.version += 1
    club.updated_at = utcnow()
    session.add(club)
    await record_event(
        session,
        event_type="ishc.registry.club.dissolved.v1",
        subject=club.id,
        province=club.province,
        data=ev.ClubDissolved(club_id=club.id, dissolved_on=data.dissolved_on),
    )
    await _end_memberships(session, club.id, club.province, data.dissolved_on, club.updated_at)
    await session.commit()
    return club


async def _end_memberships(
    session: AsyncSession, club_id: str, province: str, on: date, now: datetime
) -> None:
    """A dissolved club has no members: every active membership ends on the
    dissolution date (so the person may join another club), each with its
    `member.left` event, and the board's seats end as they do when members
    leave. Bulk statements: a club has 50-70 members."""
    ended = (
        await session.exec(
            update(Member)
            .where(col(Member.club_id) == club_id, col(Member.left_on).is_(None))
            .values(left_on=on, version=col(Member.version) + 1, updated_at=now)
            .returning(col(Member.id))
            .execution_options(synchronize_session=False)
        )
    ).all()
    member_ids = sorted(member_id for (member_id,) in ended)
    sequences = await _next_sequences(session, member_ids)
    await record_events(
        session,
        [
            NewEvent(
                event_type="ishc.registry.member.left.v1",
                subject=member_id,
                province=province,
                data=ev.MemberLeft(member_id=member_id, club_id=club_id, left_on=on),
                sequence=sequences[member_id],
            )
            for member_id in member_ids
        ],
    )
    seats = await session.exec(
        update(BoardSeat)
        .where(col(BoardSeat.club_id) == club_id, col(BoardSeat.to_on).is_(None))
        .values(to_on=on)
        .execution_options(synchronize_session=False)
    )
    if seats.rowcount:
        await _board_changed(session, club_id, province, on)


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


async def composition(
    session: AsyncSession, club: Club, on: date, older_age: int
) -> people.Composition:
    members = await club_members(session, club.id)
    return people.composition([as_person(m) for m in members], on, older_age)


async def list_clubs(
    session: AsyncSession,
    caller: Caller,
    *,
    province: str | None,
    commune_code: str | None,
    status: str | None,
    q: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[Sequence[Club], str | None]:
    require_reader_of_clubs(caller)
    allowed = ensure_collection_allowed(caller, province)
    query = select(Club).order_by(col(Club.id)).limit(limit + 1)
    if allowed is not None:
        query = query.where(col(Club.province).in_(sorted(allowed)))
    if commune_code is not None:
        query = query.where(Club.commune_code == commune_code)
    if status == "active":
        query = query.where(col(Club.dissolved_on).is_(None))
    elif status == "dissolved":
        query = query.where(col(Club.dissolved_on).is_not(None))
    if q:
        # autoescape: `%` and `_` in a name are letters, not LIKE wildcards
        query = query.where(col(Club.name_key).contains(search_key(q), autoescape=True))
    position = decode_cursor(cursor, {"after"})
    if position is not None:
        query = query.where(Club.id > position["after"])
    rows = (await session.exec(query)).all()
    next_cursor = encode_cursor({"after": rows[limit - 1].id}) if len(rows) > limit else None
    return rows[:limit], next_cursor


# -- members ------------------------------------------------------------------


MEMBER_PAYLOAD_FIELDS = tuple(f for f in ev.MemberJoined.model_fields if f != "member_id")
"""What a member event says of the person (the contract's fields): no name."""


def member_payload(member: Member | Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(member, Mapping):
        member = {f: getattr(member, f) for f in ("id", *MEMBER_PAYLOAD_FIELDS)}
    values = member
    return {"member_id": values["id"], **{f: values[f] for f in MEMBER_PAYLOAD_FIELDS}}


def member_problems(data: schemas.MemberIn, club: Club, on: date) -> list[tuple[str, str]]:
    """Why this person cannot join this club (field, message); empty when they can."""
    problems = people.birth_problems(data.birth_year, data.birth_date, on)
    if data.joined_on > on:
        problems.append(("joined_on", "joined_on is in the future"))
    birth_year = data.birth_date.year if data.birth_date else data.birth_year
    if birth_year is not None and data.joined_on.year < birth_year:
        problems.append(("joined_on", "joined_on is before the member was born"))
    if club.dissolved_on is not None:
        problems.append(("club_id", f"the club was dissolved on {club.dissolved_on}"))
    return problems


def new_member_row(data: schemas.MemberIn, club: Club) -> dict[str, Any]:
    """A new membership's column values (imports insert thousands without ORM objects)."""
    now = utcnow()
    birth_year = data.birth_date.year if data.birth_date else data.birth_year
    assert birth_year is not None  # member_problems has checked it
    return {
        "id": new_id(),
        "club_id": club.id,
        "province": club.province,
        "full_name": data.full_name,
        "name_key": search_key(data.full_name),
        "sex": data.sex,
        "birth_year": birth_year,
        "birth_date": data.birth_date,
        "poverty_status": data.poverty_status,
        "ethnic_minority": data.ethnic_minority,
        "is_volunteer": data.is_volunteer,
        "joined_on": data.joined_on,
        "left_on": None,
        "external_id": data.external_id,
        "erased_at": None,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }


def new_member(data: schemas.MemberIn, club: Club) -> Member:
    return Member(**new_member_row(data, club))


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


async def ensure_not_active_elsewhere(
    session: AsyncSession, province: str, external_id: str | None
) -> None:
    """409 naming the active membership of this person (one per province)."""
    if external_id is None:
        return
    active = await active_membership(session, province, external_id)
    if active is not None:
        raise conflict(
            "external_id",
            "this person is already an active member of a club",
            club_id=active.club_id,
            member_id=active.id,
        )


def raise_first(problems: list[tuple[str, str]]) -> None:
    if problems:
        raise Problem(
            422,
            "; ".join(m for _, m in problems),
            kind="validation",
            title="Invalid request",
            errors=[field_error(f, m) for f, m in problems],
        )


async def join_member(
    session: AsyncSession, caller: Caller, club_id: str, data: schemas.MemberIn
) -> Member:
    club = await _club_for_write(session, caller, club_id, "adding a member")
    problems = member_problems(data, club, today())
    if club.dissolved_on is not None:
        raise conflict("club_id", f"the club was dissolved on {club.dissolved_on}")
    raise_first(problems)
    province = club.province
    await ensure_not_active_elsewhere(session, province, data.external_id)
    async with unique_or_conflict(
        session, lambda: ensure_not_active_elsewhere(session, province, data.external_id)
    ):
        member = new_member(data, club)
        session.add(member)
        await record_event(
            session,
            event_type="ishc.registry.member.joined.v1",
            subject=member.id,
            province=member.province,
            new_aggregate=True,
            data=ev.MemberJoined(**member_payload(member)),
        )
        await session.commit()
    return member


async def audit(
    session: AsyncSession,
    caller: Caller,
    action: str,
    province: str,
    *,
    club_id: str | None = None,
    member_id: str | None = None,
    count: int = 1,
) -> None:
    session.add(
        AuditEntry(
            at=utcnow(),
            caller=caller.sub,
            province=province,
            action=action,
            club_id=club_id,
            member_id=member_id,
            count=count,
        )
    )


async def _member_for(session: AsyncSession, caller: Caller, member_id: str, what: str) -> Member:
    require_province_token(caller, what)
    member = await session.get(Member, member_id)
    if member is None:
        raise not_found("member")
    ensure_record_visible(caller, member.province, "member")
    return member


async def _member_for_write(
    session: AsyncSession, caller: Caller, member_id: str, what: str, *, with_club: bool = False
) -> Member:
    """The member, locked until commit (as `_club_for_write` does for clubs).
    `with_club` locks the club first, for writes that record an event of the
    club (a board change): the same order as dissolution, so neither deadlocks."""
    member = await _member_for(session, caller, member_id, what)
    if with_club:
        await session.get(Club, member.club_id, with_for_update=True, populate_existing=True)
    locked = await session.get(Member, member_id, with_for_update=True, populate_existing=True)
    if locked is None:
        raise not_found("member")
    ensure_record_visible(caller, locked.province, "member")  # it may have moved meanwhile
    return locked


async def read_member(session: AsyncSession, caller: Caller, member_id: str) -> Member:
    member = await _member_for(session, caller, member_id, "reading a member")
    await audit(
        session, caller, "read", member.province, club_id=member.club_id, member_id=member.id
    )
    await session.commit()
    return member


async def list_members(
    session: AsyncSession,
    caller: Caller,
    club_id: str,
    *,
    status: str,
    q: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[Sequence[Member], str | None]:
    require_province_token(caller, "listing members")
    club = await load_club(session, caller, club_id)
    query = (
        select(Member).where(Member.club_id == club.id).order_by(col(Member.id)).limit(limit + 1)
    )
    if status == "active":
        query = query.where(col(Member.left_on).is_(None))
    elif status == "left":
        query = query.where(col(Member.left_on).is_not(None))
    if q:
        key = search_key(q)
        query = query.where(
            or_(col(Member.name_key).contains(key, autoescape=True), col(Member.external_id) == q)
        )
    position = decode_cursor(cursor, {"after"})
    if position is not None:
        query = query.where(Member.id > position["after"])
    rows = (await session.exec(query)).all()
    page = rows[:limit]
    await audit(session, caller, "list", club.province, club_id=club.id, count=len(page))
    await session.commit()
    next_cursor = encode_cursor({"after": rows[limit - 1].id}) if len(rows) > limit else None
    return page, next_cursor


async def update_member(
    session: AsyncSession,
    caller: Caller,
    member_id: str,
    patch: schemas.MemberPatch,
    expected_version: int | None,
) -> Member:
    member = await _member_for_write(session, caller, member_id, "updating a member")
    check_version(member.version, expected_version)
    if member.erased_at is not None:
        raise conflict("member_id", "this member's personal data was erased")
    club = await session.get(Club, member.club_id)
    assert club is not None
    changes = patch.model_dump(exclude_unset=True)
    for field in (
        "full_name",
        "sex",
        "poverty_status",
        "joined_on",
        "ethnic_minority",
        "is_volunteer",
    ):
        if field in changes and changes[field] is None:
            raise invalid(field, f"{field} cannot be emptied")
    merged = schemas.MemberIn.model_validate(
        {
            **{k: getattr(member, k) for k in schemas.MemberIn.model_fields},
            **changes,
            **(
                {"birth_year": None}
                if "birth_date" in changes
                and "birth_year" not in changes
                and changes["birth_date"] is not None
                else {}
            ),
        }
    )
    problems = [p for p in member_problems(merged, club, today()) if p[0] != "club_id"]
    if member.left_on is not None and merged.joined_on > member.left_on:
        problems.append(("joined_on", "joined_on is after left_on"))
    raise_first(problems)
    province = member.province
    new_key = (
        merged.external_id
        if merged.external_id != member.external_id and member.left_on is None
        else None
    )
    await ensure_not_active_elsewhere(session, province, new_key)
    async with unique_or_conflict(
        session, lambda: ensure_not_active_elsewhere(session, province, new_key)
    ):
        for field, value in merged.model_dump().items():
            setattr(member, field, value)
        member.birth_year = merged.birth_date.year if merged.birth_date else merged.birth_year  # type: ignore[assignment]
        member.name_key = search_key(member.full_name)
        member.version += 1
        member.updated_at = utcnow()
        session.add(member)
        await record_event(
            session,
            event_type="ishc.registry.member.updated.v1",
            subject=member.id,
            province=member.province,
            data=ev.MemberUpdated(**member_payload(member)),
        )
        await session.commit()
    return member


async def _end_board_seats(session: AsyncSession, member: Member, on: date) -> bool:
    seats = (
        await session.exec(
            select(BoardSeat).where(
                BoardSeat.member_id == member.id, col(BoardSeat.to_on).is_(None)
            )
        )
    ).all()
    for seat in seats:
        seat.to_on = on
        session.add(seat)
    return bool(seats)


async def leave_member(
    session: AsyncSession, caller: Caller, member_id: str, data: schemas.LeaveIn
) -> Member:
    member = await _member_for_write(
        session, caller, member_id, "recording a departure", with_club=True
    )
    if member.left_on is not None:
        raise conflict("left_on", f"the member left on {member.left_on}")
    if data.left_on < member.joined_on:
        raise invalid("left_on", "left_on is before joined_on")
    if data.left_on > today():
        raise invalid("left_on", "left_on is in the future")
    member.left_on = data.left_on
    member.version += 1
    member.updated_at = utcnow()
    session.add(member)
    await record_event(
        session,
        event_type="ishc.registry.member.left.v1",
        subject=member.id,
        province=member.province,
        data=ev.MemberLeft(member_id=member.id, club_id=member.club_id, left_on=data.left_on),
    )
    if await _end_board_seats(session, member, data.left_on):
        await _board_changed(session, member.club_id, member.province, data.left_on)
    await session.commit()
    return member


async def erase_member(session: AsyncSession, caller: Caller, member_id: str) -> Member:
    """Remove the person's identifying data (PDPL 91/2025); keep the anonymous facts."""
    member = await _member_for_write(session, caller, member_id, "erasing a member's data")
    if member.erased_at is None:
        member.full_name = ""
        member.name_key = ""
        member.external_id = None
        member.birth_date = None  # the day identifies; the year is what indicators need
        member.erased_at = utcnow()
        member.version += 1
        member.updated_at = member.erased_at
        session.add(member)
        await record_event(
            session,
            event_type="ishc.registry.member.updated.v1",
            subject=member.id,
            province=member.province,
            data=ev.MemberUpdated(**member_payload(member)),
        )
        await audit(
            session, caller, "erase", member.province, club_id=member.club_id, member_id=member.id
        )
        await session.commit()
    return member


async def audit_log(
    session: AsyncSession,
    caller: Caller,
    *,
    province: str | None,
    member_id: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[Sequence[AuditEntry], str | None]:
    require_province_token(caller, "reading the audit log")
    allowed = ensure_collection_allowed(caller, province)
    assert allowed is not None
    query = (
        select(AuditEntry)
        .where(col(AuditEntry.province).in_(sorted(allowed)))
        .order_by(col(AuditEntry.id).desc())
        .limit(limit + 1)
    )
    if member_id is not None:
        query = query.where(AuditEntry.member_id == member_id)
    position = decode_cursor(cursor, {"before"})
    if position is not None:
        query = query.where(col(AuditEntry.id) < position["before"])
    rows = (await session.exec(query)).all()
    next_cursor = encode_cursor({"before": rows[limit - 1].id}) if len(rows) > limit else None
    return rows[:limit], next_cursor


# -- board, meetings, activities -------------------------------------------------


async def current_seats(session: AsyncSession, club_id: str) -> Sequence[BoardSeat]:
    return (
        await session.exec(
            select(BoardSeat)
            .where(BoardSeat.club_id == club_id, col(BoardSeat.to_on).is_(None))
            .order_by(col(BoardSeat.id))
        )
    ).all()


async def _board_changed(session: AsyncSession, club_id: str, province: str, on: date) -> None:
    await session.flush()
    seats = await current_seats(session, club_id)
    pairs = [(ev.BoardPosition(s.position), s.member_id) for s in seats]
    await record_event(
        session,
        event_type="ishc.registry.board.changed.v1",
        subject=club_id,
        province=province,
        data=ev.BoardChanged(
            club_id=club_id,
            effective_on=on,
            complete=board_rules.is_complete(pairs),
            seats=[ev.BoardSeatFacts(position=p, member_id=m) for p, m in pairs],
        ),
    )


async def set_board(
    session: AsyncSession, caller: Caller, club_id: str, data: schemas.BoardIn
) -> Sequence[BoardSeat]:
    club = await _club_for_write(session, caller, club_id, "changing the board")
    if club.dissolved_on is not None:
        raise conflict("club_id", f"the club was dissolved on {club.dissolved_on}")
    if data.effective_on > today():
        raise invalid("effective_on", "effective_on is in the future")
    members = await club_members(session, club.id)
    current = {m.id for m in members if people.is_member_on(as_person(m), data.effective_on)}
    proposed = [(s.position, s.member_id) for s in data.seats]
    raise_first(board_rules.board_problems(proposed, current))
    for seat in await current_seats(session, club.id):
        seat.to_on = data.effective_on
        session.add(seat)
    for position, member_id in proposed:
        session.add(
            BoardSeat(
                club_id=club.id, member_id=member_id, position=position, from_on=data.effective_on
            )
        )
    await _board_changed(session, club.id, club.province, data.effective_on)
    await session.commit()
    return await current_seats(session, club.id)


async def board_history(session: AsyncSession, club_id: str) -> Sequence[BoardSeat]:
    return (
        await session.exec(
            select(BoardSeat)
            .where(BoardSeat.club_id == club_id)
            .order_by(col(BoardSeat.from_on), col(BoardSeat.id))
        )
    ).all()


def _check_happened(club: Club, on: date, field: str) -> None:
    if on > today():
        raise invalid(field, f"{field} is in the future")
    if on < club.founded_on:
        raise invalid(field, f"{field} is before the club was founded")
    if club.dissolved_on is not None and on > club.dissolved_on:
        raise invalid(field, f"{field} is after the club was dissolved")


async def record_meeting(
    session: AsyncSession, caller: Caller, club_id: str, data: schemas.MeetingIn
) -> Meeting:
    club = await _club_for_write(session, caller, club_id, "recording a meeting")
    _check_happened(club, data.held_on, "held_on")
    if data.hardship_cases_supported > data.hardship_cases_chosen:
        raise invalid("hardship_cases_supported", "more cases supported than chosen")
    province = club.province
    await _ensure_unique_external_id(session, Meeting, province, data.external_id)
    async with unique_or_conflict(
        session,
        lambda: _ensure_unique_external_id(session, Meeting, province, data.external_id),
    ):
        return await _insert_meeting(session, club, data)


async def _insert_meeting(session: AsyncSession, club: Club, data: schemas.MeetingIn) -> Meeting:
    meeting = Meeting(
        id=new_id(),
        club_id=club.id,
        province=club.province,
        created_at=utcnow(),
        **data.model_dump(),
    )
    session.add(meeting)
    await record_event(
        session,
        event_type="ishc.registry.meeting.held.v1",
        subject=meeting.id,
        province=club.province,
        new_aggregate=True,
        data=ev.MeetingHeld(
            meeting_id=meeting.id, club_id=club.id, **data.model_dump(exclude={"external_id"})
        ),
    )
    await session.commit()
    return meeting


async def record_activity(
    session: AsyncSession, caller: Caller, club_id: str, data: schemas.ActivityIn
) -> Activity:
    club = await _club_for_write(session, caller, club_id, "recording an activity")
    _check_happened(club, data.held_on, "held_on")
    province = club.province
    await _ensure_unique_external_id(session, Activity, province, data.external_id)
    async with unique_or_conflict(
        session,
        lambda: _ensure_unique_external_id(session, Activity, province, data.external_id),
    ):
        return await _insert_activity(session, club, data)


async def _insert_activity(session: AsyncSession, club: Club, data: schemas.ActivityIn) -> Activity:
    activity = Activity(
        id=new_id(),
        club_id=club.id,
        province=club.province,
        created_at=utcnow(),
        **data.model_dump(),
    )
    session.add(activity)
    await record_event(
        session,
        event_type="ishc.registry.activity.held.v1",
        subject=activity.id,
        province=club.province,
        new_aggregate=True,
        data=ev.ActivityHeld(
            activity_id=activity.id, club_id=club.id, **data.model_dump(exclude={"external_id"})
        ),
    )
    await session.commit()
    return activity


async def list_of[T: (Meeting, Activity)](
    session: AsyncSession,
    model: type[T],
    club_id: str,
    date_field: str,
    limit: int,
    cursor: str | None,
) -> tuple[Sequence[T], str | None]:
    query = select(model).where(model.club_id == club_id).order_by(col(model.id)).limit(limit + 1)
    position = decode_cursor(cursor, {"after"})
    if position is not None:
        query = query.where(model.id > position["after"])
    rows = (await session.exec(query)).all()
    next_cursor = encode_cursor({"after": rows[limit - 1].id}) if len(rows) > limit else None
    return rows[:limit], next_cursor


async def count_members(session: AsyncSession, club_id: str) -> int:
    return int(await session.scalar(select(func.count()).where(Member.club_id == club_id)) or 0)
