"""Use cases of a member's health insurance (bảo hiểm y tế, BHYT): record a card's
validity, and read the member's history and whether they are covered today.

Insurance is personal: province tokens of the member's province only. The card's
number is sealed at rest and answered only masked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts.health_events import InsuranceRecorded
from ishc_health import schemas
from ishc_health.adapters.sealing import Sealer
from ishc_health.domain import insurance as rules
from ishc_health.models import Insurance
from ishc_health.service.access import member_for_read, member_for_write
from ishc_health.service.writes import new_id
from ishc_platform.auth import Caller
from ishc_platform.clock import today, utcnow
from ishc_platform.directory import DirectoryClub, DirectoryMember
from ishc_platform.errors import conflict, invalid
from ishc_platform.outbox import publish
from ishc_platform.pagination import decode_cursor, keyset


@dataclass(frozen=True)
class CardView:
    """A card's validity and its number, masked."""

    row: Insurance
    province: str
    masked: str | None
    covers_today: bool


@dataclass(frozen=True)
class History:
    member: DirectoryMember
    cards: list[CardView]
    next_cursor: str | None
    as_of: date
    covered_today: bool


def _view(row: Insurance, province: str, sealer: Sealer, on: date) -> CardView:
    card = sealer.open(row.card_sealed) if row.card_sealed is not None else None
    return CardView(
        row,
        province,
        rules.masked(card) if card is not None else None,
        rules.Period(row.valid_from, row.valid_to).covers(on),
    )


async def _periods(session: AsyncSession, member_id: str) -> list[tuple[str, rules.Period]]:
    rows = (
        await session.exec(
            select(col(Insurance.id), col(Insurance.valid_from), col(Insurance.valid_to)).where(
                Insurance.member_id == member_id
            )
        )
    ).all()
    return [(key, rules.Period(start, end)) for key, start, end in rows]


async def record_insurance(
    session: AsyncSession,
    caller: Caller,
    member_id: str,
    data: schemas.InsuranceIn,
    sealer: Sealer,
) -> CardView:
    """A card valid `valid_from`..`valid_to` for a current member, and its event
    (ids and dates; the number stays here)."""
    member, club = await member_for_write(session, caller, member_id, "recording insurance")
    _ensure_current(member, club)
    period = rules.check_period(data.valid_from, data.valid_to)
    clash = rules.overlapping(period, await _periods(session, member.member_id))
    if clash is not None:
        key, held = clash
        raise conflict(
            "valid_from",
            f"the member already has a card valid {held.valid_from:%d/%m/%Y}–"
            f"{held.valid_to:%d/%m/%Y}, which this period overlaps",
            existing_id=key,
        )
    row = Insurance(
        id=new_id(),
        member_id=member.member_id,
        club_id=club.club_id,
        valid_from=period.valid_from,
        valid_to=period.valid_to,
        card_sealed=sealer.seal(data.card_number) if data.card_number is not None else None,
        created_at=utcnow(),
    )
    session.add(row)
    await publish(
        session,
        member.member_id,
        club.province,
        InsuranceRecorded(
            insurance_id=row.id,
            member_id=member.member_id,
            club_id=club.club_id,
            valid_from=period.valid_from,
            valid_to=period.valid_to,
        ),
    )
    await session.commit()
    return _view(row, club.province, sealer, today())


def _ensure_current(member: DirectoryMember, club: DirectoryClub) -> None:
    """Insurance is recorded for a current member (one who left is no longer the
    club's to follow)."""
    now = today()
    if member.left_on is not None and member.left_on <= now:
        raise conflict("member_id", f"the member left the club on {member.left_on:%d/%m/%Y}")
    if club.dissolved_on is not None and club.dissolved_on < now:
        raise conflict(
            "member_id", f"the member's club was dissolved on {club.dissolved_on:%d/%m/%Y}"
        )


async def history(
    session: AsyncSession,
    caller: Caller,
    member_id: str,
    sealer: Sealer,
    *,
    limit: int,
    cursor: str | None,
) -> History:
    """The member's cards by start of validity (then id), and whether any covers today."""
    member = await member_for_read(session, caller, member_id, "reading insurance")
    club_province = await _province_of(session, member)
    query = select(Insurance).where(Insurance.member_id == member.member_id)
    position = decode_cursor(cursor, {"valid_from", "after"})
    if position is not None:
        try:
            after_on = date.fromisoformat(position["valid_from"])
        except ValueError:
            raise invalid("cursor", "the cursor is not one this API returned") from None
        query = query.where(
            or_(
                col(Insurance.valid_from) > after_on,
                and_(col(Insurance.valid_from) == after_on, col(Insurance.id) > position["after"]),
            )
        )
    rows = (
        await session.exec(
            query.order_by(col(Insurance.valid_from), col(Insurance.id)).limit(limit + 1)
        )
    ).all()
    page, next_cursor = keyset(
        rows, limit, lambda r: {"valid_from": r.valid_from.isoformat(), "after": r.id}
    )
    now = today()
    covered = rules.covered_on((p for _, p in await _periods(session, member.member_id)), now)
    return History(
        member,
        [_view(row, club_province, sealer, now) for row in page],
        next_cursor,
        now,
        covered,
    )


async def _province_of(session: AsyncSession, member: DirectoryMember) -> str:
    club = await session.get(DirectoryClub, member.club_id)
    return club.province if club is not None else member.province
