"""The outbox: events written in the transaction of the change that caused them,
published by a relay in the same process, and kept as the service's event log."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from pydantic import BaseModel
from sqlalchemy import DateTime, bindparam, event, func, insert, text, update
from sqlalchemy.orm import Session
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from ishc_contracts import Envelope, new_event_id, parse_event, payload_model, type_of
from ishc_platform import metrics
from ishc_platform.broker import EventPublisher
from ishc_platform.clock import as_utc, utcnow
from ishc_platform.db import Database
from ishc_platform.models import OutboxEvent
from ishc_platform.streams import trim_stream
from ishc_platform.tasks import stop_if_cancelled

log = structlog.get_logger(__name__)

_OUTBOX_DIRTY = "ishc_outbox_dirty"


@dataclass(frozen=True)
class NewEvent:
    """An event to record, for `record_events` (many at once)."""

    event_type: str
    subject: str
    province: str
    data: BaseModel | dict[str, Any]
    sequence: int = 1


def _envelope(
    event_type: str,
    subject: str,
    province: str,
    data: BaseModel | dict[str, Any],
    sequence: int,
    traceparent: str | None = None,
) -> Envelope:
    """Build an envelope and check its payload against the contract, so a bad
    event fails the write that would have caused it instead of poisoning
    consumers later. A payload that is already an instance of its contract's
    model was checked when it was built."""
    envelope = Envelope(
        id=new_event_id(),
        type=event_type,
        source=f"/ishc/{event_type.split('.')[1]}",
        time=utcnow(),
        subject=subject,
        sequence=sequence,
        province=province,
        traceparent=traceparent,
        data=data.model_dump(mode="json") if isinstance(data, BaseModel) else data,
    )
    if type(data) is not payload_model(event_type):
        parse_event(envelope.model_dump(mode="json"))
    return envelope


def _outbox_row(envelope: Envelope) -> dict[str, Any]:
    return {
        "event_id": str(envelope.id),
        "type": envelope.type,
        "subject": envelope.subject,
        "sequence": envelope.sequence,
        "province": envelope.province,
        "envelope": envelope.model_dump_json(),
        "created_at": envelope.time,
    }


async def record_event(
    session: AsyncSession,
    *,
    event_type: str,
    subject: str,
    province: str,
    data: BaseModel | dict[str, Any],
    traceparent: str | None = None,
    new_aggregate: bool = False,
) -> Envelope:
    """Add an event to the session's transaction; it is published after commit."""
    # A new aggregate's first event needs no look-up of its last sequence.
    last = (
        None
        if new_aggregate
        else await session.scalar(
            select(func.max(OutboxEvent.sequence)).where(OutboxEvent.subject == subject)
        )
    )
    envelope = _envelope(event_type, subject, province, data, (last or 0) + 1, traceparent)
    # Core on the session's connection, in its transaction: an ORM object per
    # event costs more CPU than the insert (the outbox has no relationships).
    connection = await session.connection()
    await connection.execute(insert(OutboxEvent), [_outbox_row(envelope)])
    session.info[_OUTBOX_DIRTY] = True
    return envelope


async def publish(
    session: AsyncSession,
    subject: str,
    province: str,
    payload: BaseModel,
    *,
    new_aggregate: bool = False,
) -> Envelope:
    """Record the event of a contract `payload` (its type found from its model) in
    the change's transaction."""
    return await record_event(
        session,
        event_type=type_of(payload),
        subject=subject,
        province=province,
        new_aggregate=new_aggregate,
        data=payload,
    )


async def record_events(session: AsyncSession, events: Sequence[NewEvent]) -> list[Envelope]:
    """Record many events in one statement (bulk imports); each names its own
    sequence, so this suits new aggregates, whose first event is 1."""
    envelopes = [_envelope(e.event_type, e.subject, e.province, e.data, e.sequence) for e in events]
    if envelopes:
        connection = await session.connection()
        await connection.execute(insert(OutboxEvent), [_outbox_row(e) for e in envelopes])
        session.info[_OUTBOX_DIRTY] = True
    return envelopes


def _after_commit(session: Session) -> None:
    if session.info.pop(_OUTBOX_DIRTY, False):
        waker = session.info.get("outbox_waker")
        if waker is not None:
            waker()


