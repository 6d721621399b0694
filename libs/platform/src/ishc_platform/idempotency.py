"""`Idempotency-Key` for every POST: the same key with the same body replays the
stored response; with a different body it answers 422.

Only successful (2xx) answers are stored: a failed request changed nothing, so
running it again is safe. The key is claimed before the request runs, so a
concurrent duplicate answers 409; a claim left by a crashed process expires
after a minute. Records older than the TTL are purged hourly.

The answer is stored in the same transaction as the change it answers for: under
a key, the route's session (`request_session`, behind `SessionDep`) turns the use
case's commit into a flush, and the middleware commits once the answer is known,
with the answer. So a process killed, or a connection cut, between the change and
its answer leaves both or neither: a retry with the same key replays the answer,
or runs a request that never happened, and never runs a write twice.

Whose key: a record belongs to the caller's whole authority, not to a name.
The `caller` column holds `caller_scope(caller)`, a SHA-256 of the token's
subject, role and sorted provinces, so a token of another province, a national
or an ops token that happens to share the `sub` is another caller: it never
sees the record, neither its stored answer nor the 422 that would reveal that
the key exists (its request simply runs, under its own authority).

Authorisation again before a replay: a replay goes only to a caller with the
same subject, role and provinces, for whom the route answered 2xx. What can
change within the record's lifetime (`ISHC_IDEMPOTENCY_TTL_HOURS`, 24 h) is
where the record lives: a club that moved to another province takes its
members with it. So before replaying to a province token, the middleware asks
the service where the answer's record (its `id`) lives now
(`app.state.record_province`, an async `(session, id) -> province | None` a
service sets), else takes the answer's own `province`; a token that does not
cover it gets the 404 the route would answer now, and the stored answer is not
sent. The token itself is verified on every request, replays included (an
expired or forged token falls through to the route, which answers 401).

The body is read in memory to fingerprint it, bounded by the body limit the
factory's `BodyLimitMiddleware` puts in the scope (1 MiB, 20 MiB for uploads);
a larger body is refused before any key is claimed.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ishc_platform.auth import Caller, Role, bearer_token, verify_token
from ishc_platform.clock import utcnow
from ishc_platform.errors import Problem, field_error, not_found, problem_response
from ishc_platform.limits import SCOPE_KEY, BodyTooLarge
from ishc_platform.models import IdempotencyRecord
from ishc_platform.tasks import stop_if_cancelled

log = structlog.get_logger(__name__)
HEADER = "idempotency-key"
MAX_KEY_LENGTH = 200
KEY_PATTERN = re.compile(rf"[\x21-\x7e]{{1,{MAX_KEY_LENGTH}}}")
"""Visible ASCII, no spaces or control characters (a UUID, a ULID, a hash...)."""
STALE_CLAIM = timedelta(minutes=1)
PURGE_SECONDS = 3600.0
DEFAULT_MAX_BODY = 1024 * 1024
"""The bound on a buffered body when no `BodyLimitMiddleware` set one in the scope."""


@dataclass
class _Answering:
    """A request under an Idempotency-Key: the route's session, once its use case
    has "committed" (flushed), waits here for the answer to commit with it."""

    session: AsyncSession | None = None
    committed: bool = False

    async def discard(self) -> None:
        """Roll back what was not answered for, and close."""
        if self.session is not None:
            session, self.session = self.session, None
            await session.close()  # closing rolls back an open transaction


_answering: ContextVar[_Answering | None] = ContextVar("idempotent_request", default=None)


@asynccontextmanager
async def request_session(db: Any) -> AsyncIterator[AsyncSession]:
    """A route's session. Under an Idempotency-Key its `commit()` flushes and
    leaves the transaction open for `IdempotencyMiddleware`, which commits it
    with the answer; without a key, or for a second session, a plain one."""
    answering = _answering.get()
    if answering is None or answering.session is not None:
        async with db.sessions() as session:
            yield session
        return
    session = db.sessions()
    answering.session = session

    async def commit_with_the_answer() -> None:
        await session.flush()
        answering.committed = True

    session.commit = commit_with_the_answer
    try:
        yield session
    finally:
        if not answering.committed:  # nothing to answer for: close it now
            await answering.discard()


def caller_scope(caller: Caller) -> str:
    """The `caller` a record is stored under: subject, role and provinces together."""
    authority = json.dumps([caller.sub, caller.role.value, sorted(caller.provinces)])
    return hashlib.sha256(authority.encode()).hexdigest()


RecordProvince = Callable[[AsyncSession, str], Awaitable[str | None]]
"""Where a record of the service lives now, by id (None: not one of its records)."""


async def _still_visible(
    caller: Caller, record: IdempotencyRecord, db: Any, record_province: RecordProvince | None
) -> bool:
    """Whether the caller may still see the record a stored answer describes."""
    if caller.role is not Role.PROVINCE:
        return True  # national and ops routes are not scoped to provinces' records
    try:
        answer = json.loads(record.response_body or "null")
    except ValueError:
        return True  # not JSON (a file): nothing of a province's in it to check
    if not isinstance(answer, dict):
        return True
    province = answer.get("province")
    record_id = answer.get("id")
    if record_province is not None and isinstance(record_id, str):
        async with db.sessions() as session:
            province = await record_province(session, record_id) or province
    return not isinstance(province, str) or caller.can_see_province(province)


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        key = request.headers.get(HEADER)
        token = bearer_token(request)
        if key is None or token is None:
            await self.app(scope, receive, send)
            return
        try:
            caller = verify_token(token, request.app.state.settings.jwt_secret_list)
        except Problem:
            await self.app(scope, receive, send)  # the route answers 401
            return
        if not KEY_PATTERN.fullmatch(key):
            await problem_response(
                Problem(
                    422,
                    "Idempotency-Key must be 1 to 200 visible ASCII characters",
                    kind="validation",
                    errors=[field_error("Idempotency-Key", "1 to 200 visible ASCII characters")],
                ),
                request,
            )(scope, receive, send)
            return
        body = await _read_body(receive, scope.get(SCOPE_KEY, DEFAULT_MAX_BODY))
        fingerprint = request_fingerprint("POST", scope["path"], body)
        store = _Store(request.app.state.db, request.app.state.settings.idempotency_ttl_hours)
        owner = caller_scope(caller)
        outcome = await store.claim(owner, key, _stored_path(scope["path"]), fingerprint)
        if isinstance(outcome, Problem):
            await problem_response(outcome, request)(scope, receive, send)
            return
        if outcome is not None:
            lookup = getattr(request.app.state, "record_province", None)
            if not await _still_visible(caller, outcome, request.app.state.db, lookup):
                await problem_response(not_found("record"), request)(scope, receive, send)
                return
            await _replay(outcome, send)
            return
        await self._run_and_store(scope, body, send, store, owner, key)

    async def _run_and_store(
        self, scope: Scope, body: bytes, send: Send, store: _Store, caller: str, key: str
    ) -> None:
        sent_body = False

        async def replay_body() -> Message:
            nonlocal sent_body
            if sent_body:
                return {"type": "http.disconnect"}
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}

        start: Message = {}
        chunks: list[bytes] = []
        answering = _Answering()

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await store.finish(caller, key, start, b"".join(chunks), answering)
                    await send(start)
                    await send({"type": "http.response.body", "body": b"".join(chunks)})
                return
            await send(message)

        token = _answering.set(answering)
        try:
            await self.app(scope, replay_body, capture)
        except BaseException:
            await answering.discard()
            await store.release(caller, key)
            raise
        finally:
            _answering.reset(token)
            await answering.discard()


def _stored_path(path: str) -> str:
    """The path as the `path` column can hold it (informational: the fingerprint
    covers the exact path). A NUL from `%00` would be refused by PostgreSQL."""
    return path.replace("\x00", "\ufffd")[:500]


async def _read_body(receive: Receive, limit: int) -> bytes:
    """The whole body, refusing (413) as soon as it passes `limit`."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        if message["type"] != "http.request":
            continue
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def purge_expired(db: Any, ttl_hours: float, every_seconds: float = PURGE_SECONDS) -> None:
    """Delete records older than the TTL, now and then every `every_seconds`.

    Runs for the life of the app (the factory starts it); safe on every replica
    at once (a DELETE of what no request can use any more)."""
    while True:
        try:
            cutoff = utcnow() - timedelta(hours=ttl_hours) - STALE_CLAIM
            async with db.sessions() as session, session.begin():
                await session.exec(
                    delete(IdempotencyRecord).where(
                        IdempotencyRecord.created_at < cutoff  # type: ignore[arg-type]
                    )
                )
        except Exception as exc:
            stop_if_cancelled(exc)
            log.warning("idempotency.purge_failed", error=type(exc).__name__)
        await asyncio.sleep(every_seconds)


