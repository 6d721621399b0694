"""The dashboard in a real browser (Debian's chromium, headless) over a real
reporting process and Redis: a province's coverage changes on screen, without a
reload, after registry events arrive (the page listens to `/v1/live`)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import httpx
import pytest
from faststream.redis import RedisBroker
from redis.asyncio import Redis

from ishc_contracts.registry_events import STREAM
from ishc_platform.broker import EventPublisher
from tests.helpers.services import ServiceProcess
from tests.helpers.tools import TOOLS
from tests.reporting.conftest import Registry

pytestmark = pytest.mark.e2e
CHROMIUM = TOOLS["chromium"].command
SECRET = "w" * 48


@pytest.fixture
def reporting(tmp_path: Path, redis_url: str) -> Iterator[ServiceProcess]:
    prefix = f"e2e.{uuid.uuid4().hex[:8]}."
    process = ServiceProcess(
        "reporting",
        {
            "ISHC_JWT_SECRETS": SECRET,
            "ISHC_REDIS_URL": redis_url,
            "ISHC_STREAM_PREFIX": prefix,
            "ISHC_CONSUMER_BLOCK_MS": "100",
            "ISHC_DATABASE_URL": f"sqlite:///{tmp_path}/reporting.db",
        },
        tmp_path / "reporting.log",
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()


def publish(redis_url: str, stream: str, registry: Registry) -> None:
    async def send() -> None:
        redis = Redis.from_url(redis_url)
        publisher = EventPublisher(RedisBroker(redis_url), redis, stream, "registry")
        await publisher.publish_many([json.dumps(e) for e in registry.log])
        await redis.aclose()

    # In a thread of its own: Playwright's sync API keeps an event loop in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, send()).result(timeout=10)
    registry.log.clear()


@pytest.mark.tool("chromium")
def test_a_write_changes_the_coverage_on_screen(reporting: ServiceProcess, redis_url: str) -> None:
    from playwright.sync_api import sync_playwright

    stream = reporting.env["ISHC_STREAM_PREFIX"] + STREAM
    registry = Registry()
    first = registry.club("29623", date(2020, 1, 1), name="CLB Nhơn Phú")
    registry.members(first, "86", 5, joined_on=date(2021, 1, 1))
    publish(redis_url, stream, registry)

    def applied() -> bool:
        reply = httpx.get(f"{reporting.url}/dashboard/provinces/86", timeout=5)
        return "0,80" in reply.text

    deadline = time.monotonic() + 10
    while not applied():
        assert time.monotonic() < deadline, "the first club never reached the dashboard"
        time.sleep(0.1)

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page()
            page.goto(f"{reporting.url}/dashboard", timeout=15_000)
            cell = page.locator('tr[data-code="86"] [data-field="coverage"]')
            assert cell.inner_text() == "0,80"  # 1 of 124 communes
            page.wait_for_selector("table[data-live][data-revision]", timeout=10_000)
            # The live feed is connected (its snapshot arrived). A mark on this
            # document shows later that the page was never reloaded.
            page.evaluate("window.notReloaded = true")

            second = registry.club("29410", date(2021, 1, 1), name="CLB Hòa Minh")
            registry.members(second, "86", 3, joined_on=date(2021, 1, 1))
            publish(redis_url, stream, registry)

            page.wait_for_function(
                """() => document.querySelector('tr[data-code="86"] [data-field="coverage"]')
                        .textContent === '1,61'""",
                timeout=10_000,
            )  # 2 of 124, shown without a reload
            # The club and its members may arrive in different batches of the feed.
            page.wait_for_function(
                """() => document.querySelector('tr[data-code="86"] [data-field="members"]')
                        .textContent === '8'""",
                timeout=10_000,
            )
            assert page.evaluate("window.notReloaded === true")
            assert page.locator("#updated").get_attribute("class") != "stale"
        finally:
            browser.close()
