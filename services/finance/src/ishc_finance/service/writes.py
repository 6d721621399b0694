"""What every write of finance does the same way: new ids, its outbox event, and
its double entry in the ledger, all in the use case's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import cache

from pydantic import BaseModel
from sqlalchemy import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts import known_event_types, new_event_id, payload_model
from ishc_finance.domain.ledger import Line, check_balanced
from ishc_finance.models import LedgerEntry, LedgerLine
from ishc_platform.clock import utcnow
from ishc_platform.outbox import record_event


def new_id() -> str:
    return str(new_event_id())


@cache
def _event_types() -> dict[type[BaseModel], str]:
    return {
        payload_model(name): name
        for name in known_event_types()
        if name.startswith("ishc.finance.")
    }


async def publish(
    session: AsyncSession,
    subject: str,
    province: str,
    payload: BaseModel,
    *,
    new_aggregate: bool = False,
) -> None:
    """Record the event of `payload` in the outbox, in the change's transaction."""
    await record_event(
        session,
        event_type=_event_types()[type(payload)],
        subject=subject,
        province=province,
        new_aggregate=new_aggregate,
        data=payload,
    )


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
