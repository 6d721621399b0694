"""Limits on what one request, or one client, may make a service hold.

`BodyLimitMiddleware` bounds request bodies before anything reads them:
- by `Content-Length`: a declared size over the limit answers 413 at once; the
  application is never called and no byte of the body is read;
- while streaming: every `http.request` message is counted as it is received,
  so a chunked body without `Content-Length` is refused as soon as it passes
  the limit. At most one ASGI message beyond the limit is ever held (the server
  reads in bounded chunks, 64 KiB for uvicorn) and nothing more is read.

The limit is `ISHC_MAX_BODY_BYTES` (default 1 MiB) for every route, and
`ISHC_MAX_UPLOAD_BYTES` (default 20 MiB) for the spreadsheet uploads under
`/v1/imports`. It applies to every method and every route (a GET's body too).

The factory installs it outside every middleware that reads a body (rate limit,
idempotency) and the application; only the request-id/metrics middleware wraps
it, which reads no body, so a 413 is still logged, counted and carries its
`X-Request-Id`. The limit is also put in the scope (`SCOPE_KEY`) so an inner
reader (the idempotency middleware) can bound its own buffer by it.

A refusal is raised to the reader as `BodyTooLarge`, a Starlette
`HTTPException(413)`: FastAPI re-raises it from its body parsing and the app's
handler turns it into problem+json. Whatever a reader makes of it (that 413,
a 400 of its own, an exception), this middleware answers its own 413 in its
place while the answer has not started, so an over-limit body gets one answer.

`StreamSlots` caps long-lived responses (server-sent events) per client
address and in total, per process.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ishc_platform.errors import Problem, problem_response

SCOPE_KEY = "ishc.max_body_bytes"
UPLOAD_PATHS: tuple[str, ...] = ("/v1/imports",)
_MAX_CONTENT_LENGTH_DIGITS = 19


class BodyTooLarge(HTTPException):
    """The request body is larger than the route's limit (413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_detail(limit))
        self.limit = limit


def too_large_detail(limit: int) -> str:
    return f"the request body is larger than the limit of {limit} bytes"


def too_large(limit: int) -> Problem:
    return Problem(413, too_large_detail(limit), max_bytes=limit)


def client_address(scope: Scope) -> str:
    """The client's address as the server saw it (behind a proxy, run uvicorn with
    `--forwarded-allow-ips` naming the proxy, so this is the real client's)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _declared_length(scope: Scope) -> int | Problem | None:
    """The Content-Length header: None when absent, a Problem when malformed."""
    values = [v for k, v in scope.get("headers", []) if k.lower() == b"content-length"]
    if not values:
        return None
    lengths = set()
    for value in values:
        text = value.strip()
        if not text.isdigit() or len(text) > _MAX_CONTENT_LENGTH_DIGITS:
            return Problem(400, "Content-Length must be a non-negative integer")
        lengths.add(int(text))
    if len(lengths) != 1:
        return Problem(400, "Content-Length is given twice with different values")
    return lengths.pop()


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_upload_bytes: int,
        upload_paths: Sequence[str] = UPLOAD_PATHS,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes
        self.upload_paths = tuple(upload_paths)

    def limit_for(self, path: str) -> int:
        for prefix in self.upload_paths:
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return self.max_upload_bytes
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        scope[SCOPE_KEY] = limit
        declared = _declared_length(scope)
        if isinstance(declared, Problem):
            await problem_response(declared, Request(scope))(scope, receive, send)
            return
        if declared is not None and declared > limit:
            await problem_response(too_large(limit), Request(scope))(scope, receive, send)
            return

        received = 0
        exceeded = False
        started = False
        refused = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge(limit)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started, refused
            if refused:
                return  # the app's own answer, replaced by our 413
            if message["type"] == "http.response.start":
                if exceeded:  # whatever the app made of it, the answer is our 413
                    refused = started = True
                    await self._refuse(scope, send, limit)
                    return
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            # Past the limit, whatever a reader raised (BodyTooLarge, or what it
            # made of it) is the body's fault: answer 413 while we still can.
            if not exceeded:
                raise
            if not started:
                await self._refuse(scope, send, limit)

    @staticmethod
    async def _refuse(scope: Scope, send: Send, limit: int) -> None:
        async def no_body() -> Message:
            return {"type": "http.disconnect"}

        await problem_response(too_large(limit), Request(scope))(scope, no_body, send)


class StreamSlots:
    """Concurrent long-lived responses, per client address and in total.

    Counted in this process: with N replicas behind a load balancer a client
    can hold up to N × `per_address` streams. That bounds what one process
    holds (memory, tasks, sockets), which is what the cap protects.
    """

    def __init__(self, per_address: int, total: int) -> None:
        self.per_address = per_address
        self.total = total
        self._held: Counter[str] = Counter()

    @property
    def in_use(self) -> int:
        return sum(self._held.values())

    def held_by(self, address: str) -> int:
        return self._held[address]

    def acquire(self, address: str, retry_after_seconds: int = 15) -> StreamSlot:
        """A slot for `address`; a Problem(429) with `Retry-After` when none is free."""
        headers = {"Retry-After": str(retry_after_seconds)}
        if self._held[address] >= self.per_address:
            raise Problem(
                429,
                f"at most {self.per_address} concurrent streams per client address",
                kind="too-many-streams",
                headers=headers,
            )
        if self.in_use >= self.total:
            raise Problem(
                429,
                "the server is at its limit of concurrent streams; retry later",
                kind="too-many-streams",
                headers=headers,
            )
        self._held[address] += 1
        return StreamSlot(self, address)

    def _release(self, address: str) -> None:
        self._held[address] -= 1
        if self._held[address] <= 0:
            del self._held[address]


class StreamSlot:
    """One held slot; `release()` is idempotent."""

    def __init__(self, slots: StreamSlots, address: str) -> None:
        self._slots: StreamSlots | None = slots
        self.address = address

    def release(self, *_: Any) -> None:
        slots, self._slots = self._slots, None
        if slots is not None:
            slots._release(self.address)
