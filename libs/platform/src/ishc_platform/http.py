"""Per-request plumbing: a request id, RED metrics and one log line per request."""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ishc_platform import metrics

log = structlog.get_logger("ishc.http")
MAX_REQUEST_ID = 100
_REQUEST_ID = re.compile(rf"[A-Za-z0-9._-]{{1,{MAX_REQUEST_ID}}}")


def _route_template(scope: Scope) -> str:
    """The matched route's path template, so labels stay few and hold no ids.

    The router records the route it chose in the scope it shares with us."""
    route = scope.get("route")
    return str(getattr(route, "path", "unmatched"))


def _request_id(scope: Scope) -> str:
    """The caller's `X-Request-Id` when it is a short plain token, else a new one
    (a giant or garbled header is never decoded, logged or echoed)."""
    for name, value in scope.get("headers", []):
        if name.lower() == b"x-request-id":
            if len(value) <= MAX_REQUEST_ID:
                incoming = value.decode("latin-1")
                if _REQUEST_ID.fullmatch(incoming):
                    return incoming
            break
    return uuid.uuid4().hex


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        structlog.contextvars.bind_contextvars(request_id=request_id, service=self.service)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            method = scope["method"]
            if route != "/metrics":
                metrics.HTTP_REQUESTS.labels(self.service, method, route, str(status)).inc()
                metrics.HTTP_DURATION.labels(self.service, method, route).observe(elapsed)
                log.info(
                    "http.request",
                    method=method,
                    route=route,
                    status=status,
                    duration_ms=round(elapsed * 1000, 2),
                )
            structlog.contextvars.clear_contextvars()
