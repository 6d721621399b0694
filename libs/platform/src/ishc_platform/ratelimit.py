"""Requests per minute, per token and per client address, shared by replicas.

Who is counted:
- a request with a valid bearer token, by a hash of the token's subject and
  role, against `ISHC_RATE_LIMIT_PER_MINUTE` (default 600);
- any other request (no token, or one that does not verify), by the client's
  address, against `ISHC_RATE_LIMIT_ANONYMOUS_PER_MINUTE` (default 120). A
  forged token therefore spends its address's budget and cannot mint fresh ones.
`/healthz`, `/readyz` and `/metrics` are never counted. 0 disables a limit.
Each service counts its own requests: the budget is per service, shared by all
of that service's replicas.

How: a sliding-window counter in Redis (the current minute's count plus the
previous minute's, weighted by how much of it still overlaps the last 60
seconds), read and incremented atomically by one small Lua script, so replicas
share one budget without a race. A refused request is not counted, so a client
that waits the `Retry-After` it was given gets in. Keys are
`<ISHC_STREAM_PREFIX>ishc.ratelimit.<service>.{<who>}.<minute>`, they expire after
two minutes, and hold no token or address in clear (a SHA-256 prefix).

Over the limit: 429 problem+json with `Retry-After` (whole seconds until one
more request would be allowed).

Redis down or slow (over `ISHC_RATE_LIMIT_TIMEOUT_SECONDS`, default 0.25): the
request goes through (fail open, `ishc_rate_limit_unavailable_total` counts it),
and the limiter does not ask Redis again for `BACKOFF_SECONDS`, so an outage
costs one timeout, not one per request. Availability wins over the limit; the
alert is on the metric.

The client's address is the one the server saw: behind an ingress, uvicorn must
trust the proxy's `X-Forwarded-For` (`--forwarded-allow-ips`), or every
anonymous client shares the ingress's budget.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from dataclasses import dataclass
from typing import Any

import structlog
from prometheus_client import Counter
from redis.asyncio import Redis
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from ishc_platform.auth import bearer_token, verify_token
from ishc_platform.clock import utcnow
from ishc_platform.errors import Problem, problem_response
from ishc_platform.limits import client_address

log = structlog.get_logger(__name__)

WINDOW_SECONDS = 60
BACKOFF_SECONDS = 5.0
EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

RATE_LIMITED = Counter(
    "ishc_rate_limited", "Requests refused by the rate limit", ["service", "who"]
)
RATE_LIMIT_UNAVAILABLE = Counter(
    "ishc_rate_limit_unavailable",
    "Requests let through unchecked because Redis did not answer the rate limiter",
    ["service"],
)

# KEYS[1]: this window's counter, KEYS[2]: the previous window's.
# ARGV[1]: the limit, ARGV[2]: the previous window's weight (0..1), ARGV[3]: ttl seconds.
# Returns {allowed (0|1), current count, previous count}.
_SLIDING_WINDOW = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
if previous * tonumber(ARGV[2]) + current + 1 > tonumber(ARGV[1]) then
  return {0, current, previous}
end
current = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return {1, current, previous}
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0


def retry_after(limit: int, current: int, previous: int, elapsed: float) -> int:
    """Whole seconds until one more request fits, with no other request meanwhile.

    `elapsed` is how far into the current window we are. The estimate at a later
    instant e (seconds into the current window) is `previous·(W−e)/W + current`
    while e < W, then `current·(2W−e)/W` once the current window has become the
    previous one.
    """
    window = WINDOW_SECONDS
    room = limit - 1  # the request itself counts one
    wait: float
    if room - current >= 0 and previous > 0:
        at = window * (1 - (room - current) / previous)
        wait = max(0.0, at - elapsed)
    elif current <= room:
        wait = 0.0
    else:
        at = 2 * window - window * room / current
        wait = max(window - elapsed, at - elapsed)
    return max(1, math.ceil(wait))


class SlidingWindowLimiter:
    """The counter in Redis (see the module's docstring)."""

    def __init__(self, prefix: str, service: str, timeout_seconds: float = 0.25) -> None:
        self.prefix = prefix
        self.service = service
        self.timeout_seconds = timeout_seconds
        self._backoff_until = 0.0

    def _keys(self, who: str, window: int) -> list[str]:
        base = f"{self.prefix}ishc.ratelimit.{self.service}.{{{who}}}."
        return [f"{base}{window}", f"{base}{window - 1}"]

    async def hit(self, redis: Redis | None, who: str, limit: int) -> Decision:
        if redis is None or time.monotonic() < self._backoff_until:
            RATE_LIMIT_UNAVAILABLE.labels(self.service).inc()
            return Decision(True)
        now = utcnow().timestamp()
        window = int(now // WINDOW_SECONDS)
        elapsed = now - window * WINDOW_SECONDS
        weight = (WINDOW_SECONDS - elapsed) / WINDOW_SECONDS
        try:
            async with asyncio.timeout(self.timeout_seconds):
                reply: Any = await redis.eval(
                    _SLIDING_WINDOW,
                    2,
                    *self._keys(who, window),
                    limit,
                    repr(weight),
                    2 * WINDOW_SECONDS,
                )
        except Exception as exc:  # fail open: Redis down, slow or refusing
            self._backoff_until = time.monotonic() + BACKOFF_SECONDS
            RATE_LIMIT_UNAVAILABLE.labels(self.service).inc()
            log.warning(
                "ratelimit.unavailable",
                error=type(exc).__name__,
                backoff_seconds=BACKOFF_SECONDS,
            )
            return Decision(True)
        allowed, current, previous = (int(v) for v in reply)
        if allowed:
            return Decision(True)
        return Decision(False, retry_after(limit, current, previous, elapsed))


def _who(scope: Scope, secrets: list[str]) -> tuple[str, bool]:
    """A hash naming the caller, and whether it is a verified token's."""
    request = Request(scope)
    token = bearer_token(request)
    if token is not None and secrets:
        try:
            caller = verify_token(token, secrets)
        except Problem:
            pass
        else:
            name = f"token\x00{caller.sub}\x00{caller.role.value}"
            return hashlib.sha256(name.encode()).hexdigest()[:32], True
    name = f"address\x00{client_address(scope)}"
    return hashlib.sha256(name.encode()).hexdigest()[:32], False


class RateLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        service: str,
        per_minute: int,
        anonymous_per_minute: int,
        secrets: list[str],
        prefix: str = "",
        timeout_seconds: float = 0.25,
    ) -> None:
        self.app = app
        self.service = service
        self.per_minute = per_minute
        self.anonymous_per_minute = anonymous_per_minute
        self.secrets = secrets
        self.limiter = SlidingWindowLimiter(prefix, service, timeout_seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        who, authenticated = _who(scope, self.secrets)
        limit = self.per_minute if authenticated else self.anonymous_per_minute
        if limit <= 0:
            await self.app(scope, receive, send)
            return
        app_state = getattr(scope.get("app"), "state", None)
        redis: Redis | None = getattr(app_state, "redis", None)
        decision = await self.limiter.hit(redis, who, limit)
        if decision.allowed:
            await self.app(scope, receive, send)
            return
        RATE_LIMITED.labels(self.service, "token" if authenticated else "address").inc()
        problem = Problem(
            429,
            f"more than {limit} requests a minute; retry after {decision.retry_after} s",
            kind="rate-limited",
            headers={"Retry-After": str(decision.retry_after)},
            limit_per_minute=limit,
        )
        await problem_response(problem, Request(scope))(scope, receive, send)
