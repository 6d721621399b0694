"""Registry, finance and reporting as real processes over HTTP, on a real Redis:
finance learns the club from the registry's events, loans are disbursed and
repaid, and reporting's borrowers and PAR30 equal the values worked by hand."""

from __future__ import annotations

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
# 10:00 on 30/11/2026 in Vietnam.
CLOCK_START = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


@pytest.fixture
def services(tmp_path: Path, redis_url: str) -> Iterator[dict[str, ServiceProcess]]:
    with running_services(
        ("registry", "finance", "reporting"),
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


def test_loans_become_borrowers_and_par30(services: dict[str, ServiceProcess]) -> None:
    registry = httpx.Client(base_url=services["registry"].url, timeout=10)
    finance = httpx.Client(base_url=services["finance"].url, timeout=10)
    reporting = httpx.Client(base_url=services["reporting"].url, timeout=10)

    club = post(registry, "/v1/clubs", {"name": "CLB Nhơn Phú", "commune_code": "29623",
                                        "founded_on": "2020-01-01"})["id"]  # fmt: skip
    members = [
        post(registry, f"/v1/clubs/{club}/members", {
            "full_name": f"Hội viên {n}", "sex": "female", "birth_year": 1950,
            "poverty_status": "poor", "joined_on": "2021-01-01",
        })["id"]
        for n in range(4)
    ]  # fmt: skip

    # Finance knows the club once the registry's events have reached its directory.
    def regulation() -> int:
        return finance.post(f"/v1/clubs/{club}/regulations", headers=vl(), json={
            "effective_on": "2021-01-01", "rate_min": "0.006", "rate_max": "0.010",
            "fee_min_vnd": 2000, "fee_max_vnd": 5000, "max_loan_vnd": 20_000_000,
            "max_term_months": 24, "rounding_unit_vnd": 1000,
            "methods": ["flat", "declining_equal_principal"],
        }).status_code  # fmt: skip

    assert wait_for(regulation, 201) == 201
    income = post(finance, f"/v1/clubs/{club}/funds", {"kind": "income", "opened_on": "2021-01-01"})
    post(finance, f"/v1/clubs/{club}/funds", {"kind": "activity", "opened_on": "2021-01-01"})
    contribution = {"source": "state_budget", "amount_vnd": 30_000_000, "received_on": "2021-01-05"}
    post(finance, f"/v1/funds/{income['id']}/contributions", contribution)

    # Member 0 borrows 10,000,000 over 12 months (declining balance, 1,000-VND unit:
    # principal 833,000 × 11 + 837,000) and pays the ten instalments due by now.
    # Member 1 borrows 5,000,000 (flat) and never pays: 10/04/2026 is 234 days late.
    # Each loan waits for finance to know its borrower (the events come in batches).
    kept = post_once_known(finance, f"/v1/funds/{income['id']}/loans", {
        "member_id": members[0], "principal_vnd": 10_000_000, "monthly_rate": "0.008",
        "term_months": 12, "method": "declining_equal_principal", "disbursed_on": "2026-01-10",
    }, headers=vl())  # fmt: skip
    post_once_known(finance, f"/v1/funds/{income['id']}/loans", {
        "member_id": members[1], "principal_vnd": 5_000_000, "monthly_rate": "0.008",
        "term_months": 12, "method": "flat", "disbursed_on": "2026-03-10",
    }, headers=vl())  # fmt: skip
    for instalment in kept["schedule"]:
        if date.fromisoformat(instalment["due_on"]) <= date(2026, 11, 30):
            paid = {"amount_vnd": instalment["amount_vnd"], "paid_on": instalment["due_on"]}
            post(finance, f"/v1/loans/{kept['id']}/repayments", paid)

    def figures() -> dict[str, Any]:
        reply = reporting.get("/v1/indicators/provinces/86", headers=vl())
        assert reply.status_code == 200, reply.text
        return dict(reply.json()["indicators"])

    outstanding = 5_000_000 + (10_000_000 - 10 * 833_000)  # 6,670,000
    assert wait_for(lambda: figures()["outstanding_principal_vnd"], outstanding) == outstanding
    result = figures()
    assert result["borrowers"] == 2
    assert result["borrowers_share"] == "50.00"  # 2 of 4 members
    assert result["at_risk_principal_vnd"] == 5_000_000
    assert result["par30"] == "74.96"  # 5,000,000 ÷ 6,670,000 = 74.96…%, truncated
    # The fund's own figure agrees with reporting's.
    portfolio = finance.get(f"/v1/funds/{income['id']}/portfolio", headers=vl()).json()
    assert portfolio["gross_outstanding_vnd"] == outstanding
    assert portfolio["par30"]["at_risk_vnd"] == 5_000_000
