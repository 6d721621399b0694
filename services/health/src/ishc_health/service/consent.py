"""Use cases of a member's consent (sự đồng ý): give it, withdraw it, read its
history. The rules are `domain.consent`'s; each write takes the club's lock
first (`service.access.member_for_write`), checks, writes the consent and its
event, and commits: one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_health import queries, schemas
from ishc_health.domain import consent as rules
from ishc_health.models import Consent, HealthCheck
from ishc_health.service.access import member_for_read, member_for_write
from ishc_health.service.writes import new_id
from ishc_platform.auth import Caller
from ishc_platform.clock import today, utcnow
from ishc_platform.errors import conflict, invalid
from ishc_platform.outbox import publish
from ishc_platform.pagination import decode_cursor, keyset


@dataclass(frozen=True)
class ConsentView:
    row: Consent
    province: str


async def consents_of(session: AsyncSession, member_id: str) -> list[Consent]:
    """The member's consents, oldest first."""
    query = (
        select(Consent)
        .where(Consent.member_id == member_id)
        .order_by(col(Consent.given_on), col(Consent.id))
    )
    return list((await session.exec(query)).all())


def facts_of(row: Consent) -> rules.ConsentFacts:
    return rules.ConsentFacts(row.given_on, rules.scopes_of(row.scopes), row.withdrawn_on)


def _standing_row(rows: list[Consent]) -> Consent | None:
    return next((row for row in rows if row.withdrawn_on is None), None)


async def give_consent(
    session: AsyncSession, caller: Caller, member_id: str, data: schemas.ConsentIn
) -> ConsentView:
    """Record the member's consent; 409 while another stands."""
    member, club = await member_for_write(session, caller, member_id, "recording a consent")
    rows = await consents_of(session, member.member_id)
    holding = _standing_row(rows)
    if holding is not None:
        raise conflict(
            "member_id",
            f"the member's consent of {holding.given_on:%d/%m/%Y} stands: "
            "withdraw it before recording another",
            existing_id=holding.id,
        )
    rules.check_given_on(
        data.given_on,
        today=today(),
        joined_on=member.joined_on,
        left_on=member.left_on,
        withdrawn_before=rules.last_withdrawal(facts_of(r) for r in rows),
    )
    row = Consent(
        id=new_id(),
        member_id=member.member_id,
        club_id=club.club_id,
        given_on=data.given_on,
        purpose=data.purpose,
        scopes=rules.scopes_text(data.scopes),
        recorded_by=caller.sub,
        created_at=utcnow(),
    )
    session.add(row)
    await publish(
        session,
        row.member_id,
        club.province,
        rules.consent_given(
            consent_id=row.id,
            member_id=row.member_id,
            club_id=row.club_id,
            given_on=row.given_on,
            scopes=rules.scopes_of(row.scopes),
        ),
    )
    await session.commit()
    return ConsentView(row, club.province)


async def withdraw_consent(
    session: AsyncSession, caller: Caller, member_id: str, data: schemas.ConsentWithdrawalIn
) -> ConsentView:
    """Withdraw the standing consent: no new record from then on, and the checks
    recorded under it are hidden from everyone but an auditor. The consent stays,
    with its withdrawal."""
    member, club = await member_for_write(session, caller, member_id, "withdrawing a consent")
    row = _standing_row(await consents_of(session, member.member_id))
    if row is None:
        raise conflict("member_id", "the member has no standing consent to withdraw")
    last_check_on = await session.scalar(
        select(func.max(HealthCheck.checked_on)).where(
            HealthCheck.member_id == member.member_id,
            col(HealthCheck.checked_on) >= row.given_on,
        )
    )
    rules.check_withdrawn_on(
        data.withdrawn_on, today=today(), given_on=row.given_on, last_check_on=last_check_on
    )
    row.withdrawn_on = data.withdrawn_on
    row.withdrawn_by = caller.sub
    session.add(row)
    await publish(
        session,
        row.member_id,
        club.province,
        rules.consent_withdrawn(
            consent_id=row.id,
            member_id=row.member_id,
            club_id=row.club_id,
            withdrawn_on=data.withdrawn_on,
        ),
    )
    await session.commit()
    return ConsentView(row, club.province)


async def history(
    session: AsyncSession, caller: Caller, member_id: str, *, limit: int, cursor: str | None
) -> tuple[list[ConsentView], str | None]:
    """The member's consents, given and withdrawn, oldest first (consent periods
    never overlap, so `given_on` orders them)."""
    member = await member_for_read(session, caller, member_id, "reading a member's consent")
    club = await queries.club(session, member.club_id)
    province = club.province if club is not None else member.province
    query = select(Consent).where(Consent.member_id == member.member_id)
    position = decode_cursor(cursor, {"given_on", "after"})
    if position is not None:
        try:
            after_on = date.fromisoformat(position["given_on"])
        except ValueError:
            raise invalid("cursor", "the cursor is not one this API returned") from None
        query = query.where(
            or_(
                col(Consent.given_on) > after_on,
                and_(col(Consent.given_on) == after_on, col(Consent.id) > position["after"]),
            )
        )
    rows = (
        await session.exec(query.order_by(col(Consent.given_on), col(Consent.id)).limit(limit + 1))
    ).all()
    page, next_cursor = keyset(
        rows, limit, lambda r: {"given_on": r.given_on.isoformat(), "after": r.id}
    )
    return [ConsentView(row, province) for row in page], next_cursor
