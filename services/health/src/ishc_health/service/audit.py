"""The audit of health books (PDPL 91/2025: access control): who read, printed,
exported or erased whose health data, when and why.

Every read, print and export of a health book, and every erasure, adds a
`HealthBookAccess` row in the transaction of what it records: an answer that
was not audited was not given. The province queries its own rows.

`role` is the token's role, or `auditor` for a province token carrying the
auditor claim (who alone sees what a withdrawn consent hides)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_health.models import HealthBookAccess
from ishc_health.service import policy
from ishc_platform.auth import Caller, ensure_collection_allowed
from ishc_platform.clock import VIETNAM, utcnow
from ishc_platform.directory import DirectoryClub, DirectoryMember
from ishc_platform.pagination import decode_cursor, keyset
from ishc_platform.validation import FieldError

AUDITOR = "auditor"


class Action(StrEnum):
    READ = "read"  # the health book as JSON
    PRINT = "print"  # the printable page
    EXPORT = "export"  # the member's own copy
    ERASE = "erase"  # the clinical values removed


def role_of(caller: Caller) -> str:
    return AUDITOR if caller.auditor else caller.role.value


def record_access(
    session: AsyncSession,
    caller: Caller,
    member: DirectoryMember,
    club: DirectoryClub,
    action: Action,
    reason: str,
) -> None:
    """Add an audit row to the session's transaction (committed with the read)."""
    session.add(
        HealthBookAccess(
            member_id=member.member_id,
            club_id=club.club_id,
            province=club.province,
            accessed_by=caller.sub,
            role=role_of(caller),
            action=action.value,
            reason=reason,
            at=utcnow(),
        )
    )


def _start_of(day: date) -> datetime:
    """The first instant of a Vietnamese calendar day, in UTC as stored (SQLite
    compares the stored text)."""
    return datetime.combine(day, time(), tzinfo=VIETNAM).astimezone(UTC)


async def accesses(
    session: AsyncSession,
    caller: Caller,
    *,
    province: str | None,
    member_id: str | None,
    date_from: date | None,
    date_to: date | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[HealthBookAccess], str | None]:
    """The audit of the caller's provinces (or the one asked), newest first;
    `date_from`..`date_to` are days in Vietnam, both included."""
    policy.require_province_token(caller, "the audit of health books")
    allowed = ensure_collection_allowed(caller, province)
    assert allowed is not None  # a province token lists its own provinces
    if date_from is not None and date_to is not None and date_from > date_to:
        raise FieldError("from", "from is after to")
    query = select(HealthBookAccess).where(col(HealthBookAccess.province).in_(sorted(allowed)))
    if member_id is not None:
        query = query.where(HealthBookAccess.member_id == member_id)
    if date_from is not None:
        query = query.where(col(HealthBookAccess.at) >= _start_of(date_from))
    if date_to is not None:
        query = query.where(col(HealthBookAccess.at) < _start_of(date_to + timedelta(days=1)))
    position = decode_cursor(cursor, {"before": int})  # audit ids are integers
    if position is not None:
        query = query.where(col(HealthBookAccess.id) < position["before"])
    rows = (
        await session.exec(query.order_by(col(HealthBookAccess.id).desc()).limit(limit + 1))
    ).all()
    return keyset(rows, limit, lambda r: {"before": r.id})
