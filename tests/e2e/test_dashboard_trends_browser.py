"""The trend charts in a real browser (Debian's chromium, headless) over a real
reporting process: the inline SVG renders with its lines at desktop and phone
widths, without a script, and its table opens beside it. Screenshots go to the
test's directory and to the review copies (tests/helpers/browser.py) for review."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from ishc_contracts.registry_events import STREAM
from tests.helpers.browser import (
    CHROMIUM,
    DESKTOP,
    PHONE,
    publish,
    reporting_process,
    shoot,
)
from tests.helpers.services import ServiceProcess
from tests.reporting.conftest import Registry

pytestmark = pytest.mark.e2e
SECRET = "v" * 48


@pytest.fixture
def reporting(tmp_path: Path, redis_url: str) -> Iterator[ServiceProcess]:
    # The snapshot job at once, so the quality shares come at every month's end.
    env = {"ISHC_SNAPSHOT_SECONDS": "0.05"}
    with reporting_process(tmp_path, redis_url, SECRET, env) as process:
        yield process


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
@pytest.mark.timeout(420)  # the snapshot job's 69 months, on a loaded machine
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
    deadline = time.monotonic() + 300  # 69 months of snapshots and shares, one at a time
    monthly = "(cuối mỗi tháng)"  # the quality chart's title once every month is measured
    while monthly not in httpx.get(f"{reporting.url}/dashboard/provinces/86", timeout=10).text:
        assert time.monotonic() < deadline, "the snapshot job never measured every month"
        time.sleep(0.5)

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
            lines = page.locator("svg#trend-quality polyline")
            points = sum(
                len((lines.nth(n).get_attribute("points") or "").split())
                for n in range(lines.count())
            )
            assert points > 60, points  # every month's end since 03/2021, each series
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
            shoot(trends, tmp_path, "trends-province-desktop")
            shoot(page, tmp_path, "trends-province-desktop-page")

            phone = browser.new_context(viewport=PHONE, java_script_enabled=False).new_page()
            phone.goto(f"{reporting.url}/dashboard?lang=en", timeout=30_000)
            chart = phone.locator("svg#trend-members")
            box = chart.bounding_box()
            assert box is not None and box["width"] <= PHONE["width"], box
            assert phone.locator("#trends h3").inner_text() == "Trends"
            shoot(phone.locator("#trends"), tmp_path, "trends-national-phone-en")
        finally:
            browser.close()
