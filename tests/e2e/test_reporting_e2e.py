"""The registry and reporting as real processes over HTTP, on a real Redis:
writes in the registry become the indicators worked out by hand, a dissolved
club lowers coverage, and a rebuild from the event log gives the same figures."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from ishc_platform.auth import Role, issue_token
from ishc_platform.clock import set_clock_start
from tests.helpers.e2e import running_services
from tests.helpers.e2e import wait_for as shared_wait_for
from tests.helpers.services import ServiceProcess

pytestmark = pytest.mark.e2e
SECRET = "e" * 48
# 23:30 on 30/11/2026 in Vietnam (16:30 UTC): the last day of a month, so that
# month counts as complete, in the hours when Vietnam's date is UTC's.
CLOCK_START = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)
ON = date(2026, 11, 30)


@pytest.fixture
def services(tmp_path: Path, redis_url: str) -> Iterator[dict[str, ServiceProcess]]:
    names = ("registry", "reporting")
    with running_services(
        names, tmp_path, redis_url, secret=SECRET, clock_start=CLOCK_START
    ) as started:
        yield started


def token(role: Role, *provinces: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {issue_token(SECRET, sub='e2e', role=role, provinces=provinces)}"
    }


@pytest.fixture(autouse=True)
def services_clock() -> None:
    """This process's clock as the services have it, so their tokens are current
    (tests/conftest.py puts it back after the test)."""
    set_clock_start(CLOCK_START)


def vl() -> dict[str, str]:
    return token(Role.PROVINCE, "86")


def post(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    reply = client.post(path, json=body, headers=vl())
    assert reply.status_code in (200, 201), reply.text
    return dict(reply.json())


def wait_for(read: Callable[[], Any], expected: Any, seconds: float = 10.0) -> Any:
    return shared_wait_for(read, expected, seconds, every=0.1)


def months_in_period() -> list[date]:
    """The 15th of each month of the default period up to 30/11/2026 (twelve
    months: December 2025 to November 2026, complete on its last day)."""
    return [date(2025, 12, 15)] + [date(2026, month, 15) for month in range(1, 12)]


def test_registry_writes_become_indicators_and_a_rebuild_agrees(
    services: dict[str, ServiceProcess], tmp_path: Path
) -> None:
    registry = httpx.Client(base_url=services["registry"].url, timeout=10)
    reporting = httpx.Client(base_url=services["reporting"].url, timeout=10)
    on = ON

    a = post(registry, "/v1/clubs", {"name": "CLB Nhơn Phú", "commune_code": "29623",
                                     "founded_on": "2020-01-01"})["id"]  # fmt: skip
    people = (
        [("female", 1950, "poor", False)] * 35
        + [("female", 1995, "poor", False)] * 2
        + [("male", 1990, "none", True)] * 5
        + [("male", 1990, "none", False)] * 13
    )
    ids = [
        post(registry, f"/v1/clubs/{a}/members", {
            "full_name": f"Hội viên {n}", "sex": sex, "birth_year": year,
            "poverty_status": poverty, "is_volunteer": volunteer, "joined_on": "2021-01-01",
        })["id"]
        for n, (sex, year, poverty, volunteer) in enumerate(people)
    ]  # fmt: skip
    positions = ["chair", "vice_chair", "member", "member", "member"]
    reply = registry.put(f"/v1/clubs/{a}/board", headers=vl(), json={
        "effective_on": "2021-02-01",
        "seats": [{"position": p, "member_id": m} for p, m in zip(positions, ids, strict=False)],
    })  # fmt: skip
    assert reply.status_code == 200, reply.text
    for held_on in months_in_period():
        post(registry, f"/v1/clubs/{a}/meetings", {
            "held_on": held_on.isoformat(), "attendance": 40,
            "hardship_cases_chosen": 1, "hardship_cases_supported": 1,
        })  # fmt: skip
    post(registry, f"/v1/clubs/{a}/activities",
         {"area": "health_care", "held_on": on.isoformat(), "participants": 30})  # fmt: skip
    b = post(registry, "/v1/clubs", {"name": "CLB Hòa Minh", "commune_code": "29410",
                                     "founded_on": "2021-01-01"})["id"]  # fmt: skip
    for n in range(3):
        post(registry, f"/v1/clubs/{b}/members", {
            "full_name": f"Thành viên {n}", "sex": "female", "birth_year": 1950,
            "poverty_status": "near_poor", "joined_on": "2021-06-01",
        })  # fmt: skip

    def province() -> dict[str, Any]:
        reply = reporting.get("/v1/indicators/provinces/86", headers=vl())
        assert reply.status_code == 200, reply.text
        return dict(reply.json()["indicators"])

    assert wait_for(lambda: province()["members"], 58) == 58
    figures = province()
    assert figures["clubs"] == 2
    assert figures["communes"] == 124
    assert figures["coverage"] == "1.61"  # 2 of 124 communes
    assert figures["older_members"] == 38  # 35 in A, 3 in B (all born 1950)
    assert figures["women"] == 40
    assert figures["poor"] == 40
    assert figures["volunteers"] == 5
    assert figures["clubs_meeting"] == {
        "size_ok": 1,  # A has 55; B has 3
        "women_ok": 1,  # A: 37 of 55 = 67.3%; B: 100%
        "older_ok": 1,  # A: 35 of 55 = 63.6%
        "young_ok": 1,  # A: 20 of 55 = 36.4%
        "poor_ok": None,  # no plan in force: the default plan states no band of poor members
        "board_ok": 1,
        "volunteers_ok": 1,
        "meetings_ok": 1,  # A met every complete month; B never
        "funds_ok": 0,  # neither opened its funds (finance is not running here)
        "exercise_ok": 0,  # nor recorded an exercise session (nor health)
        "well_managed": 0,  # A met every month with a full board, but has no funds
        "full_activity": 0,
    }
    assert figures["clubs_in_all_areas"] == 0
    assert figures["hardship_cases_supported"] == len(months_in_period())
    # The national view and the other province's token
    table = reporting.get("/v1/indicators/provinces", headers=token(Role.NATIONAL)).json()
    assert len(table["provinces"]) == 34
    other = token(Role.PROVINCE, "75")
    assert reporting.get("/v1/indicators/provinces/86", headers=other).status_code == 404
    assert reporting.get(f"/v1/indicators/clubs/{a}", headers=other).status_code == 404
    assert reporting.get("/v1/indicators/provinces").status_code == 401

    post(
        registry, f"/v1/clubs/{b}/dissolve", {"dissolved_on": on.isoformat(), "reason": "giải thể"}
    )
    assert wait_for(lambda: province()["coverage"], "0.80") == "0.80"  # 1 of 124
    assert province()["clubs"] == 1

    rebuilt = tmp_path / "rebuilt.db"
    result = subprocess.run(
        [
            sys.executable, "-m", "ishc_reporting.cli", "rebuild",
            "--into", f"sqlite:///{rebuilt}",
            "--log", f"registry={services['registry'].url}",
            "--compare-with", services["reporting"].env["ISHC_DATABASE_URL"],
        ],
        env=services["reporting"].env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "equal the live ones" in result.stderr
