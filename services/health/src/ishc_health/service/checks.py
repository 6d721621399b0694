"""Use cases of health checks: record one, list a member's.

A check needs a member of the club on its date, under a standing consent
covering health checks given on or before it. Its values and the station's name
are one sealed document (`values_sealed`); what reporting needs (who, when, by
whom) stays in clear, and its event says nothing of what was found.

Refusals: a value out of its range, a diastolic pressure not below the systolic,
a future date or one before the member joined are 422s naming the field; a
member without such a consent, or who had left by the check's date, is a 409
naming `member_id` (the member's state, not the request, is what stands in the way)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import structlog
from sqlalchemy import and_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts.health_events import Checker, ConsentScope
from ishc_health import queries, schemas
from ishc_health.adapters.sealing import MissingHealthKey, Sealer
from ishc_health.domain import checks as rules
from ishc_health.domain import consent as consent_rules
from ishc_health.models import HealthCheck
from ishc_health.service.access import member_for_read, member_for_write
from ishc_health.service.consent import consents_of, facts_of
from ishc_health.service.writes import new_id
from ishc_platform.auth import Caller
from ishc_platform.clock import today, utcnow
from ishc_platform.directory import DirectoryClub
from ishc_platform.errors import Problem, conflict, field_error, invalid
from ishc_platform.outbox import publish
from ishc_platform.pagination import decode_cursor, keyset
from ishc_platform.validation import FieldError

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class CheckView:
    row: HealthCheck
    province: str


# -- the sealed document ---------------------------------------------------------------


def seal_check(sealer: Sealer, values: rules.CheckValues, station: str | None) -> str:
    """One sealed document per check: its values (decimals as strings) and station."""
    return sealer.seal({"values": values.document(), "station": station})


def key_unavailable() -> Problem:
    """A sealed value opens under none of the keys: a configuration fault (a key
    removed before `rotate_keys` ran, or the wrong key), not the caller's. Nothing
    is answered nor audited; putting the old key back (second) recovers it all."""
    return Problem(
        503,
        "the health data cannot be opened with the keys this service holds "
        "(ISHC_HEALTH_KEYS): an operator must restore the key it was sealed with",
        kind="health-key-unavailable",
    )


def open_check(sealer: Sealer, row: HealthCheck) -> tuple[rules.CheckValues, str | None] | None:
    """The check's values and station; None once erased."""
    if row.values_sealed is None:
        return None
    try:
        document: dict[str, Any] = sealer.open(row.values_sealed)
    except MissingHealthKey:
        # Which row, never what it holds.
        log.error("health.key_unavailable", table="health_check", record_id=row.id)
        raise key_unavailable() from None
    return rules.CheckValues.from_document(document.get("values") or {}), document.get("station")


# -- recording -------------------------------------------------------------------------


def _raise_faults(faults: Sequence[rules.Fault]) -> None:
    """One 422 naming every refused value."""
    if faults:
        raise Problem(
            422,
            "; ".join(message for _, message in faults),
            kind="validation",
            title="Invalid request",
            errors=[field_error(name, message) for name, message in faults],
        )


def values_of(data: schemas.HealthCheckIn) -> rules.CheckValues:
    return rules.CheckValues(
        systolic_mmhg=data.systolic_mmhg,
        diastolic_mmhg=data.diastolic_mmhg,
        pulse_bpm=data.pulse_bpm,
        weight_kg=data.weight_kg,
        height_cm=data.height_cm,
        glucose_mmol_l=data.glucose_mmol_l,
    )


async def _check_volunteer(
    session: AsyncSession, data: schemas.HealthCheckIn, club: DirectoryClub
) -> None:
    volunteer = (
        await queries.member(session, data.checker_member_id)
        if data.checker_member_id is not None
        else None
    )
    problem = rules.volunteer_problem(
        checker=data.checker,
        checker_member_id=data.checker_member_id,
        club_id=club.club_id,
        volunteer_club_id=volunteer.club_id if volunteer is not None else None,
        is_volunteer=volunteer.is_volunteer if volunteer is not None else False,
        joined_on=volunteer.joined_on if volunteer is not None else None,
        left_on=volunteer.left_on if volunteer is not None else None,
        checked_on=data.checked_on,
    )
    if problem is not None:
        raise FieldError("checker_member_id", problem)


