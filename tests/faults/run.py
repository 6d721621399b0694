"""The fault-injection run: the four services as real processes on PostgreSQL,
against a Redis with AOF that the run starts itself, under a steady seeded
workload through the registry's, finance's and health's APIs, while faults hit
at seeded moments: a service SIGKILLed and restarted on its port and database,
Redis restarted (AOF keeps its data), the services' PostgreSQL backends
terminated, and once Redis's data lost (FLUSHALL).

Every write carries an `Idempotency-Key` and an `external_id`; a write whose
answer is lost (reset, timeout, the process killed mid-request) is sent again
with the same key until it gets a definite answer, so each write's outcome is
known: accepted (2xx), refused (404, 409, 422) or a failure. Clients may see a
503 only with `Retry-After`, and nothing may take longer than the hang bound.

After the workload the run lets the system recover and reconciles: every
accepted write is in its source exactly once and no refused write left a trace
(by `external_id`), reporting's figures of each club equal what the accepted
writes make, and `ishc-reporting reconcile` (when installed) finds no
difference. It prints a JSON report and exits non-zero on any failure.

    uv run python -m tests.faults.run --seed 7 --seconds 600 [--report FILE]

The fault schedule and every request's content come from the seed; what the
services answer depends on timing (a fault lands mid-request or not), which is
the point, so two runs of one seed are alike, not identical.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis

from ishc_platform.auth import Role, issue_token
from ishc_platform.clock import set_clock_start
from tests.helpers.services import RedisProcess, ServiceProcess

SECRET = "f" * 48
PROVINCE = "86"  # Vĩnh Long
# 10:00 on 30/11/2026 in Vietnam: every date the workload writes is in 2026, before it.
CLOCK_START = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
SERVICES = ("registry", "finance", "health", "reporting")
SOURCES = ("registry", "finance", "health")
FAULT_KINDS = ("kill_service", "restart_redis", "terminate_db", "lose_redis")
HANG_SECONDS = 10.0
"""A request answered later than this is a hang (a failure), whatever it answers."""
ANSWER_SECONDS = 150.0
"""How long one write may take to reach a definite answer through retries (a
claim a killed process left answers 409 for up to a minute)."""
REFUSALS = frozenset({404, 409, 422})
"""Definite refusals: the write changed nothing (the reconciliation checks it)."""
NOVEMBER = date(2026, 11, 1)
HEALTH_TEST_KEY = "dGVzdC1vbmx5LWhlYWx0aC1rZXktMzItYnl0ZXMhISE="  # the tests' key, tests only


def log(message: str) -> None:
    print(f"[faults {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the platform under test -------------------------------------------------


class Platform:
    """The four services on their own PostgreSQL databases and a private
    redis-server with AOF; each fault is a method, run in a worker thread."""

    def __init__(self, workdir: Path, postgres_admin_url: str) -> None:
        self.workdir = workdir
        self.admin_url = postgres_admin_url.replace("postgresql+psycopg://", "postgresql://")
        tag = uuid.uuid4().hex[:8]
        self.databases = {name: f"ishc_faults_{tag}_{name}" for name in SERVICES}
        (workdir / "redis").mkdir(parents=True, exist_ok=True)
        self.redis = RedisProcess(workdir / "redis")
        self.services: dict[str, ServiceProcess] = {}

    def database_url(self, name: str) -> str:
        return f"{self.admin_url.rsplit('/', 1)[0]}/{self.databases[name]}"

    def start(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            for database in self.databases.values():
                conn.execute(f'CREATE DATABASE "{database}"')
        self.redis.start()
        common = {
            "ISHC_JWT_SECRETS": SECRET,
            "ISHC_REDIS_URL": self.redis.url,
            "ISHC_RELAY_POLL_SECONDS": "1",
            "ISHC_CONSUMER_BLOCK_MS": "100",
            # A killed consumer's pending entries are reclaimed within seconds.
            "ISHC_CONSUMER_CLAIM_IDLE_MS": "3000",
            "ISHC_BACKFILL_INTERVAL_SECONDS": "2",
            "ISHC_BACKFILL_GRACE_SECONDS": "2",
            "ISHC_RATE_LIMIT_PER_MINUTE": "0",
            "ISHC_RATE_LIMIT_ANONYMOUS_PER_MINUTE": "0",
            "ISHC_LOG_JSON": "false",
            "ISHC_LOG_LEVEL": "WARNING",
            # Health seals clinical values and does not start without a key (test only).
            "ISHC_HEALTH_KEYS": os.environ.get("ISHC_HEALTH_KEYS", HEALTH_TEST_KEY),
        }
        # Each process's clock starts where the run's is when it (re)starts
        # (ServiceProcess, unpinned), so a restart never moves time backwards.
        for name in SERVICES:
            env = {**common, "ISHC_DATABASE_URL": self.database_url(name)}
            self.services[name] = ServiceProcess(name, env, self.workdir / f"{name}.log")
        urls = {name: process.url for name, process in self.services.items()}
        sources = {
            "registry": "",
            "finance": f"registry={urls['registry']}",
            "health": f"registry={urls['registry']}",
            "reporting": ",".join(f"{name}={urls[name]}" for name in SOURCES),
        }
        for name in SERVICES:
            self.services[name].env["ISHC_EVENT_SOURCES"] = sources[name]
            self.services[name].env.pop("ISHC_CLOCK_START", None)
        # All four at once: each migrates its own database, and a consumer whose
        # source is not up yet retries (on a busy two-core machine this halves the wait).
        with ThreadPoolExecutor(len(SERVICES)) as pool:
            for started in [pool.submit(p.start, 120) for p in self.services.values()]:
                started.result()

    def stop(self) -> None:
        for process in self.services.values():
            with contextlib.suppress(Exception):
                process.stop()
        with contextlib.suppress(Exception):
            self.redis.kill()
        with contextlib.suppress(Exception), psycopg.connect(self.admin_url, autocommit=True) as c:
            for database in self.databases.values():
                c.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    # The faults. Each returns what it did, for the report.

    def kill_service(self, name: str, down_seconds: float) -> dict[str, Any]:
        process = self.services[name]
        assert process.process is not None
        os.kill(process.process.pid, signal.SIGKILL)
        process.process.wait(10)
        time.sleep(down_seconds)
        process.start(timeout=120)  # same port, same database
        return {"service": name, "down_seconds": down_seconds}

    def restart_redis(self, down_seconds: float) -> dict[str, Any]:
        self.redis.kill()  # SIGKILL: AOF with fsync always keeps every write
        time.sleep(down_seconds)
        self.redis.start()
        return {"down_seconds": down_seconds}

    def terminate_db(self) -> dict[str, Any]:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = ANY(%s) AND pid <> pg_backend_pid()",
                (list(self.databases.values()),),
            ).fetchall()
        return {"backends": len(rows)}

    def lose_redis(self) -> dict[str, Any]:
        client = redis.Redis.from_url(self.redis.url, socket_timeout=5)
        try:
            streams = len(client.keys("*"))
            client.flushall()
        finally:
            client.close()
        return {"keys_lost": streams}

    def ready(self) -> bool:
        for process in self.services.values():
            try:
                if httpx.get(f"{process.url}/readyz", timeout=2).status_code != 200:
                    return False
            except httpx.HTTPError:
                return False
        return True


# --- the workload's memory of what it wrote ----------------------------------


@dataclass
class Member:
    id: str
    external_id: str
    joined_on: date
    anchor: bool  # never leaves: sessions, checks and visits are about anchors
    left_on: date | None = None


@dataclass
class Loan:
    id: str
    member_id: str
    principal_vnd: int
    disbursed_on: date
    principal_repaid_vnd: int = 0
    last_paid_on: date | None = None
    principal_unknown: list[str] = field(default_factory=list)  # repayments' external ids


@dataclass
class Club:
    id: str
    external_id: str
    founded_on: date
    members: dict[str, Member] = field(default_factory=dict)
    funds: dict[str, str] = field(default_factory=dict)  # kind -> id
    contributions_vnd: int = 0
    loans: dict[str, Loan] = field(default_factory=dict)
    repayments_vnd: int = 0
    checks: Counter[str] = field(default_factory=Counter)  # member id -> checks
    sessions: int = 0
    visits: int = 0

    def active(self) -> list[Member]:
        return [m for m in self.members.values() if m.left_on is None]

    def anchors(self) -> list[Member]:
        return [m for m in self.members.values() if m.anchor]


@dataclass
class Ledger:
    """Every write's outcome, by the kind of record and the parent it went under:
    accepted external ids (with the record id) and refused ones."""

    accepted: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    refused: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def accept(self, kind: str, parent: str, external_id: str, record_id: str) -> None:
        self.accepted.setdefault((kind, parent), {})[external_id] = record_id

    def refuse(self, kind: str, parent: str, external_id: str) -> None:
        self.refused.setdefault((kind, parent), set()).add(external_id)


@dataclass
class Stats:
    attempted: int = 0
    accepted: int = 0
    refused: int = 0
    retried: int = 0  # writes that needed more than one attempt
    attempts: int = 0
    lost_answers: int = 0  # reset mid-request, timeout
    connections_refused: int = 0  # the service was down
    answers_503: int = 0
    in_progress_409: int = 0
    replayed: int = 0  # final answers that were a stored idempotent answer
    by_kind: Counter[str] = field(default_factory=Counter)
    refused_by_status: Counter[str] = field(default_factory=Counter)
    refused_because: Counter[str] = field(default_factory=Counter)  # kind, status, problem


@dataclass
class Outcome:
    status: int | None  # None: no definite answer within ANSWER_SECONDS
    body: Any = None
    # A 409 after an attempt whose outcome was unknown: perhaps this very write,
    # committed by that attempt and not replayed (the idempotency gap, README.md).
    conflict_after_unknown: bool = False

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def refused(self) -> bool:
        return self.status in REFUSALS


# --- the run -----------------------------------------------------------------


class Run:
    def __init__(self, seed: int, seconds: float, platform: Platform, workers: int = 3) -> None:
        self.seed = seed
        self.seconds = seconds
        self.platform = platform
        self.workers = workers
        self.stats = Stats()
        self.ledger = Ledger()
        self.clubs: list[Club] = []
        self.failures: list[dict[str, Any]] = []
        self.faults: list[dict[str, Any]] = []
        self.skipped: list[dict[str, Any]] = []
        self.gap: list[dict[str, Any]] = []  # own writes refused as their own duplicates
        self.started = time.monotonic()
        self.keys = 0
        self.communes: list[str] = []
        self.province = {
            "Authorization": "Bearer "
            + issue_token(
                SECRET,
                sub="fault-run",
                role=Role.PROVINCE,
                provinces=[PROVINCE],
                lifetime=timedelta(hours=6),
            )
        }
        self.ops_token = issue_token(
            SECRET, sub="fault-run-ops", role=Role.OPS, lifetime=timedelta(hours=6)
        )
        self.client = httpx.AsyncClient(timeout=HANG_SECONDS)

    def url(self, service: str, path: str) -> str:
        return f"{self.platform.services[service].url}{path}"

    def elapsed(self) -> float:
        return round(time.monotonic() - self.started, 2)

    def fail(self, what: str, **detail: Any) -> None:
        entry = {"at": self.elapsed(), "what": what, **detail}
        log(f"FAILURE {entry}")
        self.failures.append(entry)

    # One write, retried with its key until its outcome is known.

    async def write(self, service: str, path: str, body: dict[str, Any], kind: str) -> Outcome:
        self.keys += 1
        key = f"faults-{self.seed}-{self.keys}"  # each run has fresh databases
        headers = {**self.province, "Idempotency-Key": key}
        self.stats.attempted += 1
        self.stats.by_kind[kind] += 1
        deadline = time.monotonic() + ANSWER_SECONDS
        attempts = 0
        unknown = False  # an earlier attempt may have committed
        while time.monotonic() < deadline:
            attempts += 1
            self.stats.attempts += 1
            if attempts == 2:
                self.stats.retried += 1
            sent = time.monotonic()
            try:
                reply = await self.client.post(self.url(service, path), json=body, headers=headers)
            except httpx.TimeoutException:
                self.stats.lost_answers += 1
                unknown = True
                self.fail("hang", service=service, path=path, kind=kind, key=key)
                await asyncio.sleep(0.5)
                continue
            except httpx.ConnectError:
                self.stats.connections_refused += 1  # the service is down: ask again
                await asyncio.sleep(0.3)
                continue
            except httpx.TransportError:
                self.stats.lost_answers += 1  # reset mid-request (killed): ask again
                unknown = True
                await asyncio.sleep(0.3)
                continue
            took = time.monotonic() - sent
            if took > HANG_SECONDS:
                self.fail("hang", service=service, path=path, kind=kind, seconds=round(took, 2))
            status = reply.status_code
            if 200 <= status < 300:
                self.stats.accepted += 1
                if reply.headers.get("idempotent-replayed") == "true":
                    self.stats.replayed += 1
                return Outcome(status, reply.json())
            if status == 503:
                self.stats.answers_503 += 1
                unknown = True  # "nothing was done", says the contract; the run checks it
                retry_after = reply.headers.get("retry-after")
                if retry_after is None or not retry_after.isdigit():
                    self.fail(
                        "503 without Retry-After", service=service, path=path, body=reply.text
                    )
                    await asyncio.sleep(1)
                else:
                    await asyncio.sleep(min(int(retry_after), 10))
                continue
            if status == 409 and "idempotency-key-in-progress" in reply.text:
                self.stats.in_progress_409 += 1  # a claim a killed process left: wait it out
                unknown = True
                await asyncio.sleep(1)
                continue
            if status in REFUSALS:
                self.stats.refused += 1
                self.stats.refused_by_status[str(status)] += 1
                problem = reply.json()
                errors = problem.get("errors") or [{}]
                because = f"{kind} {status} {errors[0].get('field', '')}: {problem.get('detail')}"
                self.stats.refused_because[because[:120]] += 1
                return Outcome(status, problem, conflict_after_unknown=unknown and status == 409)
            self.fail(
                f"unexpected {status}", service=service, path=path, kind=kind, body=reply.text[:500]
            )
            if status >= 500:  # nothing was committed, the contract says: the key runs again
                unknown = True
                await asyncio.sleep(0.5)
                continue
            return Outcome(status, reply.text)
        self.fail("no definite answer", service=service, path=path, kind=kind, key=key)
        return Outcome(None)

    def record(self, outcome: Outcome, kind: str, parent: str, external_id: str) -> bool:
        """The ledger's entry for a create; whether it was accepted (or committed
        by an attempt whose answer was lost, then refused as its own duplicate)."""
        if outcome.ok:
            self.ledger.accept(kind, parent, external_id, str(outcome.body["id"]))
            return True
        if self.own_duplicate(outcome, kind, "external_id", external_id):
            existing = str(outcome.body["errors"][0]["existing_id"])
            self.ledger.accept(kind, parent, external_id, existing)
            outcome.body = {"id": existing, "principal_vnd": None}
            return True
        if outcome.refused:
            self.ledger.refuse(kind, parent, external_id)
        return False

    def own_duplicate(self, outcome: Outcome, kind: str, field: str, value: str) -> bool:
        """A write refused as a duplicate of itself: an earlier attempt committed
        it, and its answer was neither given nor replayed (the idempotency gap).
        Counted as committed for the reconciliation, and reported as a failure
        of its own kind (`idempotency_gap`)."""
        if not outcome.conflict_after_unknown:
            return False
        errors = outcome.body.get("errors") or [{}]
        if errors[0].get("field") != field:
            return False
        if field == "external_id" and not errors[0].get("existing_id"):
            return False
        if field != "external_id" and value not in str(outcome.body.get("detail")):
            return False
        self.gap.append({"at": self.elapsed(), "kind": kind, field: value})
        log(f"IDEMPOTENCY GAP {kind} {field}={value}: {outcome.body.get('detail')}")
        return True

    # Setting up each worker's clubs, before any fault.

    async def setup_club(self, rng: random.Random, worker: int, n: int) -> Club | None:
        ext = f"F{self.seed}-W{worker}-C{n}"
        founded = date(2026, 1, 1) + timedelta(days=rng.randrange(0, 60))
        body = {
            "name": f"CLB thử lỗi {worker}-{n}",
            "commune_code": rng.choice(self.communes),
            "founded_on": founded.isoformat(),
            "external_id": ext,
        }
        outcome = await self.write("registry", "/v1/clubs", body, "club")
        if not self.record(outcome, "club", PROVINCE, ext):
            self.fail("setup: club refused", body=outcome.body)
            return None
        club = Club(str(outcome.body["id"]), ext, founded)
        for a in range(3):  # anchors: 0 is a volunteer, all consent to checks and home care
            await self.join(club, rng, anchor=True, volunteer=a == 0)
        if len(club.anchors()) < 3:
            self.fail("setup: anchors refused", club=club.id)
            return None
        regulation = {
            "effective_on": "2026-03-01", "rate_min": "0.006", "rate_max": "0.010",
            "fee_min_vnd": 2000, "fee_max_vnd": 5000, "max_loan_vnd": 20_000_000,
            "max_term_months": 24, "rounding_unit_vnd": 1000,
            "methods": ["flat", "declining_equal_principal"],
        }  # fmt: skip
        # Finance and health know the club once the registry's events reach them.
        if not await self.until_known("finance", f"/v1/clubs/{club.id}/regulations", regulation):
            return None
        for kind in ("income", "activity"):
            fext = f"{ext}-{kind}"
            fund = {"kind": kind, "opened_on": "2026-03-01", "external_id": fext}
            outcome = await self.write("finance", f"/v1/clubs/{club.id}/funds", fund, "fund")
            if not self.record(outcome, "fund", club.id, fext):
                self.fail("setup: fund refused", body=outcome.body)
                return None
            club.funds[kind] = str(outcome.body["id"])
        # The fund's capital, received when it opened: loans are lent from it.
        await self.contribute(club, rng, amount=200_000_000, on=date(2026, 3, 1))
        for member in club.anchors():
            consent = {
                "given_on": "2026-11-01", "purpose": "Khám sức khỏe định kỳ",
                "scopes": ["health_checks", "home_care"],
            }  # fmt: skip
            path = f"/v1/members/{member.id}/consent"
            if not await self.until_known("health", path, consent):
                return None
        return club

    async def until_known(self, service: str, path: str, body: dict[str, Any]) -> bool:
        """A setup write a service refuses (404) until the registry's events reach it."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            outcome = await self.write(service, path, body, "setup")
            if outcome.ok:
                return True
            if outcome.status != 404:
                self.fail("setup refused", service=service, path=path, body=outcome.body)
                return False
            await asyncio.sleep(0.5)
        self.fail("setup: never known", service=service, path=path)
        return False

    # The workload's operations, each on one of the worker's clubs.

    async def join(
        self, club: Club, rng: random.Random, *, anchor: bool = False, volunteer: bool = False
    ) -> None:
        ext = f"{club.external_id}-M{len(club.members)}-{rng.randrange(10**6)}"
        joined = club.founded_on + timedelta(days=rng.randrange(0, 30))
        if not anchor and rng.random() < 0.08:
            joined = club.founded_on - timedelta(days=10)  # before the club: refused
        body = {
            "full_name": f"Hội viên {ext}", "sex": rng.choice(["female", "male"]),
            "birth_year": rng.randrange(1940, 2005),
            "poverty_status": rng.choice(["poor", "near_poor", "none"]),
            "is_volunteer": volunteer, "joined_on": joined.isoformat(), "external_id": ext,
        }  # fmt: skip
        outcome = await self.write("registry", f"/v1/clubs/{club.id}/members", body, "member")
        if self.record(outcome, "member", club.id, ext):
            member_id = str(outcome.body["id"])
            club.members[member_id] = Member(member_id, ext, joined, anchor)

    async def leave(self, club: Club, rng: random.Random) -> None:
        candidates = [m for m in club.members.values() if not m.anchor]
        if not candidates:
            return
        member = rng.choice(sorted(candidates, key=lambda m: m.id))
        # A member who already left is refused (409): the first leaving stands.
        left = NOVEMBER + timedelta(days=rng.randrange(0, 28))
        body = {"left_on": left.isoformat()}
        outcome = await self.write("registry", f"/v1/members/{member.id}/leave", body, "leave")
        if outcome.ok or (
            member.left_on is None
            and self.own_duplicate(outcome, "leave", "left_on", f"{left:%d/%m/%Y}")
        ):
            if member.left_on is not None:
                self.fail("a second leaving accepted", member=member.id)
            member.left_on = left

    async def contribute(
        self, club: Club, rng: random.Random, amount: int | None = None, on: date | None = None
    ) -> None:
        ext = f"{club.external_id}-K{rng.randrange(10**9)}"
        amount = amount or rng.randrange(1, 50) * 100_000
        body = {
            "source": rng.choice(["state_budget", "golden_heart_book"]), "amount_vnd": amount,
            "received_on": (on or NOVEMBER + timedelta(days=rng.randrange(0, 28))).isoformat(),
            "external_id": ext,
        }  # fmt: skip
        fund = club.funds["income"]
        outcome = await self.write("finance", f"/v1/funds/{fund}/contributions", body, "contrib")
        if self.record(outcome, "contribution", fund, ext):
            club.contributions_vnd += amount

    async def lend(self, club: Club, rng: random.Random) -> None:
        members = sorted(club.active(), key=lambda m: m.id)
        if not members:
            return
        member = rng.choice(members)
        ext = f"{club.external_id}-L{rng.randrange(10**9)}"
        principal = rng.randrange(1, 30) * 100_000
        if rng.random() < 0.1:
            principal = 50_000_000  # above the regulation's maximum: refused
        disbursed = NOVEMBER + timedelta(days=rng.randrange(0, 14))
        body = {
            "member_id": member.id, "principal_vnd": principal, "monthly_rate": "0.008",
            "term_months": rng.choice([6, 12]), "method": "declining_equal_principal",
            "disbursed_on": disbursed.isoformat(), "external_id": ext,
        }  # fmt: skip
        fund = club.funds["income"]
        outcome = await self.write("finance", f"/v1/funds/{fund}/loans", body, "loan")
        if self.record(outcome, "loan", fund, ext):
            loan_id = str(outcome.body["id"])
            club.loans[loan_id] = Loan(loan_id, member.id, principal, disbursed)

    async def repay(self, club: Club, rng: random.Random) -> None:
        open_loans = [
            loan
            for _, loan in sorted(club.loans.items())
            if loan.principal_repaid_vnd < loan.principal_vnd
        ]
        if not open_loans:
            return
        loan = rng.choice(open_loans)
        ext = f"{club.external_id}-R{rng.randrange(10**9)}"
        paid = (loan.last_paid_on or loan.disbursed_on) + timedelta(days=rng.randrange(0, 5))
        paid = min(paid, date(2026, 11, 29))
        amount = rng.randrange(1, 5) * 50_000
        body = {"amount_vnd": amount, "paid_on": paid.isoformat(), "external_id": ext}
        outcome = await self.write("finance", f"/v1/loans/{loan.id}/repayments", body, "repayment")
        if self.record(outcome, "repayment", loan.id, ext):
            if outcome.body["principal_vnd"] is None:  # its answer was lost: read it later
                loan.principal_unknown.append(ext)
            else:
                loan.principal_repaid_vnd += int(outcome.body["principal_vnd"])
            club.repayments_vnd += amount
            loan.last_paid_on = paid

    async def check(self, club: Club, rng: random.Random) -> None:
        member = rng.choice(club.anchors())
        ext = f"{club.external_id}-H{rng.randrange(10**9)}"
        body = {
            "checked_on": (NOVEMBER + timedelta(days=rng.randrange(1, 29))).isoformat(),
            "checker": "station", "systolic_mmhg": rng.randrange(100, 180),
            "diastolic_mmhg": rng.randrange(60, 95), "external_id": ext,
        }  # fmt: skip
        path = f"/v1/members/{member.id}/health-checks"
        outcome = await self.write("health", path, body, "health_check")
        if self.record(outcome, "health_check", member.id, ext):
            club.checks[member.id] += 1

    async def exercise(self, club: Club, rng: random.Random) -> None:
        ext = f"{club.external_id}-S{rng.randrange(10**9)}"
        participants = 1 if rng.random() > 0.08 else 400  # more than the club has: refused
        body = {
            "held_on": (NOVEMBER + timedelta(days=rng.randrange(0, 29))).isoformat(),
            "participants": participants,
            "external_id": ext,
        }
        path = f"/v1/clubs/{club.id}/exercise-sessions"
        outcome = await self.write("health", path, body, "exercise_session")
        if self.record(outcome, "exercise_session", club.id, ext):
            club.sessions += 1

    async def visit(self, club: Club, rng: random.Random) -> None:
        volunteer, beneficiary = club.anchors()[0], club.anchors()[1 + rng.randrange(2)]
        ext = f"{club.external_id}-V{rng.randrange(10**9)}"
        body = {
            "volunteer_id": volunteer.id, "beneficiary": "member",
            "beneficiary_member_id": beneficiary.id,
            "visited_on": (NOVEMBER + timedelta(days=rng.randrange(1, 29))).isoformat(),
            "tasks": [rng.choice(["talking", "cooking", "laundry", "housework"])],
            "external_id": ext,
        }  # fmt: skip
        path = f"/v1/clubs/{club.id}/home-care-visits"
        outcome = await self.write("health", path, body, "home_care_visit")
        if self.record(outcome, "home_care_visit", club.id, ext):
            club.visits += 1

    async def worker(self, index: int, clubs: list[Club], until: float) -> None:
        rng = random.Random(f"{self.seed}-worker-{index}")
        operations = [
            (self.join, 4), (self.leave, 1), (self.contribute, 1), (self.lend, 2),
            (self.repay, 2), (self.check, 2), (self.exercise, 2), (self.visit, 1),
        ]  # fmt: skip
        actions = [op for op, _ in operations]
        weights = [w for _, w in operations]
        while time.monotonic() < until:
            club = rng.choice(clubs)
            action = rng.choices(actions, weights)[0]
            await action(club, rng)
            await asyncio.sleep(rng.uniform(0.0, 0.05))

    # The faults, at seeded moments.

    def schedule(self) -> list[tuple[float, str]]:
        rng = random.Random(f"{self.seed}-faults")
        extra = max(0, int(self.seconds / 15) - len(FAULT_KINDS))
        kinds = list(FAULT_KINDS) + [
            rng.choice(("kill_service", "kill_service", "restart_redis", "terminate_db"))
            for _ in range(extra)
        ]
        rng.shuffle(kinds)
        # Evenly spread slots with seeded jitter, from 5% to 85% of the workload,
        # so the last fault still has writes after it to disturb.
        span = self.seconds * 0.8
        slot = span / len(kinds)
        return [
            (self.seconds * 0.05 + i * slot + rng.uniform(0, slot * 0.6), kind)
            for i, kind in enumerate(kinds)
        ]

    async def inject(self, begin: float) -> None:
        rng = random.Random(f"{self.seed}-fault-targets")
        # Targets drawn up front: what a fault hits is the seed's, even when one is skipped.
        plan = [
            (at, kind, rng.choice(SERVICES), round(rng.uniform(0, 3), 2))
            for at, kind in self.schedule()
        ]
        for at, kind, target, down in plan:
            await asyncio.sleep(max(0.0, begin + at - time.monotonic()))
            started = self.elapsed()
            injected = {f["kind"] for f in self.faults}
            if started > self.seconds and kind in injected:
                # Restarts under load can outlast their slots: a fault of a kind
                # already seen is not injected after the workload ended.
                self.skipped.append({"planned_at": round(at, 2), "kind": kind})
                continue
            log(f"fault {kind} at {started}s")
            try:
                if kind == "kill_service":
                    did = await asyncio.to_thread(self.platform.kill_service, target, down)
                elif kind == "restart_redis":
                    did = await asyncio.to_thread(self.platform.restart_redis, min(down, 2.0))
                elif kind == "terminate_db":
                    did = await asyncio.to_thread(self.platform.terminate_db)
                else:
                    did = await asyncio.to_thread(self.platform.lose_redis)
            except Exception as exc:
                self.fail("fault could not be injected", kind=kind, error=repr(exc))
                continue
            self.faults.append(
                {"at": started, "kind": kind, "took": round(self.elapsed() - started, 2), **did}
            )

    # Reconciliation.

    async def pages(self, service: str, path: str, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            query = {**params, "limit": 500, **({"cursor": cursor} if cursor else {})}
            reply = await self.client.get(
                self.url(service, path), params=query, headers=self.province
            )
            reply.raise_for_status()
            page = reply.json()
            items.extend(page["items"])
            if not (cursor := page["next_cursor"]):
                return items

    async def source_records(self) -> dict[tuple[str, str], list[tuple[str, str]]]:
        """(kind, parent) -> [(external_id, id)] as the sources hold them now."""
        found: dict[tuple[str, str], list[tuple[str, str]]] = {}

        def add(kind: str, parent: str, rows: list[dict[str, Any]]) -> None:
            found.setdefault((kind, parent), []).extend(
                (str(r["external_id"]), str(r["id"])) for r in rows
            )

        add("club", PROVINCE, await self.pages("registry", "/v1/clubs", province=PROVINCE))
        for club in self.clubs:
            members = await self.pages("registry", f"/v1/clubs/{club.id}/members", status="all")
            add("member", club.id, members)
            for row in members:
                if (mine := club.members.get(row["id"])) is not None:
                    recorded = mine.left_on.isoformat() if mine.left_on else None
                    if row["left_on"] != recorded:
                        self.fail(
                            "member's leaving differs",
                            member=row["id"],
                            source=row["left_on"],
                            accepted=recorded,
                        )
            add("fund", club.id, await self.pages("finance", f"/v1/clubs/{club.id}/funds"))
            income = club.funds["income"]
            contributions = await self.pages("finance", f"/v1/funds/{income}/contributions")
            add("contribution", income, contributions)
            loans = await self.pages("finance", f"/v1/funds/{income}/loans")
            add("loan", income, loans)
            for loan in loans:
                path = f"/v1/loans/{loan['id']}/repayments"
                repayments = await self.pages("finance", path)
                add("repayment", loan["id"], repayments)
                if (mine_loan := club.loans.get(loan["id"])) is not None:
                    for row in repayments:
                        if row["external_id"] in mine_loan.principal_unknown:
                            mine_loan.principal_unknown.remove(row["external_id"])
                            mine_loan.principal_repaid_vnd += int(row["principal_vnd"])
            for kind in ("exercise_session", "home_care_visit"):
                path = f"/v1/clubs/{club.id}/{kind.replace('_', '-')}s"
                add(kind, club.id, await self.pages("health", path))
            for member in club.anchors():
                path = f"/v1/members/{member.id}/health-checks"
                add("health_check", member.id, await self.pages("health", path))
        return found

    async def reconcile_sources(self) -> list[dict[str, Any]]:
        """Each accepted write in its source exactly once; no refused write there."""
        differences: list[dict[str, Any]] = []
        found = await self.source_records()
        for place in sorted(set(found) | set(self.ledger.accepted)):
            kind, parent = place
            held = Counter(ext for ext, _ in found.get(place, []))
            accepted = self.ledger.accepted.get(place, {})
            ids = dict(found.get(place, []))
            refused = self.ledger.refused.get(place, set())

            def differ(ext: str, problem: str, kind: str = kind, parent: str = parent) -> None:
                differences.append(
                    {"kind": kind, "parent": parent, "external_id": ext, "problem": problem}
                )

            for ext, record_id in accepted.items():
                if held[ext] != 1:
                    differ(ext, f"accepted, held {held[ext]} times")
                elif ids[ext] != record_id:
                    differ(ext, "held under another id")
            for ext in refused:
                if held[ext]:
                    differ(ext, "refused, but the source holds it")
            for ext in held:
                if ext not in accepted and ext not in refused:
                    differ(ext, "held, but no write of it was accepted")
        return differences

    def expected_figures(self, club: Club) -> dict[str, Any]:
        loaned = sum(loan.principal_vnd for loan in club.loans.values())
        repaid = sum(loan.principal_repaid_vnd for loan in club.loans.values())
        return {
            "members": len(club.active()),
            "exercise_sessions": club.sessions,
            "home_care_visits": club.visits,
            "members_checked_twice": sum(1 for n in club.checks.values() if n >= 2),
            "fund_balance_vnd": club.contributions_vnd - loaned + club.repayments_vnd,
            "outstanding_principal_vnd": loaned - repaid,
        }

    async def reported_figures(self, club: Club) -> dict[str, Any]:
        reply = await self.client.get(
            self.url("reporting", f"/v1/indicators/clubs/{club.id}"), headers=self.province
        )
        if reply.status_code != 200:
            return {"status": reply.status_code}
        indicators = reply.json()["indicators"] or {}
        return {key: indicators.get(key) for key in self.expected_figures(club)}

    async def reconcile_reporting(self, wait: float) -> list[dict[str, Any]]:
        """Reporting's figures of each club equal what the accepted writes make,
        within `wait` seconds; the differences still there after it."""
        deadline = time.monotonic() + wait
        while True:
            differences = []
            for club in self.clubs:
                expected = self.expected_figures(club)
                reported = await self.reported_figures(club)
                if reported != expected:
                    differences.append(
                        {"club": club.id, "expected": expected, "reported": reported}
                    )
            province = await self.client.get(
                self.url("reporting", f"/v1/indicators/provinces/{PROVINCE}"),
                headers=self.province,
            )
            figures = province.json()["indicators"] if province.status_code == 200 else {}
            want = {"clubs": len(self.clubs), "members": sum(len(c.active()) for c in self.clubs)}
            got = {key: figures.get(key) for key in want}
            if got != want:
                differences.append({"province": PROVINCE, "expected": want, "reported": got})
            if not differences or time.monotonic() > deadline:
                return differences
            await asyncio.sleep(1)

    async def outboxes_drained(self, wait: float) -> bool:
        deadline = time.monotonic() + wait
        headers = {"Authorization": f"Bearer {self.ops_token}"}
        while time.monotonic() < deadline:
            try:
                drained = True
                for name in SOURCES:
                    reply = await self.client.get(
                        self.url(name, "/v1/outbox/status"), headers=headers
                    )
                    drained = (
                        drained and reply.status_code == 200 and reply.json()["unpublished"] == 0
                    )
                if drained:
                    return True
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5)
        return False

    def reconcile_command(self, wait: float) -> dict[str, Any]:
        """`ishc-reporting reconcile` against the sources (exit 0: equal, 1: a
        difference, 2: a source unreadable), where this checkout has it."""
        program = Path(sys.executable).parent / "ishc-reporting"
        if not program.exists():
            return {"ran": False, "why": "ishc-reporting not installed"}
        urls = {name: self.platform.services[name].url for name in SOURCES}
        command = [
            str(program), "reconcile", "--registry", urls["registry"], "--finance",
            urls["finance"], "--health", urls["health"], "--json", "--wait", str(int(wait)),
        ]  # fmt: skip
        env = {
            **os.environ,
            "ISHC_DATABASE_URL": self.platform.database_url("reporting"),
            "ISHC_RECONCILE_TOKEN": self.ops_token,  # kept off the command line
            "ISHC_JWT_SECRETS": SECRET,
        }
        started = time.monotonic()
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, env=env, timeout=wait + 180
            )
        except subprocess.TimeoutExpired:
            return {"ran": True, "exit": None, "why": f"no answer in {wait + 180}s"}
        if done.returncode == 2 and "No such command" in done.stderr:
            return {"ran": False, "why": "no reconcile command in this checkout"}
        try:
            answer: Any = json.loads(done.stdout)
        except ValueError:
            answer = done.stdout[-2000:]
        return {
            "ran": True,
            "exit": done.returncode,
            "seconds": round(time.monotonic() - started, 1),
            "answer": answer,
            "stderr": done.stderr[-1000:],
        }

    async def self_check(self) -> dict[str, Any]:
        """The reconciliation can fail: plant three differences and see it name
        each one. A member the run never recorded is written to the registry, an
        accepted member is dropped from the ledger (as if its write were lost),
        and one club's expected sessions are one too many."""
        club = self.clubs[0]
        planted = f"{club.external_id}-PLANTED"
        body = {
            "full_name": "Hội viên ngoài sổ", "sex": "female", "birth_year": 1950,
            "joined_on": club.founded_on.isoformat(), "external_id": planted,
        }  # fmt: skip
        reply = await self.client.post(
            self.url("registry", f"/v1/clubs/{club.id}/members"), json=body, headers=self.province
        )
        place = ("member", club.id)
        forgotten = sorted(self.ledger.accepted[place])[0]
        record_id = self.ledger.accepted[place].pop(forgotten)
        try:
            sources = await self.reconcile_sources()
        finally:
            self.ledger.accepted[place][forgotten] = record_id
        club.sessions += 1
        try:
            reporting = await self.reconcile_reporting(0)
        finally:
            club.sessions -= 1
        named = {d.get("external_id") for d in sources}
        caught = {
            "unrecorded_write": reply.status_code == 201 and planted in named,
            "forgotten_write": forgotten in named,
            "figure_off_by_one": any(d.get("club") == club.id for d in reporting),
        }
        return {"caught": caught, "all": all(caught.values())}

    async def main(self, recover_seconds: float) -> dict[str, Any]:
        log(f"seed {self.seed}: setting up clubs")
        communes = await self.pages("registry", "/v1/communes", province=PROVINCE)
        self.communes = sorted(str(c["code"]) for c in communes)
        per_worker = 2
        owned: list[list[Club]] = []
        for index in range(self.workers):
            rng = random.Random(f"{self.seed}-setup-{index}")
            mine = [c for n in range(per_worker) if (c := await self.setup_club(rng, index, n))]
            owned.append(mine)
            self.clubs.extend(mine)
        if self.failures or not all(owned):
            return self.report({}, [], [], {"ran": False, "why": "setup failed"})
        log(f"workload for {self.seconds}s with faults {self.schedule()}")
        begin = self.started = time.monotonic()  # fault and failure times count from here
        until = begin + self.seconds
        await asyncio.gather(
            self.inject(begin),
            *(self.worker(i, clubs, until) for i, clubs in enumerate(owned)),
        )
        workload_seconds = round(time.monotonic() - begin, 1)
        log("recovering")
        recovered = time.monotonic()
        if not await asyncio.to_thread(_wait, self.platform.ready, recover_seconds):
            self.fail("not ready after recovery", seconds=recover_seconds)
        if not await self.outboxes_drained(recover_seconds):
            self.fail("outboxes not drained", seconds=recover_seconds)
        sources = await self.reconcile_sources()
        reporting = await self.reconcile_reporting(recover_seconds)
        converged = round(time.monotonic() - recovered, 1)
        command = await asyncio.to_thread(self.reconcile_command, recover_seconds)
        if command.get("ran") and command.get("exit") != 0:
            self.fail("ishc-reporting reconcile found differences", exit=command.get("exit"))
        timing = {"workload_seconds": workload_seconds, "recovery_seconds": converged}
        report = self.report(timing, sources, reporting, command)
        report["self_check"] = await self.self_check()
        return report

    def report(
        self,
        timing: dict[str, Any],
        sources: list[dict[str, Any]],
        reporting: list[dict[str, Any]],
        command: dict[str, Any],
    ) -> dict[str, Any]:
        stats = self.stats
        return {
            "seed": self.seed,
            "seconds": self.seconds,
            **timing,
            "faults_by_kind": dict(Counter(f["kind"] for f in self.faults)),
            "faults": self.faults,
            "faults_skipped": self.skipped,
            "writes": {
                "attempted": stats.attempted,
                "accepted": stats.accepted,
                "refused": stats.refused,
                "retried": stats.retried,
                "attempts": stats.attempts,
                "lost_answers": stats.lost_answers,
                "connections_refused": stats.connections_refused,
                "answers_503": stats.answers_503,
                "in_progress_409": stats.in_progress_409,
                "replayed": stats.replayed,
                "by_kind": dict(stats.by_kind),
                "refused_by_status": dict(stats.refused_by_status),
                "refused_because": dict(stats.refused_because.most_common(20)),
            },
            "clubs": len(self.clubs),
            "differences": {"sources": sources, "reporting": reporting},
            "reconcile_command": command,
            "failures": self.failures,
            "idempotency_gap": self.gap,
            "ok": not (self.failures or sources or reporting or self.gap),
        }


