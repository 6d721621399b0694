"""Who read, listed, exported or erased members' personal data: the audit log."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_platform.auth import Caller
from ishc_platform.clock import utcnow
from ishc_registry import queries
from ishc_registry.models import AuditEntry
from ishc_registry.service import policy


def audit(
    session: AsyncSession,
    caller: Caller,
    action: str,
    province: str,
    *,
    club_id: str | None = None,
    member_id: str | None = None,
    count: int = 1,
) -> None:
    """Add an entry to the log, in the transaction of what it records."""
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


async def audit_log(
    session: AsyncSession,
    caller: Caller,
    *,
    province: str | None,
    member_id: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[AuditEntry], str | None]:
    policy.require_province_token(caller, "reading the audit log")
    allowed = policy.provinces_listed(caller, province)
    assert allowed is not None  # a province token lists its own provinces
    return await queries.audit_page(
        session, allowed, member_id=member_id, limit=limit, cursor=cursor
    )
