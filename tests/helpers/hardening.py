"""A service built by the platform's factory with a few probe routes, and a raw
ASGI driver that shows exactly how much of a request body the app pulled.

Used by the tests of the shared HTTP limits (body size, rate, idempotency scope,
cursors, hostile headers)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import redis
from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel, Field

from ishc_platform.auth import Role, ensure_record_visible, issue_token
from ishc_platform.deps import CurrentCaller, Cursor
from ishc_platform.errors import not_found
from ishc_platform.pagination import decode_cursor
from ishc_platform.service_app import ServiceSpec, create_service_app
from ishc_platform.settings import Settings
from tests.helpers.widgets import prepare_database

SECRET = "h" * 48
MiB = 1024 * 1024

calls: dict[str, int] = {}
"""How many times each probe route's handler ran (reset by `build`)."""

router = APIRouter(prefix="/v1")


class EchoIn(BaseModel):
    text: str = Field(max_length=10_000_000)


@router.post("/echo")
async def echo(body: EchoIn, caller: CurrentCaller) -> dict[str, Any]:
    calls["echo"] = calls.get("echo", 0) + 1
    return {"length": len(body.text), "by": caller.sub}


@router.post("/imports")
async def upload(request: Request, caller: CurrentCaller) -> dict[str, Any]:
    calls["imports"] = calls.get("imports", 0) + 1
    return {"bytes": len(await request.body())}


class PersonIn(BaseModel):
    full_name: str
    birth_date: str


@router.post("/provinces/{province}/people", status_code=201)
async def add_person(province: str, body: PersonIn, caller: CurrentCaller) -> dict[str, Any]:
    """A write whose answer holds a person's data, for province tokens of `province`
    only (a national token reads no person's record; 404 so nothing leaks)."""
    if caller.role is not Role.PROVINCE:
        raise not_found("province")
    ensure_record_visible(caller, province, "province")
    calls["people"] = calls.get("people", 0) + 1
    return {
        "id": str(uuid.uuid4()),
        "full_name": body.full_name,
        "birth_date": body.birth_date,
        "n": calls["people"],
    }


@router.get("/things")
async def things(caller: CurrentCaller, cursor: Cursor = None) -> dict[str, Any]:
    calls["things"] = calls.get("things", 0) + 1
    position = decode_cursor(cursor, {"after"})
    # Uses the value as a string, as the services' queries do.
    return {"after": position["after"].lower() if position else None}


def token(role: Role, *provinces: str, sub: str = "tester") -> str:
    return issue_token(SECRET, sub=sub, role=role, provinces=provinces)


def bearer(role: Role, *provinces: str, sub: str = "tester") -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, *provinces, sub=sub)}"}


def build(database_url: str, redis_url: str, prefix: str, **overrides: Any) -> FastAPI:
    """A `registry`-named service with the probe routes; its database migrated."""
    calls.clear()
    prepare_database(database_url)
    settings = Settings(
        database_url=database_url,
        redis_url=redis_url,
        jwt_secrets=SECRET,
        stream_prefix=prefix,
        relay_poll_seconds=30,
        **overrides,
    )
    return create_service_app(
        ServiceSpec(name="registry", description="hardening probes", routers=[router]), settings
    )


def new_prefix() -> str:
    return f"test.{uuid.uuid4().hex[:10]}."


def drop_keys(redis_url: str, prefix: str) -> None:
    client = redis.Redis.from_url(redis_url)
    keys = client.keys(f"{prefix}*")
    if keys:
        client.delete(*keys)
    client.close()


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[FastAPI]:
    """The app with its lifespan run (database, Redis, relay), in this event loop."""
    async with app.router.lifespan_context(app):
        yield app


def chunks_of(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        part = min(size, total - sent)
        sent += part
        yield b"x" * part


@dataclass
class Exchange:
    """One request driven through the ASGI app by hand."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytearray = field(default_factory=bytearray)
    pulled_chunks: int = 0
    pulled_bytes: int = 0
    started: asyncio.Event = field(default_factory=asyncio.Event)
    disconnect: asyncio.Event = field(default_factory=asyncio.Event)


async def drive(
    app: Any,
    method: str,
    path: str,
    *,
    headers: Mapping[str, str | bytes] | None = None,
    body: Iterable[bytes] = (),
    client: tuple[str, int] = ("127.0.0.1", 40000),
    query: str = "",
    exchange: Exchange | None = None,
) -> Exchange:
    """Send a request whose body is pulled chunk by chunk from `body` (lazily, so
    a huge body is never made unless the app reads it); after the body, receive
    waits for `exchange.disconnect`. Returns when the app returns."""
    ex = exchange or Exchange()
    source = iter(body)
    finished = False
    raw_headers = [
        (k.lower().encode(), v if isinstance(v, bytes) else v.encode("latin-1"))
        for k, v in (headers or {}).items()
    ]

    async def receive() -> dict[str, Any]:
        nonlocal finished
        if not finished:
            chunk = next(source, None)
            if chunk is None:
                finished = True
                return {"type": "http.request", "body": b"", "more_body": False}
            ex.pulled_chunks += 1
            ex.pulled_bytes += len(chunk)
            return {"type": "http.request", "body": chunk, "more_body": True}
        await ex.disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            ex.status = message["status"]
            ex.headers = {k.decode(): v.decode("latin-1") for k, v in message["headers"]}
            ex.started.set()
        elif message["type"] == "http.response.body":
            ex.body.extend(message.get("body", b""))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(b"host", b"testserver"), *raw_headers],
        "client": client,
        "server": ("testserver", 80),
        "state": {},
    }
    await app(scope, receive, send)
    return ex