def _wait(check: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.5)
    return False


@contextlib.contextmanager
def platform_running(postgres_admin_url: str, workdir: Path | None = None) -> Iterator[Platform]:
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ishc-faults-")))
        platform = Platform(workdir, postgres_admin_url)
        try:
            platform.start()
            yield platform
        finally:
            platform.stop()


def fault_run(
    seed: int, seconds: float, postgres_admin_url: str, workdir: Path | None = None,
    recover_seconds: float = 90.0,
) -> dict[str, Any]:  # fmt: skip
    """One whole run; its report (`ok` false on any failure or difference)."""
    set_clock_start(CLOCK_START)
    wall = time.monotonic()
    with platform_running(postgres_admin_url, workdir) as platform:
        run = Run(seed, seconds, platform)

        async def go() -> dict[str, Any]:
            try:
                return await run.main(recover_seconds)
            finally:
                await run.client.aclose()

        report = asyncio.run(go())
        if not report["ok"]:
            for name, process in platform.services.items():
                with contextlib.suppress(OSError):
                    tail = process.log_path.read_text(errors="replace")[-3000:]
                    report.setdefault("logs", {})[name] = tail
    report["wall_seconds"] = round(time.monotonic() - wall, 1)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=600.0, help="workload duration")
    parser.add_argument("--recover-seconds", type=float, default=120.0)
    parser.add_argument("--report", type=Path, help="also write the JSON report here")
    parser.add_argument("--keep", type=Path, help="keep the services' logs and Redis files here")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("ISHC_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL database whose user may CREATE DATABASE",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.keep:
        shutil.rmtree(args.keep, ignore_errors=True)
        args.keep.mkdir(parents=True)
    report = fault_run(
        args.seed, args.seconds, args.database_url, args.keep, recover_seconds=args.recover_seconds
    )
    text = json.dumps(report, indent=2, ensure_ascii=False, default=str)
    print(text)
    if args.report:
        args.report.write_text(text + "\n")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
