"""The simulator drives a small world into registry, finance and health as real
processes over HTTP, on SQLite and on PostgreSQL; what the services store, and
reporting's indicators, then agree with the world plan's own counts.

The world: seed 25, Vĩnh Long (86), 3.2% of its communes (four of 124), history
from 01/01/2025 to 31/10/2026 at small scale: nine clubs, one dissolved in 2026,
one relocated from another commune and one outside the band of women, about 550
members over the years, 143 loans under all four methods (54 repayments late,
one loan written off), and some 4,000 requests (members through one spreadsheet
import). The services' clock reads 30/11/2026, so every date of the plan is in
their past.

What the databases hold is compared with the plan directly: finance's loans by
method, its late repayments (by finance's own schedule) and write-offs; the
registry's clubs in their communes, dissolved on their days. Reporting's share
of communes with a club is the share asked for.

What is compared, as of 31/10/2026 over the default period (01/11/2025 to
31/10/2026): active clubs, communes with a club, new clubs and members, members
and their composition (women, older, younger, poor, volunteers, ethnic
minority), borrowers, meetings and those choosing a hardship case, exercise
sessions, home-care visits, members checked twice, members insured, and the
clubs passing each quality check (size, women, older, young, board, volunteers,
funds, meetings, exercise, well managed): `domain.figures`, computed from the
plan alone. Before reporting starts (it reads the streams from their start),
one club's plan runs again under another token, so no Idempotency-Key replays:
the plan's keys find every record already there and nothing doubles.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from datetime import UTC, date, datetime
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import text

from ishc_contracts.finance_events import InterestMethod
from ishc_platform.auth import Role, issue_token
from ishc_platform.clock import set_clock_start
from ishc_platform.db import make_sync_engine
from ishc_simulator.adapters.http import RunOptions, Services, Simulation, Tokens, simulate
from ishc_simulator.domain import (
    WorldPlan,
    WorldRequest,
    club_plans,
    figures,
    plan_world,
    summarize,
)
from tests.helpers.services import ServiceProcess

# About a minute a database on a two-core machine: more than the default 120 s allows
# a loaded one.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
SECRET = "s" * 48
# 10:00 on 30/11/2026 in Vietnam: a month after the plan's end date.
CLOCK_START = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
UNTIL = date(2026, 10, 31)
SEED = 25
REQUEST = WorldRequest(provinces=("86",), commune_share=0.032, since=2025, until=UNTIL)
DRIVEN = ("registry", "finance", "health")


@pytest.fixture(autouse=True)
def services_clock() -> None:
    """The test's clock; each service process starts its own from it when it
    starts (ServiceProcess), and tests/conftest.py puts it back after the test."""
    set_clock_start(CLOCK_START)


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """A fresh database per service: SQLite files, or new PostgreSQL databases
    (as `tests/conftest.py`'s `fresh_postgres` makes one), dropped afterwards."""
    names = (*DRIVEN, "reporting")
    if request.param == "sqlite":
        yield {name: f"sqlite:///{tmp_path}/{name}.db" for name in names}
        return
    admin = str(request.getfixturevalue("postgres_admin_url"))
    made = {name: f"ishc_test_sim_{name}_{uuid.uuid4().hex[:8]}" for name in names}
    with psycopg.connect(admin, autocommit=True) as conn:
        for database in made.values():
            conn.execute(f'CREATE DATABASE "{database}"')
    base = admin.rsplit("/", 1)[0]
    try:
        yield {name: f"{base}/{database}" for name, database in made.items()}
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for database in made.values():
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture
def services(
    tmp_path: Path, redis_url: str, databases: dict[str, str]
) -> Iterator[dict[str, ServiceProcess]]:
    env = {
        "ISHC_JWT_SECRETS": SECRET,
        "ISHC_REDIS_URL": redis_url,
        "ISHC_STREAM_PREFIX": f"sim.{uuid.uuid4().hex[:8]}.",
        "ISHC_RELAY_POLL_SECONDS": "5",
        "ISHC_CONSUMER_BLOCK_MS": "100",
        "ISHC_LOG_JSON": "false",
        # A bulk load: the per-token limit (600 a minute) would pace it for minutes.
        "ISHC_RATE_LIMIT_PER_MINUTE": "0",
    }
    processes = {
        name: ServiceProcess(name, {**env, "ISHC_DATABASE_URL": url}, tmp_path / f"{name}.log")
        for name, url in databases.items()
    }
    try:
        # Side by side: each start mostly waits for its process to import.
        with ThreadPoolExecutor(len(DRIVEN)) as pool:
            list(pool.map(lambda name: processes[name].start(), DRIVEN))
        yield processes
    finally:
        for process in processes.values():
            process.stop()


def province_figures(reporting: str) -> dict[str, Any]:
    token = issue_token(SECRET, sub="simulator-test", role=Role.PROVINCE, provinces=["86"])
    reply = httpx.get(
        f"{reporting}/v1/indicators/provinces/86",
        params={"as_of": UNTIL.isoformat()},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    return dict(reply.json()["indicators"])


def differences(world: WorldPlan, read: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """(planned, read) for every figure where reporting differs from the plan."""
    planned = asdict(figures(club_plans(world), UNTIL))
    checks = planned.pop("clubs_meeting")
    found = {k: (v, read.get(k)) for k, v in planned.items() if read.get(k) != v}
    found.update(
        {
            f"clubs_meeting.{k}": (v, read["clubs_meeting"].get(k))
            for k, v in checks.items()
            if read["clubs_meeting"].get(k) != v
        }
    )
    return found


def settled(world: WorldPlan, reporting: str, seconds: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        gaps = differences(world, province_figures(reporting))
        if not gaps or time.monotonic() > deadline:
            return gaps
        time.sleep(0.5)


def stored(url: str, sql: str) -> list[tuple[Any, ...]]:
    """The rows a service's database holds (read directly, as an auditor would)."""
    engine = make_sync_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()


def day(value: Any) -> date:
    """A date column as SQLite (text) or PostgreSQL (date) returns it."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def finance_distribution(url: str) -> dict[str, Any]:
    """Loans by method, late repayments and write-offs as finance stores them: a
    repayment is late by the days its date falls after the due date of the
    instalment it paid (finance's own schedule and allocation)."""
    loans = stored(url, "SELECT external_id, method, written_off_on FROM loan")
    paid = stored(
        url,
        "SELECT r.external_id, r.paid_on, i.number, i.due_on FROM repayment r"
        " JOIN repayment_allocation a ON a.repayment_id = r.id"
        " JOIN loan_instalment i ON i.loan_id = a.loan_id AND i.number = a.number",
    )
    late: dict[str, int] = {}
    instalments: dict[str, set[int]] = {}
    for key, paid_on, number, due_on in paid:
        instalments.setdefault(key, set()).add(int(number))
        days = (day(paid_on) - day(due_on)).days
        if days > 0:
            late[key] = max(late.get(key, 0), days)
    return {
        "loans": len(loans),
        "loans_by_method": dict(sorted(Counter(str(method) for _, method, _ in loans).items())),
        "repayments": len(stored(url, "SELECT id FROM repayment")),
        "instalments_paid": instalments,
        "late": late,
        "written_off": {key: day(on) for key, _, on in loans if on is not None},
    }


def planned_distribution(world: WorldPlan, summary: dict[str, Any]) -> dict[str, Any]:
    """The same, as the plan draws it and `summary` (`summarize`, the plan in numbers)
    counts it."""
    loans = [loan for plan in club_plans(world) for loan in plan.loans]
    return {
        "loans": summary["finance"]["loans"],
        "loans_by_method": summary["finance"]["loans_by_method"],
        "repayments": summary["finance"]["repayments"],
        "instalments_paid": {r.key: {r.number} for loan in loans for r in loan.repayments},
        "late": {r.key: r.days_late for loan in loans for r in loan.repayments if r.days_late},
        "written_off": {loan.key: loan.written_off_on for loan in loans if loan.written_off_on},
    }


def test_reporting_reads_the_world_the_simulator_planned(
    services: dict[str, ServiceProcess], databases: dict[str, str]
) -> None:
    world = plan_world(SEED, REQUEST)
    # The world this test was sized on: its shape is the unit tests' to check.
    assert len(world.clubs) == 9
    assert sum(c.dissolved_on is not None for c in world.clubs) == 1
    assert sum(c.relocated_on is not None for c in world.clubs) == 1
    summary = summarize(world)
    planned = planned_distribution(world, summary)
    assert len(planned["loans_by_method"]) == len(InterestMethod)  # every method lends
    assert len(planned["late"]) == summary["finance"]["late_repayments"] > 0
    assert len(planned["written_off"]) == summary["finance"]["written_off"] > 0
    urls = Services(*(services[name].url for name in DRIVEN))
    started = time.monotonic()
    report = asyncio.run(simulate(world, urls, SECRET, RunOptions(concurrency=4)))
    driven = time.monotonic() - started

    plans = list(club_plans(world))
    assert report.created["clubs"] == 9
    assert report.created["members"] == sum(len(p.members) for p in plans)
    assert report.created["loans"] == sum(len(p.loans) for p in plans)
    assert report.created["repayments"] == sum(len(loan.repayments) for p in plans
                                               for loan in p.loans)  # fmt: skip
    assert report.created["health_checks"] == sum(len(p.checks) for p in plans)
    assert report.created["relocations"] == 1 and report.created["dissolutions"] == 1
    assert sum(report.existing.values()) == 0  # nothing was there before

    # A rerun of one club's plan finds everything there and adds nothing, even
    # once the services no longer replay its Idempotency-Keys (another token's
    # subject stands for a rerun after their 24 hours): by the plan's keys.
    [index] = [i for i, c in enumerate(world.clubs) if c.relocated_on is not None]
    one_club = replace(world, clubs=(world.clubs[index],))
    tokens = Tokens(SECRET, subject="ishc-simulator-next-day")
    again = asyncio.run(Simulation(one_club, urls, tokens, RunOptions(concurrency=4)).run())
    assert not again.created, again.created
    plan = plans[index]
    assert again.existing["meetings"] == len(plan.meetings)
    assert again.existing["loans"] == len(plan.loans) > 0
    assert again.existing["repayments"] == sum(len(loan.repayments) for loan in plan.loans)
    assert again.existing["fees"] == len(plan.fees)
    assert again.existing["consents"] == len(plan.consents)
    assert again.existing["home_care_visits"] == len(plan.visits)

    # What finance stores is the distribution the plan drew: loans by method,
    # which repayments came late and by how many days (against finance's own
    # schedule), and which loans were written off on which day.
    assert finance_distribution(databases["finance"]) == planned
    # The registry holds each club in the commune the plan put it in, dissolved as planned.
    clubs = stored(
        databases["registry"], "SELECT external_id, commune_code, dissolved_on FROM club"
    )
    assert {key: (commune, on and day(on)) for key, commune, on in clubs} == {
        c.key: (c.commune_code, c.dissolved_on) for c in world.clubs
    }

    # Reporting reads every stream from its start: started now, it catches up on
    # the whole history (a duplicate from the rerun would show), and the two
    # cores went to the services being driven.
    services["reporting"].start()
    gaps = settled(world, services["reporting"].url)
    assert not gaps, f"planned vs reported: {gaps}"
    read = province_figures(services["reporting"].url)
    assert read["clubs"] == 8  # nine drawn, one dissolved in 2026
    assert read["borrowers"] > 0 and read["members_checked_twice"] > 0
    # The share of communes with a club, as reporting reads it, is the share asked
    # for: round(share × communes) of the province's communes on today's map.
    communes = world.communes["86"]
    assert read["communes"] == communes == summary["communes"]
    hosts = max(1, round(communes * REQUEST.commune_share))
    assert read["communes_with_club"] == hosts == summary["communes_with_club"]
    share = (Decimal(hosts * 100) / communes).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    assert Decimal(read["coverage"]) == share
    print(f"simulated in {driven:.1f}s: {dict(report.requests)} requests")
