"""What every write of finance does the same way: new ids and its double entry in
the ledger, in the use case's transaction (events go through
`ishc_platform.outbox.publish`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts import new_event_id
from ishc_finance.domain.ledger import Line, check_balanced
from ishc_finance.models import LedgerEntry, LedgerLine
from ishc_platform.clock import utcnow


def new_id() -> str:
    return str(new_event_id())


async def post(
    session: AsyncSession,
    *,
    club_id: str,
    entry_on: date,
    kind: str,
    reference_id: str,
    lines: Sequence[Line],
    reverses_id: str | None = None,
) -> str:
    """Append one balanced double entry to the ledger; returns its id. Entries are
    never changed: a correction is another entry (`reverses_id`)."""
    check_balanced(lines)  # a bug, not bad input: it must never reach the ledger
    entry_id = new_id()
    connection = await session.connection()
    await connection.execute(
        insert(LedgerEntry),
        [
            {
                "id": entry_id,
                "club_id": club_id,
                "entry_on": entry_on,
                "kind": kind,
                "reference_id": reference_id,
                "reverses_id": reverses_id,
                "created_at": utcnow(),
            }
        ],
    )
    await connection.execute(
        insert(LedgerLine),
        [
            {
                "entry_id": entry_id,
                "fund_id": line.fund_id,
                "account": line.account.value,
                "entry_on": entry_on,
                "amount_vnd": line.amount_vnd,
            }
            for line in lines
            if line.amount_vnd != 0
        ],
    )
    return entry_id
