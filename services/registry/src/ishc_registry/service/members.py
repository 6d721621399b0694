"""Use cases of memberships: join, read, list, change, leave, erase.
`member_values`, `new_member_row` and `change_member` are also the
spreadsheet import's."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_platform.admin_units import search_key
from ishc_platform.auth import Caller
from ishc_platform.clock import today, utcnow
from ishc_platform.errors import conflict, invalid
from ishc_platform.outbox import scrub_logged_payloads
from ishc_registry import queries, schemas
from ishc_registry.domain import clubs as club_rules
from ishc_registry.domain import events
from ishc_registry.domain import members as rules
from ishc_registry.models import BoardSeat, Club, Member
from ishc_registry.service import policy
from ishc_registry.service.access import club_for_write, load_club, member_for, member_for_write
from ishc_registry.service.audit import audit
from ishc_registry.service.board import board_changed
from ishc_registry.service.writes import (
    changed,
    check_version,
    new_id,
    publish,
    publish_all,
    raise_first,
    unique_or_conflict,
)

ERASED_FACTS: dict[str, Any] = {"ethnic_minority": False}
"""What erasure overwrites in the member's logged events (the rest stays anonymous facts)."""


def member_values(data: schemas.MemberIn) -> dict[str, Any]:
    """The person's columns of a membership (the birth year the birth date's)."""
    birth_year = rules.birth_year_of(data)
    assert birth_year is not None  # member_problems has checked it
    return {
        **data.model_dump(),
        "birth_year": birth_year,
        "name_key": search_key(data.full_name),
    }


def new_member_row(data: schemas.MemberIn, club: Club) -> dict[str, Any]:
    """A new membership's column values (imports insert thousands without ORM objects)."""
    now = utcnow()
    return {
        "id": new_id(),
        "club_id": club.id,
        "province": club.province,
        **member_values(data),
        "left_on": None,
        "erased_at": None,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }


async def change_member(session: AsyncSession, member: Member, data: schemas.MemberIn) -> None:
    """Take a checked change of the person's fields, with its `member.updated`
    event (the caller commits)."""
    for field, value in member_values(data).items():
        setattr(member, field, value)
    await changed(session, member, events.member_updated(member))


async def ensure_not_active_elsewhere(
    session: AsyncSession, province: str, external_id: str | None
) -> None:
    """409 naming the active membership of this person (one per province)."""
    if external_id is None:
        return
    active = await queries.active_membership(session, province, external_id)
    if active is not None:
        raise conflict(
            "external_id",
            "this person is already an active member of a club",
            club_id=active.club_id,
            member_id=active.id,
        )


async def join_member(
    session: AsyncSession, caller: Caller, club_id: str, data: schemas.MemberIn
) -> Member:
    club = await club_for_write(session, caller, club_id, "adding a member")
    problems = rules.member_problems(data, club.dissolved_on, today())
    if club.dissolved_on is not None:
        raise conflict("club_id", club_rules.dissolved_message(club.dissolved_on))
    raise_first(problems)
    province = club.province
    await ensure_not_active_elsewhere(session, province, data.external_id)
    async with unique_or_conflict(
        session, lambda: ensure_not_active_elsewhere(session, province, data.external_id)
    ):
        member = Member(**new_member_row(data, club))
        session.add(member)
        await publish(
            session, member.id, member.province, events.member_joined(member), new_aggregate=True
        )
        await session.commit()
    return member


async def read_member(session: AsyncSession, caller: Caller, member_id: str) -> Member:
    member = await member_for(session, caller, member_id, "reading a member")
    audit(session, caller, "read", member.province, club_id=member.club_id, member_id=member.id)
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
) -> tuple[list[Member], str | None]:
    policy.require_province_token(caller, "listing members")
    club = await load_club(session, caller, club_id)
    page, next_cursor = await queries.members_page(
        session, club.id, status=status, q=q, limit=limit, cursor=cursor
    )
    audit(session, caller, "list", club.province, club_id=club.id, count=len(page))
    await session.commit()
    return page, next_cursor


async def update_member(
    session: AsyncSession,
    caller: Caller,
    member_id: str,
    patch: schemas.MemberPatch,
    expected_version: int | None,
) -> Member:
    member = await member_for_write(session, caller, member_id, "updating a member")
    check_version(member.version, expected_version)
    if member.erased_at is not None:
        raise conflict("member_id", "this member's personal data was erased")
    changes = patch.model_dump(exclude_unset=True)
    raise_first(rules.emptied_member_problems(changes))
    current = {k: getattr(member, k) for k in schemas.MemberIn.model_fields}
    try:
        merged = schemas.MemberIn.model_validate(rules.merged_member(current, changes))
    except ValidationError as exc:
        # A stored value that today's rules refuse (written before them): the
        # change cannot be made until that field is corrected in the same PATCH.
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "body"
        raise invalid(field, f"{field}: {first['msg']}; send a corrected value") from None
    raise_first(rules.member_change_problems(merged, member.left_on, today()))
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
        await change_member(session, member, merged)
        await session.commit()
    return member


async def leave_member(
    session: AsyncSession, caller: Caller, member_id: str, data: schemas.LeaveIn
) -> Member:
    member = await member_for_write(
        session, caller, member_id, "recording a departure", with_club=True
    )
    if member.left_on is not None:
        raise conflict("left_on", f"the member left on {member.left_on:%d/%m/%Y}")
    raise_first(rules.leaving_problems(data.left_on, member.joined_on, today()))
    member.left_on = data.left_on
    await changed(session, member, events.member_left(member.id, member.club_id, data.left_on))
    seats = await queries.open_seats_of(session, member.id)
    for seat in seats:
        seat.to_on = data.left_on
        session.add(seat)
    if seats:
        await board_changed(session, member.club_id, member.province, data.left_on)
    await session.commit()
    return member


async def erase_member(session: AsyncSession, caller: Caller, member_id: str) -> Member:
    """Remove the person's identifying data (PDPL 91/2025); keep the anonymous facts."""
    member = await member_for_write(session, caller, member_id, "erasing a member's data")
    if member.erased_at is None:
        member.full_name = ""
        member.name_key = ""
        member.external_id = None
        member.birth_date = None  # the day identifies; the year is what indicators need
        # Sensitive (ethnic origin) and of no use once the person is gone: cleared
        # here, so the event below carries False, and in the member's earlier
        # events in the log, in this transaction (ADR 0007).
        member.ethnic_minority = False
        member.erased_at = utcnow()
        await scrub_logged_payloads(session, member.id, ERASED_FACTS)
        await changed(session, member, events.member_updated(member), at=member.erased_at)
        audit(
            session, caller, "erase", member.province, club_id=member.club_id, member_id=member.id
        )
        await session.commit()
    return member


async def end_memberships(
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
    await publish_all(
        session, [(m, province, events.member_left(m, club_id, on)) for m in member_ids]
    )
    seats = await session.exec(
        update(BoardSeat)
        .where(col(BoardSeat.club_id) == club_id, col(BoardSeat.to_on).is_(None))
        .values(to_on=on)
        .execution_options(synchronize_session=False)
    )
    if seats.rowcount:
        await board_changed(session, club_id, province, on)
