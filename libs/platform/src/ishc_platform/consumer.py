"""The inbox consumer: at-least-once delivery, exactly-once effects.

Reads a stream with a consumer group in batches (redis-py directly: FastStream's
stream subscriber neither re-reads pending entries, nor claims in batches, nor
dead-letters). For each batch (in a backlog, several reads together), in one
database transaction, it records `(consumer, event id)` in the inbox, skips
events already recorded, and lets the handler apply the rest; it acknowledges
after the commit. If the batch fails, it retries event by event so one poison
entry does not hold back the others; a failed entry stays pending, is claimed
again after `claim_idle_ms` (by this or another consumer, which is also how a
dead consumer's entries are relieved) and, once delivered more than
`max_deliveries` times, moves to `<stream>.dlq`.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from pydantic import BaseModel
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy import DateTime, bindparam, text
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts import ContractError, Event, parse_event
from ishc_platform import metrics
from ishc_platform.broker import decode_entry, message_prefix
from ishc_platform.clock import utcnow
from ishc_platform.db import Database, is_transient
from ishc_platform.streams import dlq_name, ensure_group
from ishc_platform.tasks import stop_if_cancelled

log = structlog.get_logger(__name__)

Handler = Callable[[AsyncSession, Sequence[Event[BaseModel]]], Awaitable[None]]
"""Applies new events (never one already applied) inside the open transaction."""

_DATA = b"__data__"
Entry = tuple[bytes, dict[bytes, bytes]]  # a stream entry as redis-py returns it


@dataclass(frozen=True)
class DeadLetter:
    entry_id: str
    source_stream: str
    source_id: str
    group: str
    deliveries: int
    error: str
    dead_at: str
    event_type: str | None
    event_id: str | None


class RedriveError(Exception):
    """A dead letter that still cannot be applied."""


class DatabaseUnavailable(Exception):
    """The consumer's database did not answer: wait, do not count it against the events."""


