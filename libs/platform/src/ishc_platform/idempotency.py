"""`Idempotency-Key` for every POST: the same key with the same body replays the
stored response; with a different body it answers 422.

Keys are scoped to the caller (the token's `sub`). Only successful (2xx)
answers are stored: a failed request changed nothing, so running it again is
safe. The key is claimed before the request runs, so a concurrent duplicate
answers 409; a claim left by a crashed process expires after a minute.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ishc_platform.auth import bearer_token, verify_token
from ishc_platform.clock import utcnow
from ishc_platform.errors import Problem, field_error, problem_response
from ishc_platform.models import IdempotencyRecord

HEADER = "idempotency-key"
MAX_KEY_LENGTH = 200
STALE_CLAIM = timedelta(minutes=1)


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
        if not key or len(key) > MAX_KEY_LENGTH:
            await problem_response(
                Problem(
                    422,
                    "Idempotency-Key must be 1 to 200 characters",
                    kind="validation",
                    errors=[field_error("Idempotency-Key", "1 to 200 characters")],
                ),
                request,
            )(scope, receive, send)
            return
        body = await request.body()
        fingerprint = request_fingerprint("POST", scope["path"], body)
        store = _Store(request.app.state.db, request.app.state.settings.idempotency_ttl_hours)
        outcome = await store.claim(caller.sub, key, scope["path"], fingerprint)
        if isinstance(outcome, Problem):
            await problem_response(outcome, request)(scope, receive, send)
            return
        if outcome is not None:
            await _replay(outcome, send)
            return
        await self._run_and_store(scope, body, send, store, caller.sub, key)

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

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await store.finish(caller, key, start, b"".join(chunks))
                    await send(start)
                    await send({"type": "http.response.body", "body": b"".join(chunks)})
                return
            await send(message)

        try:
            await self.app(scope, replay_body, capture)
        except BaseException:
            await store.release(caller, key)
            raise


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

    async def finish(self, caller: str, key: str, start: Message, body: bytes) -> None:
        status = int(start.get("status", 500))
        if not 200 <= status < 300:
            await self.release(caller, key)
            return
        content_type = next(
            (v.decode() for k, v in start.get("headers", []) if k.lower() == b"content-type"),
            "application/json",
        )
        async with self.db.sessions() as session, session.begin():
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
