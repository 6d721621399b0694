"""Registry, finance, health and reporting as real processes over HTTP, on a real
Redis: "full activity" (active in all eight areas in the last 12 months, and well
managed) and the borrowers, per club and for the province, equal the values
worked by hand from what each service recorded.

The dates (DOMAIN.md, "Indicators"; domain/indicators.py):
- clock 30/11/2026, as_of 31/10/2026 (the last day of October, so October is
  complete);
- the default period is the twelve calendar months up to as_of: 01/11/2025 to
  31/10/2026;
- the last 12 months (activity areas, borrowers) run from the day after the same
  date a year before: 01/11/2025 to 31/10/2026, the same days here;
- both clubs were founded on 01/01/2025, so they were active every day of the
  period and had to meet in each of its 12 months: November 2025 to October 2026.

Club A (8 members) and club B (10 members) do the same things, except that B
held no meeting in March 2026:

| area                   | evidence, for both clubs (dates in the window)             |
|------------------------|------------------------------------------------------------|
| income generation      | 2 loans disbursed 10/02/2026 (finance)                     |
| health care            | a health check 10/04/2026, an exercise session 01/06/2026  |
| home care              | a volunteer's visit to a community person 15/07/2026       |
| self-help              | each meeting chose a hardship case (A: 12, B: 11)          |
| rights                 | an activity on 01/11/2025, the window's first day          |
| lifelong learning      | an activity on 20/05/2026                                  |
| spiritual and cultural | an activity on 31/10/2026, as_of itself                    |
| resource mobilisation  | a contribution of 30,000,000 VND on 05/01/2026 (finance)   |

Both boards are complete (5 seats from 01/02/2025); both clubs opened an income
and an activity fund on 01/01/2025.

So, by hand:
- A: all 8 areas; board, funds, 12 of 12 months: well managed, full activity.
- B: all 8 areas too, board and funds, but 11 of 12 months: not well managed,
  so no full activity (areas are judged per club: B's are complete, its
  management is not).
- Province 86 (only these two clubs): clubs in all areas 2; well managed 1 of
  2 = 50.00%; full activity 1 of 2 = "50.00", clubs_meeting.full_activity 1.
- Borrowers: both loans of each club are outstanding on 31/10/2026 (nothing
  repaid) and were disbursed in the window: A 2 of 8 members = "25.00"; B 2 of
  10 = "20.00"; the province 4 of 18 = 22.22…% → "22.22" (sum over sum, not the
  average of 25 and 20).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
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
# 10:00 on 30/11/2026 in Vietnam, as in test_finance_e2e.py and test_health_e2e.py.
CLOCK_START = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
AS_OF = "2026-10-31"
ALL_AREAS = [
    "health_care",
    "home_care",
    "income_generation",
    "lifelong_learning",
    "resource_mobilisation",
    "rights",
    "self_help",
    "spiritual_cultural",
]


@pytest.fixture
def services(tmp_path: Path, redis_url: str) -> Iterator[dict[str, ServiceProcess]]:
    with running_services(
        ("registry", "finance", "health", "reporting"),
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


def wait_for(read: Callable[[], Any], expected: Any, seconds: float = 30.0) -> Any:
    return shared_wait_for(read, expected, seconds, every=0.2)


def meeting_days(skipped: set[tuple[int, int]]) -> list[date]:
    """The 15th of each month of the period (November 2025 to October 2026),
    but the months skipped."""
    months = [(2025, 11), (2025, 12)] + [(2026, m) for m in range(1, 11)]
    assert len(months) == 12
    return [date(y, m, 15) for y, m in months if (y, m) not in skipped]


def test_full_activity_and_borrowers_per_club_and_province(
    services: dict[str, ServiceProcess],
) -> None:
    registry = httpx.Client(base_url=services["registry"].url, timeout=30)
    finance = httpx.Client(base_url=services["finance"].url, timeout=30)
    health = httpx.Client(base_url=services["health"].url, timeout=30)
    reporting = httpx.Client(base_url=services["reporting"].url, timeout=30)
    started = time.monotonic()

    def club(name: str, commune: str, size: int, skipped: set[tuple[int, int]]) -> str:
        club_id = post(registry, "/v1/clubs", {"name": name, "commune_code": commune,
                                               "founded_on": "2025-01-01"})["id"]  # fmt: skip
        # Member 5 is the home-care volunteer; members 0-4 sit on the board;
        # members 6 and 7 borrow.
        members = [
            post(registry, f"/v1/clubs/{club_id}/members", {
                "full_name": f"Hội viên {n}", "sex": "female", "birth_year": 1950,
                "poverty_status": "poor", "is_volunteer": n == 5, "joined_on": "2025-01-01",
            })["id"]
            for n in range(size)
        ]  # fmt: skip
        positions = ["chair", "vice_chair", "member", "member", "member"]
        reply = registry.put(f"/v1/clubs/{club_id}/board", headers=vl(), json={
            "effective_on": "2025-02-01",
            "seats": [{"position": p, "member_id": m} for p, m in zip(positions, members[:5],
                                                                        strict=True)],
        })  # fmt: skip
        assert reply.status_code == 200, reply.text
        for day in meeting_days(skipped):
            post(registry, f"/v1/clubs/{club_id}/meetings", {
                "held_on": day.isoformat(), "attendance": size,
                "hardship_cases_chosen": 1, "hardship_cases_supported": 1,
            })  # fmt: skip
        for area, held_on in (("rights", "2025-11-01"), ("lifelong_learning", "2026-05-20"),
                              ("spiritual_cultural", "2026-10-31")):  # fmt: skip
            post(registry, f"/v1/clubs/{club_id}/activities",
                 {"area": area, "held_on": held_on, "participants": size})  # fmt: skip

        # Finance: it knows the club once the registry's events have reached it.
        def regulation() -> int:
            return finance.post(f"/v1/clubs/{club_id}/regulations", headers=vl(), json={
                "effective_on": "2025-01-01", "rate_min": "0.006", "rate_max": "0.010",
                "fee_min_vnd": 2000, "fee_max_vnd": 5000, "max_loan_vnd": 20_000_000,
                "max_term_months": 24, "rounding_unit_vnd": 1000,
                "methods": ["flat", "declining_equal_principal"],
            }).status_code  # fmt: skip

        assert wait_for(regulation, 201) == 201
        income = post(finance, f"/v1/clubs/{club_id}/funds",
                      {"kind": "income", "opened_on": "2025-01-01"})  # fmt: skip
        post(finance, f"/v1/clubs/{club_id}/funds", {"kind": "activity", "opened_on": "2025-01-01"})
        contribution = {"source": "state_budget", "amount_vnd": 30_000_000,
                        "received_on": "2026-01-05"}  # fmt: skip
        post(finance, f"/v1/funds/{income['id']}/contributions", contribution)

        # Finance and health know a member once the registry's events reach them,
        # in batches of their own: each write naming a member waits for that.
        for member in members[6:8]:
            post_once_known(finance, f"/v1/funds/{income['id']}/loans", {
                "member_id": member, "principal_vnd": 5_000_000, "monthly_rate": "0.008",
                "term_months": 12, "method": "flat", "disbursed_on": "2026-02-10",
            }, headers=vl())  # fmt: skip

        # Health: a check (with the member's consent), a session, a visit.
        post_once_known(health, f"/v1/members/{members[0]}/consent", {
            "given_on": "2025-01-01", "purpose": "Khám sức khỏe định kỳ",
            "scopes": ["health_checks"],
        }, headers=vl())  # fmt: skip
        post(health, f"/v1/members/{members[0]}/health-checks",
             {"checked_on": "2026-04-10", "checker": "station"})  # fmt: skip
        post(health, f"/v1/clubs/{club_id}/exercise-sessions",
             {"held_on": "2026-06-01", "participants": 5})  # fmt: skip
        post_once_known(health, f"/v1/clubs/{club_id}/home-care-visits", {
            "volunteer_id": members[5], "beneficiary": "community",
            "community_person": {"name": "Trần Thị Bích"}, "visited_on": "2026-07-15",
            "tasks": ["talking", "cooking"],
        }, headers=vl())  # fmt: skip
        return club_id

    a = club("CLB Nhơn Phú", "29623", 8, skipped=set())
    b = club("CLB Hòa Minh", "29410", 10, skipped={(2026, 3)})

    def province() -> dict[str, Any]:
        reply = reporting.get("/v1/indicators/provinces/86", params={"as_of": AS_OF}, headers=vl())
        assert reply.status_code == 200, reply.text
        return dict(reply.json()["indicators"])

    def club_figures(club_id: str) -> dict[str, Any]:
        reply = reporting.get(
            f"/v1/indicators/clubs/{club_id}", params={"as_of": AS_OF}, headers=vl()
        )
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["active"] is True, body
        return dict(body["indicators"])

    def settled() -> tuple[Any, ...]:
        ind = province()
        return (ind["members"], ind["borrowers"], ind["clubs_in_all_areas"],
                ind["clubs_meeting"]["funds_ok"])  # fmt: skip

    # Every service's events have reached reporting: 18 members, 4 borrowers,
    # both clubs in all eight areas, both with both funds.
    assert wait_for(settled, (18, 4, 2, 2), seconds=60) == (18, 4, 2, 2)

    # -- club A: all eight areas, well managed: full activity --
    fa = club_figures(a)
    assert fa["activity_areas"] == ALL_AREAS
    assert fa["months_required"] == 12 and fa["months_met"] == 12
    assert fa["meetings"] == 12 and fa["meetings_with_hardship_case"] == 12
    assert fa["members"] == 8
    assert fa["borrowers"] == 2
    assert fa["borrowers_share"] == "25.00"  # 2 of 8
    checks = fa["checks"]
    assert checks["board_ok"] is True
    assert checks["funds_ok"] is True
    assert checks["meetings_ok"] is True
    assert checks["well_managed"] is True
    assert checks["full_activity"] is True

    # -- club B: all eight areas, but no meeting in March 2026 --
    fb = club_figures(b)
    assert fb["activity_areas"] == ALL_AREAS
    assert fb["months_required"] == 12 and fb["months_met"] == 11
    assert fb["meetings"] == 11 and fb["meetings_with_hardship_case"] == 11
    assert fb["members"] == 10
    assert fb["borrowers"] == 2
    assert fb["borrowers_share"] == "20.00"  # 2 of 10
    checks = fb["checks"]
    assert checks["board_ok"] is True
    assert checks["funds_ok"] is True
    assert checks["meetings_ok"] is False
    assert checks["well_managed"] is False
    assert checks["full_activity"] is False

    # -- the province: the two clubs rolled up --
    ind = province()
    assert ind["clubs"] == 2
    assert ind["members"] == 18
    assert ind["borrowers"] == 4
    assert ind["borrowers_share"] == "22.22"  # 4 of 18 = 22.22…%, truncated
    assert ind["clubs_in_all_areas"] == 2
    assert ind["meetings"] == 23  # 12 + 11
    assert ind["clubs_meeting"]["meetings_ok"] == 1
    assert ind["clubs_meeting"]["well_managed"] == 1
    assert ind["clubs_meeting"]["full_activity"] == 1
    assert ind["shares"]["well_managed"] == "50.00"
    assert ind["shares"]["full_activity"] == "50.00"  # 1 of 2 active clubs
    assert ind["shares"]["board_ok"] == "100.00"
    assert ind["shares"]["funds_ok"] == "100.00"
    print(f"full activity e2e: {time.monotonic() - started:.1f}s after the services started")
