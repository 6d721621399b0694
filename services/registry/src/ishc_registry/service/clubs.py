"""Use cases of clubs: register, read, list, change, relocate, dissolve.
`new_club` and `change_club` are also the spreadsheet import's."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_platform.admin_units import search_key
from ishc_platform.auth import Caller
from ishc_platform.clock import today, utcnow
from ishc_platform.errors import Problem, conflict, invalid
from ishc_registry import queries, schemas
from ishc_registry.domain import clubs as rules
from ishc_registry.domain import events, people
from ishc_registry.domain.events import MEMBER_PAYLOAD_FIELDS
from ishc_registry.domain.places import Placement, place
from ishc_registry.models import Activity, Club, Meeting, Member
from ishc_registry.service import policy
from ishc_registry.service.access import club_for_write, load_club
from ishc_registry.service.members import end_memberships
from ishc_registry.service.writes import (
    changed,
    check_version,
    ensure_unique_external_id,
    new_id,
    publish,
    publish_all,
    raise_first,
    unique_or_conflict,
)


async def register_club(session: AsyncSession, caller: Caller, data: schemas.ClubIn) -> Club:
    policy.require_province_token(caller, "registering a club")
    placement = place(data.commune_code, data.legacy_commune_code)  # FieldError: a 422
    policy.ensure_covers(caller, placement.province, "commune_code")
    raise_first(rules.not_in_future(data.founded_on, "founded_on", today()))
    await ensure_unique_external_id(session, Club, placement.province, data.external_id)
    async with unique_or_conflict(
        session,
        lambda: ensure_unique_external_id(session, Club, placement.province, data.external_id),
    ):
        club = await new_club(session, data, placement)
        await session.commit()
    return club


async def new_club(session: AsyncSession, data: schemas.ClubIn, placement: Placement) -> Club:
    """A new club and its `club.registered` event (the caller commits)."""
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
    await publish(session, club.id, club.province, events.club_registered(club), new_aggregate=True)
    return club


async def change_club(session: AsyncSession, club: Club, changes: Mapping[str, Any]) -> None:
    """Take a checked change of the club's own fields, with its `club.updated`
    event (the caller commits)."""
    for field, value in changes.items():
        setattr(club, field, value)
    club.name_key = search_key(club.name)
    await changed(session, club, events.club_updated(club))


async def read_club(
    session: AsyncSession, caller: Caller, club_id: str, on: date | None, older_age: int
) -> tuple[Club, people.Composition]:
    """A club and its composition on `on` (today when None): counts, never people."""
    club = await load_club(session, caller, club_id)
    members = await queries.club_members(session, club.id)
    return club, people.composition(
        [queries.as_person(m) for m in members], on or today(), older_age
    )


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
) -> tuple[list[Club], str | None]:
    policy.require_reader_of_clubs(caller)
    return await queries.clubs_page(
        session,
        provinces=policy.provinces_listed(caller, province),
        commune_code=commune_code,
        status=status,
        q=q,
        limit=limit,
        cursor=cursor,
    )


async def update_club(
    session: AsyncSession,
    caller: Caller,
    club_id: str,
    patch: schemas.ClubPatch,
    expected_version: int | None,
) -> Club:
    club = await club_for_write(session, caller, club_id, "updating a club")
    check_version(club.version, expected_version)
    changes = patch.model_dump(exclude_unset=True)
    raise_first(rules.club_change_problems(changes, today()))
    province, own_id = club.province, club.id
    if "external_id" in changes:
        await ensure_unique_external_id(session, Club, province, changes["external_id"], own_id)
    async with unique_or_conflict(
        session,
        lambda: ensure_unique_external_id(
            session, Club, province, changes.get("external_id"), own_id
        ),
    ):
        await change_club(session, club, changes)
        await session.commit()
    return club


async def relocate_club(
    session: AsyncSession, caller: Caller, club_id: str, data: schemas.RelocationIn
) -> Club:
    club = await club_for_write(session, caller, club_id, "relocating a club")
    if club.dissolved_on is not None:
        raise conflict("club_id", "a dissolved club cannot move")
    raise_first(rules.not_in_future(data.relocated_on, "relocated_on", today()))
    placement = place(data.commune_code, data.legacy_commune_code)  # FieldError: a 422
    policy.ensure_covers(caller, placement.province, "commune_code")
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
        await changed(session, club, events.club_relocated(club, data.relocated_on))
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
    await ensure_unique_external_id(session, Club, province, external_id, club_id)
    errors = rules.relocation_clash_errors(
        await queries.active_key_clashes(session, club_id, province), province
    )
    meetings = await queries.taken_keys(session, Meeting, club_id, province)
    errors += rules.taken_key_errors("meeting", meetings, province)
    activities = await queries.taken_keys(session, Activity, club_id, province)
    errors += rules.taken_key_errors("activity", activities, province)
    if errors:
        raise Problem(
            409,
            rules.relocation_refused(errors, province),
            kind="conflict",
            title="Conflict",
            errors=errors,
        )


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
    await publish_all(
        session, [(row.id, province, events.member_updated(row._mapping)) for row in rows]
    )


async def dissolve_club(
    session: AsyncSession, caller: Caller, club_id: str, data: schemas.DissolutionIn
) -> Club:
    club = await club_for_write(session, caller, club_id, "dissolving a club")
    if club.dissolved_on is not None:
        raise conflict("club_id", rules.dissolved_message(club.dissolved_on))
    raise_first(
        rules.dissolution_problems(data.dissolved_on, founded_on=club.founded_on, today=today())
    )
    late = await queries.late_joiners(session, club.id, data.dissolved_on)
    if late:
        raise invalid("dissolved_on", rules.LATE_JOINERS, member_ids=late)
    club.dissolved_on = data.dissolved_on
    club.dissolution_reason = data.reason
    await changed(session, club, events.club_dissolved(club.id, data.dissolved_on))
    await end_memberships(session, club.id, club.province, data.dissolved_on, club.updated_at)
    await session.commit()
    return club
