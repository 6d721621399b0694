"""What the dashboard's browser tests share: a reporting process on SQLite and
a real Redis, registry events published to it, the two screen sizes, and
screenshots kept in the test's directory with a copy for review (in
`ISHC_TEST_SCREENSHOTS`, default `<tmp>/dash-shots`)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from faststream.redis import RedisBroker
from redis.asyncio import Redis

from ishc_platform.broker import EventPublisher
from tests.helpers.services import ServiceProcess
from tests.helpers.tools import TOOLS
from tests.reporting.conftest import Registry

CHROMIUM = TOOLS["chromium"].command
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
SHOTS = Path(os.environ.get("ISHC_TEST_SCREENSHOTS", Path(tempfile.gettempdir()) / "dash-shots"))


@contextmanager
def reporting_process(
    tmp_path: Path, redis_url: str, secret: str, env: dict[str, str] | None = None
) -> Iterator[ServiceProcess]:
    process = ServiceProcess(
        "reporting",
        {
            "ISHC_JWT_SECRETS": secret,
            "ISHC_REDIS_URL": redis_url,
            "ISHC_STREAM_PREFIX": f"e2e.{uuid.uuid4().hex[:8]}.",
            "ISHC_CONSUMER_BLOCK_MS": "100",
            "ISHC_DATABASE_URL": f"sqlite:///{tmp_path}/reporting.db",
            **(env or {}),
        },
        tmp_path / "reporting.log",
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()


def publish(redis_url: str, stream: str, registry: Registry) -> None:
    """Publish the registry's events, then forget them (the next call sends the new ones)."""

    async def send() -> None:
        redis = Redis.from_url(redis_url)
        publisher = EventPublisher(RedisBroker(redis_url), redis, stream, "registry")
        await publisher.publish_many([json.dumps(e) for e in registry.log])
        await redis.aclose()

    # In a thread of its own: Playwright's sync API keeps an event loop in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, send()).result(timeout=10)
    registry.log.clear()


def shoot(target: Any, tmp_path: Path, name: str, full_page: bool = True) -> Path:
    """A screenshot of a page (whole, or as the window shows it) or of one element,
    in the test's directory, with a copy for review."""
    path = tmp_path / f"{name}.png"
    if full_page and hasattr(target, "goto"):
        target.screenshot(path=str(path), full_page=True)
    else:
        target.screenshot(path=str(path))
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / path.name)
    return path
