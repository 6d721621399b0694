"""What every write of health does the same way: new ids and its outbox event, in
the use case's transaction."""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts import known_event_types, new_event_id, payload_model
from ishc_platform.outbox import record_event


def new_id() -> str:
    return str(new_event_id())


@cache
def _event_types() -> dict[type[BaseModel], str]:
    return {
        payload_model(name): name for name in known_event_types() if name.startswith("ishc.health.")
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