async def _ensure_key_free(session: AsyncSession, province: str, external_id: str | None) -> None:
    """A check's `external_id` is unique in its province."""
    if external_id is None:
        return
    holder = await session.scalar(
        select(HealthCheck.id)
        .join(DirectoryClub, col(DirectoryClub.club_id) == col(HealthCheck.club_id))
        .where(DirectoryClub.province == province, HealthCheck.external_id == external_id)
    )
    if holder is not None:
        raise conflict(
            "external_id",
            f"external_id {external_id!r} is taken in province {province}",
            existing_id=holder,
        )


async def record_check(
    session: AsyncSession,
    caller: Caller,
    member_id: str,
    data: schemas.HealthCheckIn,
    sealer: Sealer,
) -> CheckView:
    """Record a check (lần khám) with its values sealed, and its event."""
    values = values_of(data)
    _raise_faults(rules.value_problems(values))
    member, club = await member_for_write(session, caller, member_id, "recording a health check")
    rules.check_checked_on(data.checked_on, today=today(), joined_on=member.joined_on)
    if rules.has_left(member.left_on, data.checked_on):
        assert member.left_on is not None
        raise conflict("member_id", f"the member left the club on {member.left_on:%d/%m/%Y}")
    consents = [facts_of(row) for row in await consents_of(session, member.member_id)]
    if not consent_rules.covers(
        consent_rules.standing(consents), ConsentScope.HEALTH_CHECKS, data.checked_on
    ):
        raise conflict(
            "member_id",
            f"the member has no standing consent covering health checks on "
            f"{data.checked_on:%d/%m/%Y}: record the member's consent first",
        )
    await _check_volunteer(session, data, club)
    await _ensure_key_free(session, club.province, data.external_id)
    row = HealthCheck(
        id=new_id(),
        member_id=member.member_id,
        club_id=club.club_id,
        checked_on=data.checked_on,
        checker=data.checker,
        checker_member_id=data.checker_member_id if data.checker is Checker.VOLUNTEER else None,
        values_sealed=seal_check(sealer, rules.normalised(values), data.station),
        recorded_by=caller.sub,
        external_id=data.external_id,
        created_at=utcnow(),
    )
    session.add(row)
    await publish(
        session,
        row.member_id,
        club.province,
        rules.check_done(
            check_id=row.id,
            member_id=row.member_id,
            club_id=row.club_id,
            checked_on=row.checked_on,
            checker=Checker(row.checker),
        ),
    )
    await session.commit()
    return CheckView(row, club.province)


# -- reading ---------------------------------------------------------------------------


async def checks_of(session: AsyncSession, member_id: str) -> list[HealthCheck]:
    """Every check of the member, in date order (a day's in the order recorded)."""
    query = (
        select(HealthCheck)
        .where(HealthCheck.member_id == member_id)
        .order_by(col(HealthCheck.checked_on), col(HealthCheck.created_at), col(HealthCheck.id))
    )
    return list((await session.exec(query)).all())


async def list_checks(
    session: AsyncSession, caller: Caller, member_id: str, *, limit: int, cursor: str | None
) -> tuple[list[CheckView], str | None]:
    """The member's checks in date order, without values (read them in the health
    book). Checks hidden by a withdrawn consent are left out, except for an auditor."""
    member = await member_for_read(session, caller, member_id, "reading a member's checks")
    club = await queries.club(session, member.club_id)
    province = club.province if club is not None else member.province
    query = select(HealthCheck).where(HealthCheck.member_id == member.member_id)
    if not caller.auditor:
        holding = consent_rules.standing(
            facts_of(row) for row in await consents_of(session, member.member_id)
        )
        if holding is None or ConsentScope.HEALTH_CHECKS not in holding.scopes:
            return [], None
        query = query.where(col(HealthCheck.checked_on) >= holding.given_on)
    position = decode_cursor(cursor, {"checked_on", "after"})
    if position is not None:
        try:
            after_on = date.fromisoformat(position["checked_on"])
        except ValueError:
            raise invalid("cursor", "the cursor is not one this API returned") from None
        query = query.where(
            or_(
                col(HealthCheck.checked_on) > after_on,
                and_(
                    col(HealthCheck.checked_on) == after_on, col(HealthCheck.id) > position["after"]
                ),
            )
        )
    rows = (
        await session.exec(
            query.order_by(col(HealthCheck.checked_on), col(HealthCheck.id)).limit(limit + 1)
        )
    ).all()
    page, next_cursor = keyset(
        rows, limit, lambda r: {"checked_on": r.checked_on.isoformat(), "after": r.id}
    )
    return [CheckView(row, province) for row in page], next_cursor