def _after_rollback(session: Session) -> None:
    session.info.pop(_OUTBOX_DIRTY, None)


def install_commit_hook(db: Database, waker: Callable[[], None]) -> None:
    """Wake the relay when a session of `db` that recorded events commits."""
    db.sessions.configure(info={"outbox_waker": waker})


event.listen(Session, "after_commit", _after_commit)
event.listen(Session, "after_soft_rollback", lambda session, _previous: _after_rollback(session))


class OutboxRelay:
    """Publishes unsent outbox rows to the service's stream, in order.

    One relay publishes at a time: on PostgreSQL a transaction-scoped advisory
    lock elects it for each batch (replicas that miss it try the next round;
    it blocks no writer); in one process an asyncio lock serialises relays of
    the same database, and on SQLite (one process) no write lock is held while
    publishing, so writers never wait on Redis. A crash between publishing and
    marking re-sends what was published and not yet marked (up to
    `batches_per_transaction` batches); consumers absorb the duplicates by
    event id.
    """

    def __init__(
        self,
        db: Database,
        publisher: EventPublisher,
        *,
        service: str,
        batch_size: int = 500,
        batches_per_transaction: int = 4,
        poll_seconds: float = 1.0,
        retention_seconds: float = 7 * 86400,
        trim_interval_seconds: float = 60.0,
    ) -> None:
        self.db = db
        self.publisher = publisher
        self.service = service
        self.batch_size = batch_size
        self.batches_per_transaction = batches_per_transaction
        self.poll_seconds = poll_seconds
        self.retention_seconds = retention_seconds
        self.trim_interval_seconds = trim_interval_seconds
        self._wake = asyncio.Event()
        self._lock_key = zlib.crc32(f"ishc-relay:{service}".encode())
        self._last_trim = 0.0
        self._last_gauges = 0.0

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Publish until cancelled; survives database and Redis outages."""
        backoff = 0.1
        while True:
            try:
                while await self.publish_batch() >= self.batch_size:
                    pass  # a full batch: more may be waiting
                await self._housekeeping()
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                stop_if_cancelled(exc)
                log.warning("relay.error", service=self.service, error=repr(exc))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            self._wake.clear()

    async def publish_batch(self) -> int:
        """Publish unsent events, one batch, or while batches come full, up to
        `batches_per_transaction` of them; return how many were published."""
        async with self.db.relay_lock:
            if self.db.is_sqlite:
                published = await self._publish_sqlite()
            else:
                published = await self._publish_postgres()
        metrics.EVENTS_PUBLISHED.labels(self.service, self.publisher.stream).inc(published)
        return published

    async def _publish_postgres(self) -> int:
        # The advisory lock blocks only other relays, never the service's writers.
        async with self.db.sessions() as session, session.begin():
            if not await session.scalar(_ELECT_RELAY_POSTGRES, {"k": self._lock_key}):
                return 0
            published = 0
            rows = await self._unpublished(session)
            for batch in range(1, self.batches_per_transaction + 1):
                if not rows:
                    break
                # Marking needs nothing from Redis's reply, so PostgreSQL marks
                # this batch, and reads the next, while Redis adds this one. A
                # failed publish rolls the transaction's marks back once both
                # calls have ended (a statement cancelled mid-flight can leave
                # the connection unable to roll back); what was sent is sent
                # again, which consumers absorb.
                outcomes = await asyncio.gather(
                    self.publisher.publish_many([envelope for _, envelope in rows]),
                    self._mark_and_read_next(
                        session, rows, read_next=batch < self.batches_per_transaction
                    ),
                    return_exceptions=True,
                )
                for outcome in outcomes:
                    if isinstance(outcome, BaseException):
                        raise outcome
                published += len(rows)
                following = outcomes[1]
                assert not isinstance(following, BaseException)
                rows = following
        return published

    async def _mark_and_read_next(
        self, session: AsyncSession, rows: Sequence[tuple[int, str]], *, read_next: bool
    ) -> Sequence[tuple[int, str]]:
        """Mark `rows` published and, if they filled a batch and `read_next`,
        read the next batch (none otherwise: the transaction ends)."""
        await self._mark_published(session, [row_id for row_id, _ in rows])
        if not read_next or len(rows) < self.batch_size:
            return []
        return await self._unpublished(session)

    async def _publish_sqlite(self) -> int:
        # A write transaction would hold SQLite's only write lock across the
        # round trip to Redis, so reading, publishing and marking are separate
        # steps. Each is a round trip to SQLite's thread, so a backlog is read
        # and marked up to `batches_per_transaction` batches at a time (each
        # still one pipeline to Redis).
        async with self.db.sessions() as session:
            rows = await self._unpublished(session, self.batch_size * self.batches_per_transaction)
        for start in range(0, len(rows), self.batch_size):
            batch = rows[start : start + self.batch_size]
            await self.publisher.publish_many([envelope for _, envelope in batch])
        if rows:
            async with self.db.sessions() as session, session.begin():
                await self._mark_published(session, [row_id for row_id, _ in rows])
        return len(rows)

    def unpublished_query(self, limit: int | None = None) -> Select[Any, str]:
        """The next events to publish, oldest first (a batch unless `limit`)."""
        return (
            select(OutboxEvent.id, OutboxEvent.envelope)
            .where(OutboxEvent.position.is_(None))  # type: ignore[union-attr]
            .order_by(OutboxEvent.id)  # type: ignore[arg-type]
            .limit(limit or self.batch_size)
        )

    async def _unpublished(
        self, session: AsyncSession, limit: int | None = None
    ) -> Sequence[tuple[int, str]]:
        # Core on the session's connection: the ORM's result handling cost about
        # 1 µs a row more here.
        connection = await session.connection()
        result = await connection.execute(self.unpublished_query(limit))
        return [(int(row_id), envelope) for row_id, envelope in result.all()]

    async def _mark_published(self, session: AsyncSession, row_ids: Sequence[int]) -> None:
        """Give the rows the next log positions, in order, in one statement that
        sends only their ids."""
        if self.db.is_sqlite:
            params: dict[str, Any] = {"ids": json.dumps(list(row_ids))}
            statement = _MARK_PUBLISHED_SQLITE
        else:
            # One text, split by PostgreSQL: psycopg dumps a list parameter
            # element by element in Python.
            params = {"ids": ",".join(map(str, row_ids))}
            statement = _MARK_PUBLISHED_POSTGRES
        params["now"] = utcnow()
        await session.exec(statement, params=params)  # type: ignore[call-overload]

    async def _housekeeping(self) -> None:
        """Gauges every few seconds and trimming every interval, not on every commit."""
        if time.monotonic() - self._last_gauges >= 5:
            self._last_gauges = time.monotonic()
            await self.update_backlog_metrics()
        await self._maybe_trim()

    async def update_backlog_metrics(self) -> None:
        async with self.db.sessions() as session:
            count, oldest = (
                await session.exec(
                    select(func.count(), func.min(OutboxEvent.created_at)).where(
                        OutboxEvent.position.is_(None)  # type: ignore[union-attr]
                    )
                )
            ).one()
        metrics.OUTBOX_BACKLOG.labels(self.service).set(count)
        age = (utcnow() - as_utc(oldest)).total_seconds() if oldest else 0.0
        metrics.OUTBOX_OLDEST_AGE.labels(self.service).set(max(age, 0.0))

    async def _maybe_trim(self) -> None:
        if time.monotonic() - self._last_trim < self.trim_interval_seconds:
            return
        self._last_trim = time.monotonic()
        await trim_stream(self.publisher.redis, self.publisher.stream, self.retention_seconds)


# Elected, the relay also plans its reads by the index, for this transaction
# only, in the same round trip. Right after a burst of writes the table's
# statistics still say almost no row is unpublished, and PostgreSQL then reads
# every unpublished row to sort them (bitmap scan) for each batch, and scans the
# whole outbox to join a batch's ids (hash join): both grow with the backlog,
# where the indexes read only the batch's rows.
_ELECT_RELAY_POSTGRES = text(
    "SELECT pg_try_advisory_xact_lock(:k),"
    " set_config('enable_bitmapscan', 'off', true),"
    " set_config('enable_hashjoin', 'off', true),"
    " set_config('enable_mergejoin', 'off', true)"
)

# The last position is read in the same statement: one relay marks at a time
# (the advisory lock on PostgreSQL, the relay lock and the write lock on SQLite).
_MARK_PUBLISHED_POSTGRES = text(
    "UPDATE outbox SET position = last.position + batch.n, published_at = :now"
    " FROM unnest(CAST(string_to_array(:ids, ',') AS bigint[])) WITH ORDINALITY AS batch(id, n),"
    " (SELECT coalesce(max(position), 0) AS position FROM outbox) AS last"
    " WHERE outbox.id = batch.id"
).bindparams(bindparam("now", type_=DateTime(timezone=True)))
_MARK_PUBLISHED_SQLITE = text(
    "UPDATE outbox SET position = last.position + batch.key + 1, published_at = :now"
    " FROM json_each(:ids) AS batch,"
    " (SELECT coalesce(max(position), 0) AS position FROM outbox) AS last"
    " WHERE outbox.id = batch.value"
).bindparams(bindparam("now", type_=DateTime(timezone=True)))


async def _position_of(session: AsyncSession, event_id: str | None) -> int:
    """The log position of a published event (0 for None: before the first);
    LookupError when the log has no published event with that id."""
    if event_id is None:
        return 0
    position = await session.scalar(
        select(OutboxEvent.position).where(OutboxEvent.event_id == event_id)
    )
    if position is None:
        raise LookupError(event_id)
    return int(position)


async def read_log(
    session: AsyncSession, *, after: str | None, limit: int
) -> tuple[list[dict[str, Any]], bool]:
    """Published events after event `after` (None: from the start), in log order.

    Returns the envelopes and whether more follow. Raises LookupError when
    `after` is not a published event of this log.
    """
    start = await _position_of(session, after)
    rows = (
        await session.exec(
            select(OutboxEvent.envelope)
            .where(OutboxEvent.position > start)  # type: ignore[operator]
            .order_by(OutboxEvent.position)  # type: ignore[arg-type]
            .limit(limit + 1)
        )
    ).all()
    return [json.loads(r) for r in rows[:limit]], len(rows) > limit


async def log_head(session: AsyncSession, *, after: str | None) -> dict[str, Any]:
    """The last published event of the log and how many events follow `after`
    (None: the whole log), for a consumer checking what it may have missed.
    Two index look-ups and a count over the positions past `after`.

    Raises LookupError when `after` is not a published event of this log.
    """
    start = await _position_of(session, after)
    head = (
        await session.exec(
            select(OutboxEvent.position, OutboxEvent.event_id)
            .where(OutboxEvent.position.is_not(None))  # type: ignore[union-attr]
            .order_by(OutboxEvent.position.desc())  # type: ignore[union-attr]
            .limit(1)
        )
    ).first()
    following = (
        await session.exec(
            select(func.count()).where(OutboxEvent.position > start)  # type: ignore[operator]
        )
    ).one()
    return {
        "event_id": head[1] if head else None,
        "position": int(head[0] or 0) if head else 0,
        "after_position": start,
        "events_after": int(following or 0),
    }


async def scrub_logged_payloads(
    session: AsyncSession, subject: str, values: Mapping[str, Any]
) -> int:
    """Overwrite payload fields in every logged event of `subject`, for erasure
    that must reach the log (PDPL 91/2025; ADR 0007): each field of `values` a
    stored payload holds with another value is set to the given one; envelopes
    and other fields stay. Returns how many events were rewritten.

    Runs in the caller's transaction, so the erasure and the rewrite commit
    together. JSON is edited in Python (no JSON SQL), so it works on SQLite and
    PostgreSQL alike; an aggregate has few events, so they are read at once.
    Copies already on the stream are not reached: they expire with retention.
    """
    rows = (
        await session.exec(
            select(OutboxEvent.id, OutboxEvent.envelope).where(OutboxEvent.subject == subject)
        )
    ).all()
    changed: list[dict[str, Any]] = []
    for row_id, stored in rows:
        envelope = json.loads(stored)
        data = envelope.get("data")
        if not isinstance(data, dict):
            continue
        stale = {k: v for k, v in values.items() if k in data and data[k] != v}
        if stale:
            envelope["data"] = {**data, **stale}
            # Compact and unescaped, as `model_dump_json` stored it.
            rewritten = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False)
            changed.append({"row_id": row_id, "stored": rewritten})
    if changed:
        connection = await session.connection()
        await connection.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id == bindparam("row_id"))  # type: ignore[arg-type]
            .values(envelope=bindparam("stored")),
            changed,
        )
    return len(changed)
