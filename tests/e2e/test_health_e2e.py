"""Registry, health and reporting as real processes over HTTP, on a real Redis:
health learns the clubs from the registry's events, checks and exercise sessions
are recorded, and reporting's health_checks_ok and exercise_ok equal the values
worked by hand, from events that carry no clinical value."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from ishc_platform.auth import Role, issue_token
from ishc_platform.clock import set_clock_start
from tests.helpers.e2e import post_once_known, running_services
from tests.helpers.e2e import wait_for as shared_wait_for
from tests.helpers.services import ServiceProcess

pytestmark = pytest.mark.e2e
SECRET = "e" * 48
# 10:00 on 30/11/2026 in Vietnam.
CLOCK_START = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


@pytest.fixture
def services(tmp_path: Path, redis_url: str) -> Iterator[dict[str, ServiceProcess]]:
    with running_services(
        ("registry", "health", "reporting"),
        tmp_path,
        redis_url,
        secret=SECRET,
        clock_start=CLOCK_START,
    ) as started:
        yield started


@pytest.fixture(autouse=True)
def services_clock() -> None:
    set_clock_start(CLOCK_START)


def vl() -> dict[str, str]:
    token = issue_token(SECRET, sub="e2e", role=Role.PROVINCE, provinces=["86"])
    return {"Authorization": f"Bearer {token}"}


def post(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    reply = client.post(path, json=body, headers=vl())
    assert reply.status_code in (200, 201), reply.text
    return dict(reply.json())


def wait_for(read: Callable[[], Any], expected: Any, seconds: float = 15.0) -> Any:
    return shared_wait_for(read, expected, seconds, every=0.1)


def test_checks_and_sessions_become_health_checks_ok_and_exercise_ok(
    services: dict[str, ServiceProcess],
) -> None:
    registry = httpx.Client(base_url=services["registry"].url, timeout=10)
    health = httpx.Client(base_url=services["health"].url, timeout=10)
    reporting = httpx.Client(base_url=services["reporting"].url, timeout=10)

    def club(name: str, commune: str, members: int) -> tuple[str, list[str]]:
        club_id = post(registry, "/v1/clubs", {"name": name, "commune_code": commune,
                                               "founded_on": "2026-11-01"})["id"]  # fmt: skip
        people = [
            post(registry, f"/v1/clubs/{club_id}/members", {
                "full_name": f"Hội viên {n}", "sex": "female", "birth_year": 1950,
                "poverty_status": "poor", "joined_on": "2026-11-01",
            })["id"]
            for n in range(members)
        ]  # fmt: skip
        return club_id, people

    # Both clubs were founded on 01/11/2026: the period's active days are the 30
    # days of November, so ">= 3 sessions a week" asks for 3 x 30 / 7 = 12.9, i.e. 13.
    a, members = club("CLB Nhơn Phú", "29623", 4)
    b, _ = club("CLB Hòa Minh", "29410", 1)

    for member in members[:3]:
        post_once_known(health, f"/v1/members/{member}/consent", {
            "given_on": "2026-11-01", "purpose": "Khám sức khỏe định kỳ",
            "scopes": ["health_checks"],
        }, headers=vl())  # fmt: skip
    checks = {members[0]: ["2026-11-05", "2026-11-20"], members[1]: ["2026-11-10"],
              members[2]: ["2026-11-03", "2026-11-25"]}  # fmt: skip
    for member, days in checks.items():
        for day in days:
            post(health, f"/v1/members/{member}/health-checks",
                 {"checked_on": day, "checker": "station", "systolic_mmhg": 187,
                  "diastolic_mmhg": 95})  # fmt: skip
    for day in range(1, 14):
        post(health, f"/v1/clubs/{a}/exercise-sessions",
             {"held_on": f"2026-11-{day:02d}", "participants": 3})  # fmt: skip
    for day in range(1, 13):
        post(health, f"/v1/clubs/{b}/exercise-sessions",
             {"held_on": f"2026-11-{day:02d}", "participants": 1})  # fmt: skip

    def figures() -> dict[str, Any]:
        reply = reporting.get("/v1/indicators/provinces/86", headers=vl())
        assert reply.status_code == 200, reply.text
        return dict(reply.json()["indicators"])

    assert wait_for(lambda: figures()["exercise_sessions"], 25) == 25
    result = figures()
    assert result["members_checked_twice"] == 2  # members 0 and 2; member 1 once; 3 never
    assert result["health_checks_ok"] == "40.00"  # 2 of the 5 members of both clubs
    assert result["clubs_meeting"]["exercise_ok"] == 1  # A: 13 x 7 >= 3 x 30; B: 12 x 7 < 90
