"""The dashboard in a real browser (Debian's chromium, headless) over a real
reporting process and Redis: a province's coverage changes on screen, without a
reload, after registry events arrive (the page listens to `/v1/live`)."""

from __future__ import annotations

import time
import tomllib
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from fastapi.encoders import jsonable_encoder

from ishc_contracts.registry_events import STREAM
from ishc_platform.auth import Role, issue_token
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
SECRET = "w" * 48
PLAN_FILES = Path(__file__).parents[2] / "services/reporting/plans"


@pytest.fixture
def reporting(tmp_path: Path, redis_url: str) -> Iterator[ServiceProcess]:
    with reporting_process(tmp_path, redis_url, SECRET) as process:
        yield process


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


# -- are we on track? the national page at desktop and phone widths ---------------

NATIONAL = {"Authorization": f"Bearer {issue_token(SECRET, sub='vae', role=Role.NATIONAL)}"}


def put_plans(url: str) -> None:
    """Vĩnh Long on track, Hà Nội behind, the 2025-2035 national scheme."""
    provinces = (("86", "Kế hoạch Vĩnh Long thử", "3"), ("01", "Kế hoạch Hà Nội thử", "10"))
    for code, title, value in provinces:
        plan = {
            "id": f"test-{code}-2026-2027",
            "scope": "province",
            "province": code,
            "title": title,
            "period_start": "2026-01-01",
            "period_end": "2027-12-31",
            "baseline": {"as_of": "2025-12-31", "coverage_percent": "0"},
            "targets": [{"indicator": "coverage", "value": value, "by": "2027-12-31"}],
        }
        reply = httpx.put(f"{url}/v1/plans/{plan['id']}", json=plan, headers=NATIONAL, timeout=10)
        assert reply.status_code == 201, reply.text
    body = jsonable_encoder(tomllib.loads((PLAN_FILES / "national-2025-2035.toml").read_text()))
    reply = httpx.put(f"{url}/v1/plans/national-2025-2035", json=body, headers=NATIONAL, timeout=10)
    assert reply.status_code == 201, reply.text


def wait_until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 10
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


