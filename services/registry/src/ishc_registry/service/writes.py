"""What every write of the registry does the same way: lock the record it
changes, check the caller's version, answer a lost race for a key, turn broken
rules into problems, and finish a change (version, time, event)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts import new_event_id
from ishc_platform.clock import utcnow
from ishc_platform.db import is_unique_violation
from ishc_platform.errors import Problem, conflict, field_error
from ishc_platform.outbox import NewEvent, record_event, record_events
from ishc_registry import queries
from ishc_registry.domain.clubs import Fault
from ishc_registry.domain.events import event_type_of
from ishc_registry.models import Activity, Club, Meeting, Member


def new_id() -> str:
    return str(new_event_id())


def raise_first(problems: list[Fault]) -> None:
    """A 422 naming every field of `problems`, when there are any."""
    if problems:
        raise Problem(
            422,
            "; ".join(m for _, m in problems),
            kind="validation",
            title="Invalid request",
            errors=[field_error(f, m) for f, m in problems],
        )


def check_version(current: int, expected: int | None) -> None:
    if expected is None:
        raise Problem(428, "send If-Match with the ETag you read", kind="precondition-required")
    if expected != current:
        raise Problem(
            412, "the record changed since you read it; read it again", kind="precondition-failed"
        )


@asynccontextmanager
async def unique_or_conflict(
    session: AsyncSession, recheck: Callable[[], Awaitable[None]]
) -> AsyncIterator[None]:
    """Answer a lost race for a unique key as the sequential check does.

    A concurrent request can take a key between our look-up and our commit;
    the unique index then refuses the write (at flush or commit). Roll back
    and run the look-up again: the winner has committed, so `recheck` raises
    the same 409 naming it. `recheck` must not touch ORM objects of the
    session, which the rollback expired."""
    try:
        yield
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        await session.rollback()
        await recheck()
        raise  # not a key the look-up knows: let it be the 500 it is


async def ensure_unique_external_id(
    session: AsyncSession,
    model: type[Club] | type[Meeting] | type[Activity],
    province: str,
    external_id: str | None,
    own_id: str | None = None,
) -> None:
    """409 naming the record that holds `external_id` in `province` (keys are
    unique per province), unless it is the record itself."""
    if external_id is None:
        return
    existing = await queries.holder_of_key(session, model, province, external_id)
    if existing is not None and existing != own_id:
        raise conflict(
            "external_id",
            f"external_id {external_id!r} is taken in province {province}",
            existing_id=existing,
        )


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
        event_type=event_type_of(payload),
        subject=subject,
        province=province,
        new_aggregate=new_aggregate,
        data=payload,
    )


async def changed(
    session: AsyncSession,
    record: Club | Member,
    payload: BaseModel,
    *,
    at: datetime | None = None,
) -> None:
    """Finish a change of a club or member: a new version and time, and its
    event (built from the changed record). The caller commits."""
    record.version += 1
    record.updated_at = at or utcnow()
    session.add(record)
    await publish(session, record.id, record.province, payload)


async def publish_all(
    session: AsyncSession,
    changes: Sequence[tuple[str, str, BaseModel]],
    *,
    new_aggregates: bool = False,
) -> None:
    """Record many events at once (bulk changes): (subject, province, payload)
    each. Existing aggregates' sequences are read in one query; their rows
    must be locked by the caller, so no other writer takes them."""
    sequences = (
        {}
        if new_aggregates
        else await queries.next_sequences(session, [subject for subject, _, _ in changes])
    )
    await record_events(
        session,
        [
            NewEvent(
                event_type=event_type_of(payload),
                subject=subject,
                province=province,
                data=payload,
                sequence=sequences.get(subject, 1),
            )
            for subject, province, payload in changes
        ],
    )
