"""What the end-to-end tests share: services started as real processes on
SQLite files and one Redis, stopped by their own process ids; and waiting for
an eventually consistent figure."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from tests.helpers.services import ServiceProcess


@contextmanager
def running_services(
    names: Iterable[str], tmp_path: Path, redis_url: str, *, secret: str, clock_start: datetime
) -> Iterator[dict[str, ServiceProcess]]:
    """The named services, in order, each with its SQLite file and log under
    `tmp_path`, sharing one stream prefix and the test's clock."""
    env = {
        "ISHC_JWT_SECRETS": secret,
        "ISHC_REDIS_URL": redis_url,
        "ISHC_STREAM_PREFIX": f"e2e.{uuid.uuid4().hex[:8]}.",
        "ISHC_RELAY_POLL_SECONDS": "5",
        "ISHC_CONSUMER_BLOCK_MS": "100",
        "ISHC_LOG_JSON": "false",
        "ISHC_CLOCK_START": clock_start.isoformat(),
    }
    started: dict[str, ServiceProcess] = {}
    try:
        for name in names:
            database = {"ISHC_DATABASE_URL": f"sqlite:///{tmp_path}/{name}.db"}
            started[name] = ServiceProcess(name, {**env, **database}, tmp_path / f"{name}.log")
            started[name].start()
        yield started
    finally:
        for process in started.values():
            process.stop()


def wait_for(
    read: Callable[[], Any], expected: Any, seconds: float = 15.0, every: float = 0.1
) -> Any:
    """`read()` until it gives `expected` or `seconds` pass; its last value
    (so the test's assertion shows what it saw)."""
    deadline = time.monotonic() + seconds
    value = read()
    while value != expected and time.monotonic() < deadline:
        time.sleep(every)
        value = read()
    return value


def post_once_known(
    client: httpx.Client, path: str, body: dict[str, Any], seconds: float = 30.0, **kwargs: Any
) -> dict[str, Any]:
    """POST `body` once the service knows the club or member it names: finance's
    and health's directories follow the registry's events, which arrive in
    batches of their own, so a member created a moment ago may still be a 404."""
    replies: list[httpx.Response] = []

    def attempt() -> int:
        replies.append(client.post(path, json=body, **kwargs))
        return replies[-1].status_code

    assert wait_for(attempt, 201, seconds=seconds) == 201, (path, replies[-1].text)
    return dict(replies[-1].json())