@pytest.mark.tool("chromium")
def test_the_national_page_says_whether_each_province_is_on_track(
    reporting: ServiceProcess, redis_url: str, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    stream = reporting.env["ISHC_STREAM_PREFIX"] + STREAM
    registry = Registry()
    first = registry.club("29623", date(2020, 1, 1), name="CLB Nhơn Phú")
    registry.members(first, "86", 12, joined_on=date(2021, 1, 1))
    second = registry.club("29410", date(2021, 1, 1), name="CLB Hòa Minh")
    registry.members(second, "86", 6, joined_on=date(2021, 1, 1))
    publish(redis_url, stream, registry)
    put_plans(reporting.url)

    def members_shown(page_url: str, expected: str) -> Callable[[], bool]:
        def check() -> bool:
            html = httpx.get(page_url, timeout=5).text
            row = html.split('<tr data-code="86">')[1].split("</tr>")[0]
            return f'<td data-field="members">{expected}</td>' in row

        return check

    wait_until(members_shown(f"{reporting.url}/dashboard", "18"), "the clubs never arrived")

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            # A Vietnamese browser: the date picker writes dd/mm/yyyy.
            desktop = browser.new_page(viewport=DESKTOP, locale="vi-VN")
            desktop.goto(f"{reporting.url}/dashboard", timeout=15_000)
            desktop.wait_for_selector("table[data-live][data-revision]", timeout=10_000)
            # The nation first, against its plans, then each province's status.
            summary = desktop.locator("#summary")
            assert summary.is_visible()
            assert "+6.000" in summary.inner_text() and "Cần đạt đến nay" in summary.inner_text()
            status = desktop.locator('tr[data-code="86"] [data-field="status"]')
            assert status.inner_text() == "đúng tiến độ"
            assert desktop.locator('tr[data-code="01"] [data-field="status"]').inner_text() == (
                "chậm tiến độ"
            )
            assert desktop.locator('tr[data-code="75"] [data-field="status"]').inner_text() == (
                "chưa có kế hoạch"
            )
            assert desktop.locator("#total").inner_text().startswith("Toàn quốc")
            # No sideways scrolling at 1366 px: the page is no wider than the window.
            widths = desktop.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert widths[0] <= widths[1], widths
            table_right = desktop.evaluate(
                "document.getElementById('provinces').getBoundingClientRect().right"
            )
            assert table_right <= DESKTOP["width"], table_right
            shoot(desktop, tmp_path, "national-desktop")
            # The other columns open on demand, inside the table's own box.
            assert not desktop.locator("#provinces thead th:nth-child(10)").is_visible()
            desktop.locator("label[for=more-columns]").click()
            assert desktop.locator("#provinces thead th:nth-child(10)").is_visible()
            widths = desktop.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert widths[0] <= widths[1], widths
            shoot(desktop, tmp_path, "national-desktop-more-columns")
            desktop.locator("label[for=more-columns]").click()

            # Sorting: members, largest first; names with Vietnamese collation.
            members = desktop.locator("#provinces thead th:nth-child(9) button")
            members.click()
            members.click()
            assert (
                desktop.locator("#provinces thead th:nth-child(9)").get_attribute("aria-sort")
                == "descending"
            )
            assert desktop.locator("#provinces tbody tr").first.get_attribute("data-code") == "86"
            assert desktop.locator("#provinces tfoot tr").count() == 1  # totals stay last
            desktop.locator("#provinces thead th:nth-child(1) button").click()
            names = desktop.locator("#provinces tbody th").all_inner_texts()
            ordered = desktop.evaluate(
                "(names) => names.slice().sort(new Intl.Collator('vi').compare)", names
            )
            assert names == ordered and len(names) == 34
            shoot(desktop, tmp_path, "national-desktop-sorted")
            # By status: behind first, then on track, then no plan.
            desktop.locator("#provinces thead th:nth-child(2) button").click()
            rows = desktop.locator("#provinces tbody tr")
            codes = [rows.nth(i).get_attribute("data-code") for i in range(2)]
            assert codes == ["01", "86"]

            # A past day's page, and today's page made to claim another day (as
            # one left open past midnight would): neither takes the feed's figures.
            # The past day picked on the calendar: the field gets it as people
            # write it, and the page reloads for that day.
            past = browser.new_page(viewport=DESKTOP)
            past.goto(f"{reporting.url}/dashboard", timeout=15_000)
            assert past.locator("#as-of-picker").is_visible()
            with past.expect_navigation(timeout=15_000):
                past.fill("#as-of-picker", "2026-06-30")
            assert "as_of=30%2F06%2F2026" in past.url
            assert past.locator("#as-of").input_value() == "30/06/2026"
            past_members = past.locator('tr[data-code="86"] [data-field="members"]')
            assert past_members.inner_text() == "18"
            assert past.locator("#not-live").is_visible()
            stale = browser.new_page(viewport=DESKTOP)
            stale.goto(f"{reporting.url}/dashboard", timeout=15_000)
            stale.wait_for_selector("table[data-live][data-revision]", timeout=10_000)
            stale.evaluate(
                """() => document.querySelectorAll('table[data-live]')
                        .forEach(t => t.setAttribute('data-as-of', '2026-11-30'))"""
            )

            more = registry.members(second, "86", 3, joined_on=date(2026, 11, 15))
            assert more
            publish(redis_url, stream, registry)
            desktop.wait_for_function(
                """() => document.querySelector('tr[data-code="86"] [data-field="members"]')
                        .textContent === '21'""",
                timeout=10_000,
            )  # the update arrived, live, on today's page
            assert past_members.inner_text() == "18"  # the past day's figures stay
            assert stale.locator('tr[data-code="86"] [data-field="members"]').inner_text() == "18"
            assert "stale" in (stale.locator("#updated").get_attribute("class") or "")
            assert desktop.locator("#total [data-field='members']").inner_text() == "21"
            assert desktop.locator('[data-total="members"]').inner_text() == "21"  # headline
            shoot(past, tmp_path, "national-past-date")

            # A phone: the province names stick, the status is in view.
            phone = browser.new_page(
                viewport=PHONE, device_scale_factor=2, is_mobile=True, locale="vi-VN"
            )
            phone.goto(f"{reporting.url}/dashboard", timeout=15_000)
            status = phone.locator('tr[data-code="86"] [data-field="status"]')
            status.scroll_into_view_if_needed()
            box = status.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
            name = phone.locator('tr[data-code="86"] th')
            before = name.bounding_box()
            phone.evaluate("document.querySelector('#provinces').parentElement.scrollLeft = 400")
            after = name.bounding_box()
            assert before and after and abs(after["x"] - before["x"]) < 1, (before, after)
            assert (
                phone.evaluate("document.querySelector('#provinces').parentElement.scrollLeft") > 0
            )  # the table did scroll under it
            shoot(phone, tmp_path, "national-phone-scrolled")
            phone.evaluate("document.querySelector('#provinces').parentElement.scrollLeft = 0")
            shoot(phone, tmp_path, "national-phone")

            # The province page on a phone: communes with clubs first, filtered as typed.
            phone.goto(f"{reporting.url}/dashboard/provinces/86", timeout=15_000)
            rows = phone.locator("#commune-table tbody tr")
            assert rows.first.get_attribute("data-commune") in ("29623", "29410")
            phone.fill("#commune-filter", "nhon phu")
            visible = phone.locator("#commune-table tbody tr:not([hidden])")
            assert visible.count() == 1 and "Nhơn Phú" in visible.first.inner_text()
            shoot(phone, tmp_path, "province-phone-filtered")
            phone.fill("#commune-filter", "")
            desktop.goto(f"{reporting.url}/dashboard/provinces/86", timeout=15_000)
            shoot(desktop, tmp_path, "province-desktop")
            desktop.goto(f"{reporting.url}/dashboard/rollout", timeout=15_000)
            shoot(desktop, tmp_path, "rollout-desktop")
        finally:
            browser.close()
