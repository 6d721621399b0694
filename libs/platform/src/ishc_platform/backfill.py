"""Backfill: a consumer checks its sources' event logs and applies what the stream lost.

The outbox of each service is its durable event log (`GET /v1/events`); a Redis
that lost its data (a restart without AOF, a restore of an older snapshot, a
FLUSHALL) loses stream entries that no consumer had read, and nothing on the
stream says so. So every `interval_seconds` a `LogBackfill` reads its source's
log from a watermark (`log_watermark`: every event of the log up to
`after_event_id` is in the consumer's inbox) and feeds each page to
`InboxConsumer.apply_log`, the same inbox transaction and handler as stream
entries: events the stream already gave are skipped, the others applied once.
The watermark then moves past the page by compare-and-set.

- Head first: `GET /v1/events/head?after=<watermark>` says how many events
  follow it; that is the gap shown (metric `ishc_consumer_log_gap_events`,
  `/readyz` detail) until the pages are checked.
- Grace: events younger than `grace_seconds` wait for the next pass, so the
  stream (milliseconds behind the log) applies them first and the log only
  fills what the stream did not give.
- Replicas each run one; two reading the same page are harmless: the inbox
  applies each event once, and the watermark moves only from the value a
  replica read, so it never goes back (the loser of a race stops its pass).
- An event that fails (its handler, or a contract this consumer does not know)
  holds the watermark before it: the gap stays and alerts, the pass retries.
- The source unreachable: logged, shown in `/readyz`, retried with backoff;
  never fatal to the service.

Reads the log with a short-lived token of role `service` minted per request
from the service's own JWT secret (ADR 0004: only that role reads events whole).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import structlog
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from ishc_platform import metrics
from ishc_platform.auth import Role, issue_token
from ishc_platform.clock import utcnow
from ishc_platform.consumer import InboxConsumer, describe_error
from ishc_platform.db import Database, is_transient
from ishc_platform.models import LogWatermark
from ishc_platform.settings import Settings
from ishc_platform.tasks import stop_if_cancelled

log = structlog.get_logger(__name__)

TOKEN_LIFETIME = timedelta(minutes=5)


class BackfillHeld(Exception):
    """An event of the log cannot be applied: the watermark waits before it."""


class SourceForgot(Exception):
    """The source's log does not hold the watermark's event (restored, or replaced)."""


@dataclass
class BackfillStatus:
    """What `/readyz` shows per source."""

    source: str
    state: str = "starting"  # starting | ok | catching_up | failing
    behind: int | None = None  # log events past the watermark (None: not known yet)
    backfilled: int = 0  # events this process applied from the log, not the stream
    last_checked: datetime | None = None  # the last pass that read the log to its end
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "behind": self.behind,
            "backfilled": self.backfilled,
            "last_checked": self.last_checked.isoformat() if self.last_checked else None,
            "error": self.error,
        }


class Watermark:
    """One consumer's position in one source's log, in table `log_watermark`."""

    def __init__(self, db: Database, consumer: str, source: str) -> None:
        self.db = db
        self.consumer = consumer
        self.source = source

    def _key(self) -> Any:
        return (col(LogWatermark.consumer) == self.consumer) & (
            col(LogWatermark.source) == self.source
        )

    async def read(self) -> str | None:
        """The event id checked up to (None: the log's start); creates the row."""
        insert = sqlite_insert if self.db.is_sqlite else postgres_insert
        async with self.db.sessions() as session, session.begin():
            connection = await session.connection()
            await connection.execute(
                insert(LogWatermark)
                .values(
                    consumer=self.consumer,
                    source=self.source,
                    after_event_id=None,
                    verified=0,
                    backfilled=0,
                    updated_at=utcnow(),
                )
                .on_conflict_do_nothing()
            )
            return await session.scalar(select(LogWatermark.after_event_id).where(self._key()))

    async def advance(
        self, old: str | None, new: str | None, verified: int, backfilled: int
    ) -> bool:
        """Move from `old` to `new` unless another replica moved it first; True if moved."""
        async with self.db.sessions() as session, session.begin():
            connection = await session.connection()
            result = await connection.execute(
                update(LogWatermark)
                .where(self._key(), col(LogWatermark.after_event_id).is_not_distinct_from(old))
                .values(
                    after_event_id=new,
                    verified=col(LogWatermark.verified) + verified,
                    backfilled=col(LogWatermark.backfilled) + backfilled,
                    updated_at=utcnow(),
                )
            )
            return bool(result.rowcount == 1)

    async def row(self) -> LogWatermark | None:
        async with self.db.sessions() as session:
            return (await session.exec(select(LogWatermark).where(self._key()))).first()


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code >= 500 or exc.response.status_code == 429
    return isinstance(exc, httpx.TransportError)


class LogBackfill:
    """Keeps one consumer level with one source's event log (see the module's docstring)."""

    def __init__(
        self,
        consumer: InboxConsumer,
        *,
        source: str,
        base_url: str,
        secret: str,
        interval_seconds: float = 30.0,
        grace_seconds: float = 10.0,
        page_size: int = 500,
        timeout_seconds: float = 10.0,
        attempts: int = 3,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.consumer = consumer
        self.source = source
        self.base_url = base_url.rstrip("/")
        self.secret = secret
        self.interval_seconds = interval_seconds
        self.grace_seconds = grace_seconds
        self.page_size = page_size
        self.timeout_seconds = timeout_seconds
        self.attempts = attempts
        self.transport = transport
        self.watermark = Watermark(consumer.db, consumer.inbox_key, source)
        self.status = BackfillStatus(source)
        self._labels = (consumer.group, source)
        # Before the first pass, "last checked" is the process start, so an alert on
        # a source never reached since the start can fire.
        metrics.LOG_CHECKED.labels(*self._labels).set(utcnow().timestamp())

    # -- the loop -------------------------------------------------------------

    async def run(self) -> None:
        """Check every interval until cancelled; a failure is logged, shown and retried
        sooner (1, 2, 4 ... seconds, at most the interval), never raised."""
        failures = 0
        while True:
            try:
                await self.check()
                failures = 0
                delay = self.interval_seconds
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                stop_if_cancelled(exc)
                failures += 1
                self.status.state = "failing"
                self.status.error = describe_error(exc)
                log.warning(
                    "backfill.failed",
                    consumer=self.consumer.group,
                    source=self.source,
                    error=self.status.error,
                )
                delay = min(self.interval_seconds, 2.0 ** (failures - 1))
            await asyncio.sleep(delay)

    async def check(self) -> int:
        """One pass: read the log from the watermark to its end (or to events
        younger than the grace), apply what the inbox lacks; returns how many."""
        async with httpx.AsyncClient(
            base_url=self.base_url, timeout=self.timeout_seconds, transport=self.transport
        ) as client:
            after = await self.watermark.read()
            try:
                head = await self._get(client, "/v1/events/head", self._after(after))
            except SourceForgot:
                # The source was restored or replaced: start over; the inbox skips
                # what was applied, so this costs a read, never a double count.
                log.warning("backfill.watermark_unknown", source=self.source, after=after)
                await self.watermark.advance(after, None, 0, 0)
                after = None
                head = await self._get(client, "/v1/events/head", {})
            behind = int(head["events_after"])
            self._show_gap(behind)
            backfilled = 0
            while True:
                params = {"limit": self.page_size, **self._after(after)}
                page = await self._get(client, "/v1/events", params)
                items: list[dict[str, Any]] = page["items"]
                due = self._due(items)
                applied, new, failure = await self._apply(due)
                if applied:
                    last = str(applied[-1]["id"])
                    if not await self.watermark.advance(after, last, len(applied), new):
                        log.info("backfill.overtaken", source=self.source)  # another replica
                        self._count(new)
                        return backfilled + new
                    after = last
                    behind = max(behind - len(applied), 0)
                    backfilled += new
                    self._count(new)
                    self._show_gap(behind)
                if failure:
                    self._show_gap(max(behind, 1))
                    raise BackfillHeld(failure)
                if len(due) < len(items) or not page.get("next_cursor"):
                    break
        self._show_gap(0)  # checked to the end; what remains is within the grace
        self.status.state, self.status.error = "ok", None
        self.status.last_checked = utcnow()
        metrics.LOG_CHECKED.labels(*self._labels).set(self.status.last_checked.timestamp())
        if backfilled:
            log.warning(
                "backfill.applied",
                consumer=self.consumer.group,
                source=self.source,
                events=backfilled,
            )
        return backfilled

    # -- the parts ------------------------------------------------------------

    @staticmethod
    def _after(after: str | None) -> dict[str, Any]:
        return {"after": after} if after else {}

    def _headers(self) -> dict[str, str]:
        token = issue_token(
            self.secret,
            sub=f"{self.consumer.group}-backfill",
            role=Role.SERVICE,
            lifetime=TOKEN_LIFETIME,
        )
        return {"Authorization": f"Bearer {token}"}

    async def _get(
        self, client: httpx.AsyncClient, path: str, params: dict[str, Any]
    ) -> dict[str, Any]:
        """GET with bounded retries on lost connections, timeouts and 5xx answers."""
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential(multiplier=0.2, max=2.0),
            retry=retry_if_exception(_retryable),
            reraise=True,
        ):
            with attempt:
                reply = await client.get(path, params=params, headers=self._headers())
                if reply.status_code == 422 and "after" in params:
                    raise SourceForgot(params["after"])
                reply.raise_for_status()
                body: dict[str, Any] = reply.json()
                return body
        raise AssertionError("unreachable")  # pragma: no cover

    def _due(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The leading events older than the grace: younger ones are the stream's first."""
        if self.grace_seconds <= 0:
            return items
        cutoff = utcnow() - timedelta(seconds=self.grace_seconds)
        for index, item in enumerate(items):
            if datetime.fromisoformat(str(item["time"])) > cutoff:
                return items[:index]
        return items

    async def _apply(
        self, items: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], int, str | None]:
        """Apply a page through the inbox; on a failure, find the first event that
        fails and keep what precedes it. Returns (applied, new, failure)."""
        if not items:
            return [], 0, None
        try:
            return items, await self.consumer.apply_log(items), None
        except Exception as exc:
            stop_if_cancelled(exc)
            if is_transient(exc):
                raise
        new = 0
        for index, item in enumerate(items):
            try:
                new += await self.consumer.apply_log([item])
            except Exception as exc:
                stop_if_cancelled(exc)
                if is_transient(exc):
                    raise
                metrics.EVENTS_FAILED.labels(self.consumer.group, self.consumer.stream).inc()
                failure = f"event {item.get('id')} ({item.get('type')}): {describe_error(exc)}"
                return items[:index], new, failure
        return items, new, None

    def _show_gap(self, behind: int) -> None:
        self.status.behind = behind
        if behind and self.status.state != "failing":
            self.status.state = "catching_up"
        metrics.LOG_GAP.labels(*self._labels).set(behind)

    def _count(self, new: int) -> None:
        if new:
            self.status.backfilled += new
            metrics.LOG_BACKFILLED.labels(*self._labels).inc(new)


def backfills_for(
    subscriptions: Iterable[tuple[str, InboxConsumer]], settings: Settings
) -> list[LogBackfill]:
    """A backfill for each (source, consumer) whose source has a URL in
    ISHC_EVENT_SOURCES; none when it is empty."""
    urls = settings.event_source_urls
    found = []
    used = set()
    for source, consumer in subscriptions:
        if source in urls:
            used.add(source)
            found.append(
                LogBackfill(
                    consumer,
                    source=source,
                    base_url=urls[source],
                    secret=settings.jwt_secret_list[0],
                    interval_seconds=settings.backfill_interval_seconds,
                    grace_seconds=settings.backfill_grace_seconds,
                    page_size=settings.backfill_page_size,
                    timeout_seconds=settings.backfill_timeout_seconds,
                )
            )
    for source in sorted(set(urls) - used):
        log.warning("backfill.unused_source", source=source, service=settings.service_name)
    return found