def default_consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class InboxConsumer:
    def __init__(
        self,
        db: Database,
        redis: Redis,
        *,
        stream: str,
        group: str,
        handler: Handler,
        name: str | None = None,
        batch_size: int = 100,
        reads_per_transaction: int = 4,
        block_ms: int = 1000,
        claim_idle_ms: int = 30_000,
        max_deliveries: int = 5,
    ) -> None:
        self.db = db
        self.redis = redis
        self.stream = stream
        self.group = group
        self.handler = handler
        self.name = name or default_consumer_name()
        self.batch_size = batch_size
        self.reads_per_transaction = reads_per_transaction
        self.block_ms = block_ms
        self.claim_idle_ms = claim_idle_ms
        self.max_deliveries = max_deliveries
        self.inbox_key = f"{group}:{stream}"
        self._group_ready = False
        self._last_claim = 0.0
        self._last_gauges = 0.0
        self._database_suspect = False
        # Applied, not yet acknowledged: sent with the next read, in its round trip.
        # Lost with the process, they are delivered again and the inbox skips them.
        self._applied: list[str] = []
        self._read_ahead: asyncio.Future[_Batch] | None = None

    # -- the loop -------------------------------------------------------------

    async def run(self) -> None:
        """Consume until cancelled; survives Redis restarts and lost connections."""
        backoff = 0.1
        while True:
            try:
                await self.poll_once()
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except ResponseError as exc:
                stop_if_cancelled(exc)
                if "NOGROUP" not in str(exc):
                    raise
                log.warning("consumer.group_missing", stream=self.stream, group=self.group)
                self._group_ready = False
            except DatabaseUnavailable as exc:
                stop_if_cancelled(exc)
                # Entries stay pending and are not claimed meanwhile, so an outage
                # does not use up their deliveries and send them to the DLQ.
                log.warning(
                    "consumer.database_unavailable",
                    stream=self.stream,
                    error=repr(exc.__cause__)[:200],
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                stop_if_cancelled(exc)
                log.warning("consumer.redis_unavailable", stream=self.stream, error=repr(exc))
                self._group_ready = False
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def poll_once(self, block_ms: int | None = None) -> int:
        """One round: claim idle entries when due, then read new ones. Returns entries handled."""
        if self._database_suspect:
            await self._check_database()
        if not self._group_ready:
            await ensure_group(self.redis, self.stream, self.group)
            await message_prefix()  # known from now on, so entries decode by slicing
            self._group_ready = True
        handled = 0
        if time.monotonic() - self._last_claim >= self.claim_idle_ms / 2000:
            handled += await self.claim_idle()
            self._last_claim = time.monotonic()
        if self._read_ahead is not None:
            read, self._read_ahead = self._read_ahead, None
            batch = await read
        else:
            batch = await self._read_parsed(self.block_ms if block_ms is None else block_ms)
        if batch.full:
            # More are waiting: the next entries come over from Redis, and are
            # parsed, while these wait on the database (they are applied only
            # after these commit).
            self._read_ahead = asyncio.ensure_future(self._read_backlog())
        await self._process(batch)
        handled += batch.size
        if time.monotonic() - self._last_gauges >= 5:
            await self.update_gauges()
        return handled

    async def _read(self, block_ms: int | None) -> list[Entry]:
        """One round trip: what was applied is acknowledged, then the next batch
        is read (`block_ms` None: without waiting)."""
        acknowledged = list(self._applied)
        async with self.redis.pipeline(transaction=False) as pipe:
            if acknowledged:
                pipe.xack(self.stream, self.group, *acknowledged)
            pipe.xreadgroup(
                self.group, self.name, {self.stream: ">"}, count=self.batch_size, block=block_ms
            )
            replies = await pipe.execute()
        del self._applied[: len(acknowledged)]
        response: list[tuple[bytes, list[Entry]]] = replies[-1] or []
        return [entry for _stream, entries in response for entry in entries]

    async def _read_backlog(self) -> _Batch:
        """Read ahead, without waiting: while reads come back full (a backlog),
        up to `reads_per_transaction` of them, applied in one transaction, so a
        backlog costs fewer transactions and statements. Each read is still one
        XREADGROUP of `batch_size`."""
        batch = await self._read_parsed(None)
        for _read in range(1, self.reads_per_transaction):
            if not batch.full:
                break
            batch = batch.followed_by(await self._read_parsed(None))
        return batch

    async def _read_parsed(self, block_ms: int | None) -> _Batch:
        entries = await self._read(block_ms)
        return _parse(entries, full=len(entries) == self.batch_size)

    async def claim_idle(self) -> int:
        """Take over entries idle longer than `claim_idle_ms` (a dead or failing
        consumer's) and handle them again. One delivered more than
        `max_deliveries` times gets a last try on its own and goes to the DLQ if
        its handler fails; one delivered three times that often goes there
        untried (it may be crashing the consumers that take it)."""
        handled = 0
        start = "0-0"
        for _round in range(100):  # bounded: at most 100 batches per claim pass
            reply = await self.redis.xautoclaim(
                self.stream,
                self.group,
                self.name,
                min_idle_time=self.claim_idle_ms,
                start_id=start,
                count=self.batch_size,
            )
            start = _text(reply[0])
            entries = [(_text(i), f) for i, f in reply[1] if f is not None]
            gone = [_text(i) for i, f in reply[1] if f is None]
            if gone:  # deleted from the stream while pending (Redis 6.2 reports them so)
                await self.redis.xack(self.stream, self.group, *gone)
            if entries:
                deliveries = await self._deliveries([i for i, _ in entries])
                fresh = []
                for entry_id, fields in entries:
                    count = deliveries.get(entry_id, 0)
                    if count > 3 * self.max_deliveries:
                        reason = f"delivered {count} times without being acknowledged"
                        await self.dead_letter(entry_id, fields, reason, count)
                    elif count > self.max_deliveries:
                        await self._last_try(entry_id, fields, count)
                    else:
                        fresh.append((entry_id, fields))
                await self.process(fresh)
                handled += len(entries)
            if start == "0-0":
                break
        return handled

    async def _check_database(self) -> None:
        """After a transient failure, claim nothing until the database answers:
        claiming during an outage would use up the entries' deliveries."""
        try:
            async with self.db.sessions() as session:
                await session.scalar(text("SELECT 1"))
        except Exception as exc:
            if is_transient(exc):
                raise DatabaseUnavailable from exc
            raise
        self._database_suspect = False

    def _unavailable(self, exc: Exception) -> DatabaseUnavailable:
        self._database_suspect = True
        return DatabaseUnavailable()

    async def _last_try(self, entry_id: str, fields: dict[bytes, bytes], deliveries: int) -> None:
        try:
            event = parse_event(decode_entry(fields))
        except (ContractError, KeyError) as exc:
            await self.dead_letter(entry_id, fields, f"contract: {exc}", deliveries)
            return
        try:
            await self.apply([event])
        except Exception as exc:
            stop_if_cancelled(exc)  # never dead-letter an event for the stop's sake
            if is_transient(exc):
                raise self._unavailable(exc) from exc
            metrics.EVENTS_FAILED.labels(self.group, self.stream).inc()
            await self.dead_letter(entry_id, fields, describe_error(exc), deliveries)
            return
        await self.redis.xack(self.stream, self.group, entry_id)

    async def _deliveries(self, ids: list[str]) -> dict[str, int]:
        rows = await self.redis.xpending_range(
            self.stream,
            self.group,
            min=ids[0],
            max=ids[-1],
            count=len(ids) + 100,
            consumername=self.name,
        )
        return {_text(r["message_id"]): int(r["times_delivered"]) for r in rows}

    # -- applying -------------------------------------------------------------

    async def process(self, entries: Sequence[tuple[Any, dict[bytes, bytes]]]) -> None:
        """Apply a batch read from the stream and acknowledge what was applied."""
        await self._process(_parse(entries))

    async def _process(self, batch: _Batch) -> None:
        for entry_id, fields, breach in batch.breaches:
            # A contract breach cannot heal by retrying: dead-letter at once.
            await self.dead_letter(entry_id, fields, f"contract: {breach}", 1)
        events = batch.events
        if not events:
            return
        try:
            await self.apply([e for _, e in events])
        except Exception as exc:
            stop_if_cancelled(exc)
            if is_transient(exc):
                raise self._unavailable(exc) from exc
            log.info("consumer.batch_failed", stream=self.stream, error=repr(exc)[:300])
            await self._apply_one_by_one(events)
            return
        self._applied.extend(i for i, _ in events)  # acknowledged with the next read

    async def acknowledge(self) -> None:
        """On stop: apply a batch already read ahead, then acknowledge what was
        applied and not yet acknowledged (the loop sends that with its next read)."""
        if self._read_ahead is not None:
            read, self._read_ahead = self._read_ahead, None
            await self._process(await read)
        if self._applied:
            await self.redis.xack(self.stream, self.group, *self._applied)
            self._applied.clear()

    async def _apply_one_by_one(self, events: list[tuple[str, Event[BaseModel]]]) -> None:
        applied = []
        for entry_id, event in events:
            try:
                await self.apply([event])
            except Exception as exc:
                stop_if_cancelled(exc)
                if is_transient(exc):
                    raise self._unavailable(exc) from exc
                metrics.EVENTS_FAILED.labels(self.group, self.stream).inc()
                log.warning(
                    "consumer.event_failed",
                    stream=self.stream,
                    entry_id=entry_id,
                    event_id=str(event.envelope.id),
                    type=event.envelope.type,
                    error=type(exc).__name__,
                )
                continue
            applied.append(entry_id)
        if applied:
            await self.redis.xack(self.stream, self.group, *applied)

    async def apply(self, events: Sequence[Event[BaseModel]]) -> int:
        """In one transaction: record the events in the inbox and hand the new
        ones to the handler. Returns how many were new. Also used to replay an
        event log, without Redis."""
        started = time.perf_counter()
        async with self.db.sessions() as session, session.begin():
            new = await self._record_new(session, events)
            if new:
                await self.handler(session, new)
        metrics.HANDLER_DURATION.labels(self.group, self.stream).observe(
            time.perf_counter() - started
        )
        metrics.EVENTS_CONSUMED.labels(self.group, self.stream).inc(len(new))
        if len(new) < len(events):
            metrics.EVENTS_DUPLICATE.labels(self.group, self.stream).inc(len(events) - len(new))
        return len(new)

    async def _record_new(
        self, session: AsyncSession, events: Sequence[Event[BaseModel]]
    ) -> list[Event[BaseModel]]:
        unique: dict[str, Event[BaseModel]] = {}
        for event in events:
            unique.setdefault(str(event.envelope.id), event)
        # One statement records the batch and says which ids were new: cheaper
        # than a look-up plus an insert, and a concurrent consumer inserting the
        # same id makes this one wait and skip it rather than fail the batch.
        if self.db.is_sqlite:
            statement, ids = _RECORD_NEW_SQLITE, json.dumps(list(unique))
        else:
            # One text of ids, split by PostgreSQL: psycopg dumps a list
            # parameter element by element in Python (9% of a consumer's CPU).
            # Event ids are UUIDs, so a comma never occurs in one.
            statement, ids = _RECORD_NEW_POSTGRES, ",".join(unique)
        params = {"consumer": self.inbox_key, "ids": ids, "now": utcnow()}
        result = await session.exec(statement, params=params)  # type: ignore[call-overload]
        new_ids = set(result.scalars())
        return [e for i, e in unique.items() if i in new_ids]

    async def apply_log(self, envelopes: Iterable[dict[str, Any]]) -> int:
        """Feed envelopes read from an event log (a replay); returns how many were new."""
        batch: list[Event[BaseModel]] = []
        applied = 0
        for raw in envelopes:
            batch.append(parse_event(raw))
            if len(batch) >= self.batch_size:
                applied += await self.apply(batch)
                batch = []
        if batch:
            applied += await self.apply(batch)
        return applied

    # -- dead letters ---------------------------------------------------------

    async def dead_letter(
        self, entry_id: str, fields: dict[bytes, bytes], error: str, deliveries: int
    ) -> None:
        """Move an entry to `<stream>.dlq` and acknowledge it, atomically."""
        data = fields.get(_DATA, b"")
        event_type = event_id = ""
        try:
            event = parse_event(decode_entry(fields))
            event_type, event_id = event.envelope.type, str(event.envelope.id)
        except (ContractError, KeyError):
            pass
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(
                dlq_name(self.stream),
                {
                    _DATA: data,
                    "source_stream": self.stream,
                    "source_id": entry_id,
                    "group": self.group,
                    "consumer": self.name,
                    "deliveries": str(deliveries),
                    "error": error[:300],
                    "dead_at": utcnow().isoformat(),
                    "event_type": event_type,
                    "event_id": event_id,
                },
            )
            pipe.xack(self.stream, self.group, entry_id)
            await pipe.execute()
        metrics.EVENTS_DEAD_LETTERED.labels(self.group, self.stream).inc()
        log.error(
            "consumer.dead_lettered",
            stream=self.stream,
            entry_id=entry_id,
            event_type=event_type,
            event_id=event_id,
            deliveries=deliveries,
        )

    async def dead_letters(self, after: str | None = None, limit: int = 50) -> list[DeadLetter]:
        """This group's dead letters, oldest first, after entry id `after`."""
        start = f"({after}" if after else "-"
        found: list[DeadLetter] = []
        while len(found) < limit:
            rows: list[Entry] = await self.redis.xrange(  # type: ignore[assignment]
                dlq_name(self.stream), min=start, count=500
            )
            if not rows:
                break
            for raw_id, fields in rows:
                letter = _dead_letter(_text(raw_id), fields)
                if letter.group == self.group:
                    found.append(letter)
                    if len(found) == limit:
                        break
            start = f"({_text(rows[-1][0])}"
        return found

    async def redrive(self, dlq_entry_id: str) -> int:
        """Apply a dead letter through the inbox (once, however often redriven)
        and remove it from the dead-letter stream. Returns 1 if it was new."""
        rows: list[Entry] = await self.redis.xrange(  # type: ignore[assignment]
            dlq_name(self.stream), min=dlq_entry_id, max=dlq_entry_id
        )
        if not rows or _text(rows[0][1].get(b"group", b"")) != self.group:
            raise LookupError(dlq_entry_id)
        fields = rows[0][1]
        try:
            event = parse_event(decode_entry(fields))
        except (ContractError, KeyError) as exc:
            raise RedriveError(f"the entry still breaks its contract: {exc}") from exc
        try:
            applied = await self.apply([event])
        except Exception as exc:
            raise RedriveError(f"the handler still fails: {type(exc).__name__}") from exc
        await self.redis.xdel(dlq_name(self.stream), dlq_entry_id)
        log.info("consumer.redriven", stream=self.stream, event_id=str(event.envelope.id))
        return applied

    # -- observing ------------------------------------------------------------

    async def update_gauges(self) -> None:
        self._last_gauges = time.monotonic()
        for info in await self.redis.xinfo_groups(self.stream):
            if _text(info["name"]) == self.group:
                metrics.CONSUMER_PENDING.labels(self.group, self.stream).set(info["pending"])
                lag = info.get("lag")
                if lag is not None:
                    metrics.CONSUMER_LAG.labels(self.group, self.stream).set(lag)
        metrics.DEAD_LETTERS.labels(self.stream).set(await self.redis.xlen(dlq_name(self.stream)))


@dataclass(frozen=True)
class _Batch:
    """Entries read together: how many, whether the last read came back full
    (more may be waiting), the events parsed, and those that break their
    contract (entry id, fields, what is wrong)."""

    size: int
    full: bool
    events: list[tuple[str, Event[BaseModel]]]
    breaches: list[tuple[str, dict[bytes, bytes], Exception]]

    def followed_by(self, later: _Batch) -> _Batch:
        return _Batch(
            self.size + later.size,
            later.full,
            self.events + later.events,
            self.breaches + later.breaches,
        )


def _parse(entries: Sequence[tuple[Any, dict[bytes, bytes]]], full: bool = False) -> _Batch:
    """Parse entries without I/O, so a batch read ahead is parsed while the
    one before it waits on the database."""
    events: list[tuple[str, Event[BaseModel]]] = []
    breaches: list[tuple[str, dict[bytes, bytes], Exception]] = []
    for raw_id, fields in entries:
        entry_id = _text(raw_id)
        try:
            events.append((entry_id, parse_event(decode_entry(fields))))
        except (ContractError, KeyError) as exc:
            breaches.append((entry_id, fields, exc))
    return _Batch(len(entries), full, events, breaches)


_RECORD_NEW_POSTGRES = text(
    "INSERT INTO inbox (consumer, event_id, applied_at)"
    " SELECT :consumer, id, :now FROM unnest(string_to_array(:ids, ',')) AS batch(id)"
    " ON CONFLICT DO NOTHING RETURNING event_id"
).bindparams(bindparam("now", type_=DateTime(timezone=True)))
_RECORD_NEW_SQLITE = text(
    "INSERT INTO inbox (consumer, event_id, applied_at)"
    " SELECT :consumer, value, :now FROM json_each(:ids) WHERE true"  # WHERE: SQLite's upsert rule
    " ON CONFLICT DO NOTHING RETURNING event_id"
).bindparams(bindparam("now", type_=DateTime(timezone=True)))


def describe_error(exc: BaseException) -> str:
    """The error's type and first line: database errors append the SQL and its
    parameters, which do not belong in a dead letter."""
    first_line = (str(exc).splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first_line[:200]}"


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _dead_letter(entry_id: str, fields: dict[bytes, bytes]) -> DeadLetter:
    def get(key: str) -> str:
        return _text(fields.get(key.encode(), b""))

    return DeadLetter(
        entry_id=entry_id,
        source_stream=get("source_stream"),
        source_id=get("source_id"),
        group=get("group"),
        deliveries=int(get("deliveries") or 0),
        error=get("error"),
        dead_at=get("dead_at"),
        event_type=get("event_type") or None,
        event_id=get("event_id") or None,
    )