async def _replay(record: IdempotencyRecord, send: Send) -> None:
    headers = [
        (b"content-type", (record.content_type or "application/json").encode()),
        (b"idempotent-replayed", b"true"),
    ]
    await send({"type": "http.response.start", "status": record.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": (record.response_body or "").encode()})


class _Store:
    def __init__(self, db: Any, ttl_hours: float) -> None:
        self.db = db
        self.ttl = timedelta(hours=ttl_hours)

    async def claim(
        self, caller: str, key: str, path: str, fingerprint: str
    ) -> IdempotencyRecord | Problem | None:
        """None: the key is ours to run. A record: replay it. A Problem: refuse."""
        for _attempt in range(3):
            async with self.db.sessions() as session, session.begin():
                record = await session.get(IdempotencyRecord, (caller, key))
                now = utcnow()
                if record is not None and not self._expired(record, now):
                    if record.request_hash != fingerprint:
                        return Problem(
                            422,
                            "this Idempotency-Key was used with a different request",
                            kind="idempotency-key-reused",
                            errors=[field_error("Idempotency-Key", "used with a different body")],
                        )
                    if record.status_code is None:
                        return Problem(
                            409,
                            "a request with this Idempotency-Key is in progress",
                            kind="idempotency-key-in-progress",
                        )
                    return record
                if record is not None:
                    await session.delete(record)
                    await session.flush()
                session.add(
                    IdempotencyRecord(
                        caller=caller,
                        key=key,
                        method="POST",
                        path=path,
                        request_hash=fingerprint,
                        created_at=now,
                    )
                )
                try:
                    await session.flush()
                except IntegrityError:
                    await session.rollback()
                    continue
                return None
        return Problem(
            409,
            "a request with this Idempotency-Key is in progress",
            kind="idempotency-key-in-progress",
        )

    def _expired(self, record: IdempotencyRecord, now: Any) -> bool:
        created = (
            record.created_at
            if record.created_at.tzinfo
            else record.created_at.replace(tzinfo=now.tzinfo)
        )
        if record.status_code is None:
            return now - created > STALE_CLAIM
        return now - created > self.ttl

    async def finish(
        self, caller: str, key: str, start: Message, body: bytes, answering: _Answering
    ) -> None:
        """Store a 2xx answer: with the change it answers for, in its transaction,
        when the route changed something; else in a transaction of its own. Any
        other answer releases the key, and what the route flushed is rolled back
        (a refused request changes nothing)."""
        status = int(start.get("status", 500))
        if not 200 <= status < 300:
            await answering.discard()
            await self.release(caller, key)
            return
        content_type = next(
            (v.decode() for k, v in start.get("headers", []) if k.lower() == b"content-type"),
            "application/json",
        )
        if answering.committed and answering.session is not None:
            session = answering.session
            await self._store(session, caller, key, status, content_type, body)
            await type(session).commit(session)  # the real commit: change and answer
            await answering.discard()
            return
        async with self.db.sessions() as session, session.begin():
            await self._store(session, caller, key, status, content_type, body)

    @staticmethod
    async def _store(
        session: AsyncSession, caller: str, key: str, status: int, content_type: str, body: bytes
    ) -> None:
        record = await session.get(IdempotencyRecord, (caller, key))
        if record is not None:
            record.status_code = status
            record.content_type = content_type
            record.response_body = body.decode("utf-8", errors="replace")
            record.created_at = utcnow()

    async def release(self, caller: str, key: str) -> None:
        async with self.db.sessions() as session, session.begin():
            await session.exec(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.caller == caller,  # type: ignore[arg-type]
                    IdempotencyRecord.key == key,  # type: ignore[arg-type]
                    IdempotencyRecord.status_code.is_(None),  # type: ignore[union-attr]
                )
            )
