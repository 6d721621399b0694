"""The trend charts in a real browser (Debian's chromium, headless) over a real
reporting process: the inline SVG renders with its lines at desktop and phone
widths, without a script, and its table opens beside it. Screenshots go to the
test's directory and to /tmp/dash-shots/trends-*.png for review."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

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
SECRET = "v" * 48
SHOTS = Path("/tmp/dash-shots")
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def reporting(tmp_path: Path, redis_url: str) -> Iterator[ServiceProcess]:
    process = ServiceProcess(
        "reporting",
        {
            "ISHC_JWT_SECRETS": SECRET,
            "ISHC_REDIS_URL": redis_url,
            "ISHC_STREAM_PREFIX": f"e2e.{uuid.uuid4().hex[:8]}.",
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


def shoot(target: Any, tmp_path: Path, name: str, full_page: bool = False) -> Path:
    """A screenshot (of a page, or of one element) in the test's directory, copied for review."""
    path = tmp_path / f"trends-{name}.png"
    if full_page:
        target.screenshot(path=str(path), full_page=True)
    else:
        target.screenshot(path=str(path))
    SHOTS.mkdir(exist_ok=True)
    shutil.copy(path, SHOTS / path.name)
    return path


def history(registry: Registry) -> None:
    """Vĩnh Long's clubs over five years: one a year from 2021, one dissolved in
    2024, members joining as they go."""
    communes = ["29623", "29410", "28756", "29719", "28777"]
    for n, commune in enumerate(communes):
        club = registry.club(commune, date(2021 + n, 3, 1), name=f"CLB {n}")
        registry.members(club, "86", 20 + 10 * n, joined_on=date(2021 + n, 3, 1))
        registry.members(club, "86", 5, joined_on=date(2021 + n, 9, 1), sex="male")
        if n == 1:
            registry.dissolve(club, "86", date(2024, 7, 1))


@pytest.mark.tool("chromium")
def test_the_trend_charts_render_with_their_data(
    reporting: ServiceProcess, redis_url: str, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    registry = Registry()
    history(registry)
    publish(redis_url, reporting.env["ISHC_STREAM_PREFIX"] + STREAM, registry)
    deadline = time.monotonic() + 15
    while "<polyline" not in httpx.get(f"{reporting.url}/dashboard/provinces/86", timeout=10).text:
        assert time.monotonic() < deadline, "the clubs never reached the province page"
        time.sleep(0.2)

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            # No script is needed: the charts are in the page as it is served.
            context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
            page = context.new_page()
            page.goto(f"{reporting.url}/dashboard/provinces/86", timeout=30_000)
            trends = page.locator("#trends")
            assert trends.is_visible()
            for name in ("coverage", "clubs", "members", "quality"):
                chart = page.locator(f"svg#trend-{name}")
                assert chart.get_attribute("role") == "img"
                box = chart.bounding_box()
                assert box is not None and box["width"] > 300 and box["height"] > 100, box
            clubs = page.locator("svg#trend-clubs")
            assert clubs.locator("polyline").count() == 1
            line = clubs.locator("polyline").bounding_box()
            assert line is not None and line["width"] > 200  # drawn across the plot
            assert "03/2021" in clubs.inner_html()
            assert page.locator("svg#trend-quality polyline").count() >= 1
            # The table beside them, closed until asked for.
            table = page.locator('table[data-table="counts"]')
            assert not table.is_visible()
            page.locator("details.trend-tables summary").click()
            assert table.is_visible()
            assert table.locator("tbody tr").count() > 12
            first = table.locator("tbody tr").first.inner_text()
            assert "01/12/2026" in first  # the page's day, Vietnam's (UTC still says 30/11)
            widths = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert widths[0] <= widths[1], widths
            shoot(trends, tmp_path, "province-desktop")
            shoot(page, tmp_path, "province-desktop-page", full_page=True)

            phone = browser.new_context(viewport=PHONE, java_script_enabled=False).new_page()
            phone.goto(f"{reporting.url}/dashboard?lang=en", timeout=30_000)
            chart = phone.locator("svg#trend-members")
            box = chart.bounding_box()
            assert box is not None and box["width"] <= PHONE["width"], box
            assert phone.locator("#trends h3").inner_text() == "Trends"
            shoot(phone.locator("#trends"), tmp_path, "national-phone-en")
        finally:
            browser.close()
