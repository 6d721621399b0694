"""The whole platform at national scale: the four services as processes on
PostgreSQL, one Redis, every figure set against a raw baseline of the same run
where one exists.

Loads the nation through `POST /v1/imports` (clubs over every current commune of
the 34 provinces, founded over ten years; members joined over each club's life),
then measures: API writes per service, the import rate, the relay and consumer
against raw Redis (bench.events), the real pipeline registry -> reporting, the
write-to-indicator latency, the indicator pages (today and a year ago, both
maps), a rebuild of reporting's projection from the logs, each process's memory,
Redis memory and the databases' sizes.

    uv run python -m bench.national --quick                                   # make bench
    uv run python -m bench.national --clubs 20000 --members-per-club 60 --record
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import uuid
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import psycopg
import typer
from redis import Redis as SyncRedis
from redis.asyncio import Redis
from redis.exceptions import ResponseError
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from bench.common import REDIS, drop, new_database, raw_read_rate
from bench.events import bench_relay_and_consumer
from bench.imports import HEADERS as MEMBER_HEADERS
from bench.imports import POVERTY, raw_floor, workbook
from ishc_platform import admin_units
from ishc_platform.admin_units import Boundary
from ishc_platform.auth import Role, issue_token
from ishc_platform.clock import CLOCK_START_VARIABLE, today, utcnow
from ishc_platform.migrate import upgrade
from tests.helpers.services import ServiceProcess

app = typer.Typer(add_completion=False)
console = Console()
SECRET = "n" * 48
SERVICES = ("registry", "finance", "health", "reporting")
CLUB_HEADERS = ["Tên CLB", "Mã xã", "Ngày thành lập", "Mã CLB"]
TOKEN_LIFETIME = timedelta(hours=12)  # a national run lasts about an hour
VINH_LONG = "86"


def every_province_token(sub: str) -> str:
    """A province token for all 34 provinces: the bench writes everywhere."""
    return issue_token(
        SECRET,
        sub=sub,
        role=Role.PROVINCE,
        provinces=[p.code for p in admin_units.current_provinces()],
        lifetime=TOKEN_LIFETIME,
    )


@dataclass(frozen=True)
class Sizes:
    clubs: int
    members_per_club: int
    seconds: float
    concurrency: int
    writes: int
    repeat: int
    events: int
    rows_per_file: int


QUICK = Sizes(300, 30, 10, 8, 100, 10, 10_000, 5_000)
NATIONAL = Sizes(20_000, 60, 20, 8, 300, 10, 20_000, 5_000)


@dataclass
class Row:
    """One measured figure, with its raw baseline of the same run when there is one."""

    key: str  # stable name, e.g. "writes.registry.per_s"
    figure: str
    value: float
    unit: str
    baseline: str = ""
    baseline_value: float | None = None

    @property
    def ratio(self) -> float | None:
        if not self.baseline_value:
            return None
        return self.value / self.baseline_value


def quantile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- the platform as processes ---------------------------------------------------------


@dataclass
class Platform:
    services: dict[str, ServiceProcess]
    databases: dict[str, str]  # service -> database URL
    prefix: str

    def stream(self, service: str) -> str:
        return f"{self.prefix}ishc.{service}"


def service_env(prefix: str, database_url: str, sources: dict[str, str]) -> dict[str, str]:
    return {
        "ISHC_DATABASE_URL": database_url,
        "ISHC_REDIS_URL": REDIS,
        "ISHC_STREAM_PREFIX": prefix,
        "ISHC_JWT_SECRETS": SECRET,
        "ISHC_HEALTH_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "ISHC_LOG_LEVEL": "WARNING",
        # The bench's clients are a whole nation's worth of callers with one token each.
        "ISHC_RATE_LIMIT_PER_MINUTE": "0",
        "ISHC_RATE_LIMIT_ANONYMOUS_PER_MINUTE": "0",
        "ISHC_EVENT_SOURCES": ",".join(f"{n}={url}" for n, url in sources.items()),
    }


def drop_keys(prefix: str) -> None:
    redis = SyncRedis.from_url(REDIS)
    try:
        keys = list(redis.scan_iter(match=f"{prefix}*", count=1000))
        for i in range(0, len(keys), 500):
            redis.delete(*keys[i : i + 500])
    finally:
        redis.close()


@contextmanager
def running_platform(scratch: Path) -> Iterator[Platform]:
    """The four services on fresh PostgreSQL databases and a fresh stream prefix;
    everything stopped, dropped and deleted on the way out, whatever happened."""
    prefix = f"bench.{uuid.uuid4().hex[:8]}."
    names: list[str] = []
    services: dict[str, ServiceProcess] = {}
    databases: dict[str, str] = {}
    try:
        for name in SERVICES:
            url, db_name = new_database("postgresql", scratch)
            assert db_name is not None
            names.append(db_name)
            databases[name] = url
        # Consumers backfill from their sources' logs, as in production (devrun.py).
        sources = {"finance": ["registry"], "health": ["registry"]}
        sources["reporting"] = ["registry", "finance", "health"]
        for name in SERVICES:
            logs = {s: services[s].url for s in sources.get(name, [])}
            env = service_env(prefix, databases[name], logs)
            services[name] = ServiceProcess(name, env, scratch / f"{name}.log")
        # Started side by side: each spends its start importing and migrating.
        with ThreadPoolExecutor(len(services)) as pool:
            for started in [pool.submit(s.start, 600) for s in services.values()]:
                started.result()
        yield Platform(services, databases, prefix)
    finally:
        for service in services.values():
            service.stop()
        for db_name in names:
            drop(db_name)
        drop_keys(prefix)


def sql(url: str, statement: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(statement).fetchall()


async def group_lag(redis: Redis, stream: str) -> dict[str, bool]:
    """Per consumer group of the stream: has it applied and acknowledged every entry?"""
    try:
        info: Any = await redis.xinfo_stream(stream)
        groups: Any = await redis.xinfo_groups(stream)
    except ResponseError:  # no stream yet: nothing to apply
        return {}
    last = info["last-generated-id"]
    return {
        g["name"].decode(): g["pending"] == 0 and g["last-delivered-id"] == last
        for g in groups
        if g["name"] != b"raw"
    }


async def wait_quiet(platform: Platform, redis: Redis, seconds: float) -> dict[str, float]:
    """Until every outbox is published and every group has applied its stream;
    when each group of the registry's stream got there (monotonic seconds)."""
    started = time.monotonic()
    done: dict[str, float] = {}
    while time.monotonic() - started < seconds:
        unsent = sum(
            sql(platform.databases[s], "SELECT count(*) FROM outbox WHERE position IS NULL")[0][0]
            for s in ("registry", "finance", "health")
        )
        quiet = unsent == 0
        for service in ("registry", "finance", "health"):
            for group, applied in (await group_lag(redis, platform.stream(service))).items():
                if service == "registry" and applied and unsent == 0:
                    done.setdefault(group, time.monotonic())
                quiet = quiet and applied
        if quiet:
            return done
        await asyncio.sleep(0.2)
    raise TimeoutError(f"the consumers were still behind after {seconds:.0f} s")


# -- the nation, as spreadsheets -------------------------------------------------------


@dataclass(frozen=True)
class Club:
    external_id: str
    commune: str
    founded_on: date


def nation(clubs: int, rng: random.Random) -> list[Club]:
    """Clubs over every current commune of the 34 provinces (spread as
    bench.reporting.populate spreads them), founded over the last ten years."""
    communes = [
        c.code
        for p in admin_units.current_provinces()
        for c in admin_units.communes_of_province(p.code, Boundary.CURRENT)
    ]
    on = today()
    return [
        Club(f"N-{n}", communes[(n * 7919) % len(communes)], on - timedelta(rng.randrange(3650)))
        for n in range(clubs)
    ]


def club_files(clubs: list[Club], per_file: int) -> list[tuple[int, bytes]]:
    rows = [[f"CLB {c.external_id}", c.commune, c.founded_on, c.external_id] for c in clubs]
    return [
        (len(rows[i : i + per_file]), workbook([CLUB_HEADERS, *rows[i : i + per_file]]))
        for i in range(0, len(rows), per_file)
    ]


def member_files(
    clubs: list[Club], per_club: int, per_file: int, rng: random.Random
) -> Iterator[tuple[int, bytes]]:
    """Members joined over each club's life, in files of about `per_file` rows."""
    on = today()
    spread = per_club // 6
    rows: list[list[object]] = []
    for club in clubs:
        life = (on - club.founded_on).days + 1
        for m in range(max(1, per_club + rng.randint(-spread, spread))):
            rows.append(
                [
                    f"Hội viên {club.external_id}-{m}",
                    "Nữ" if rng.random() < 0.65 else "Nam",
                    rng.randrange(1935, 2000),
                    rng.choice(POVERTY),
                    "x" if m < 3 else None,
                    club.founded_on + timedelta(rng.randrange(life)),
                    f"{club.external_id}-{m}",
                    club.external_id,
                ]
            )
        if len(rows) >= per_file:
            yield len(rows), workbook([MEMBER_HEADERS, *rows])
            rows = []
    if rows:
        yield len(rows), workbook([MEMBER_HEADERS, *rows])


# -- the figures -----------------------------------------------------------------------


async def load_nation(
    platform: Platform, redis: Redis, sizes: Sizes, seed: int
) -> tuple[list[Row], tuple[int, bytes]]:
    """Import the nation, timing each request, then the pipeline to reporting;
    the figures and the first member file (rows, content)."""
    rng = random.Random(seed)
    clubs = nation(sizes.clubs, rng)
    with Progress(console=console) as progress:
        # Files are built first, so the import runs back to back as a province's would.
        building = progress.add_task(
            "building XLSX files", total=sizes.clubs * sizes.members_per_club
        )
        clubs_xlsx = club_files(clubs, sizes.rows_per_file)
        members_xlsx = []
        for count, content in member_files(clubs, sizes.members_per_club, sizes.rows_per_file, rng):
            members_xlsx.append((count, content))
            progress.advance(building, count)
        expected_members = sum(n for n, _ in members_xlsx)
        progress.update(building, total=expected_members, completed=expected_members)
        token = every_province_token("bench-import")
        spent: dict[str, float] = {"clubs": 0.0, "members": 0.0}
        started = time.monotonic()
        async with httpx.AsyncClient(
            base_url=platform.services["registry"].url, headers=bearer(token), timeout=600
        ) as client:
            for kind, files in (("clubs", clubs_xlsx), ("members", members_xlsx)):
                task = progress.add_task(f"importing {kind}", total=sum(n for n, _ in files))
                for count, content in files:
                    began = time.perf_counter()
                    reply = await client.post(
                        "/v1/imports",
                        data={"kind": kind},
                        files={"file": (f"{kind}.xlsx", content)},
                    )
                    spent[kind] += time.perf_counter() - began
                    assert reply.status_code == 200, reply.text[:500]
                    assert reply.json()["created"] == count, reply.text[:500]
                    progress.advance(task, count)
        imported = time.monotonic()
    console.print("import done; waiting for the consumers")
    done = await wait_quiet(platform, redis, seconds=4 * 3600)
    events = int(await redis.xlen(platform.stream("registry")))
    raw = await raw_read_rate(redis, platform.stream("registry"), min(events, 200_000))
    await redis.xgroup_destroy(platform.stream("registry"), "raw")
    pipeline = events / (done["reporting"] - started)
    rows = [
        Row(
            "import.clubs.per_s",
            "import: clubs through POST /v1/imports",
            len(clubs) / spent["clubs"],
            "rows/s",
        ),
        Row(
            "import.members.per_s",
            "import: members through POST /v1/imports",
            expected_members / spent["members"],
            "rows/s",
        ),
        Row("load.members", "members loaded", expected_members, "members"),
        Row(
            "load.registry_events", "registry events on the stream after the load", events, "events"
        ),
        Row(
            "pipeline.reporting.per_s",
            "pipeline: import start to reporting's projection applying all",
            pipeline,
            "events/s",
            "raw XREADGROUP(100)+XACK+json.loads, same stream",
            raw,
        ),
        Row(
            "pipeline.reporting.lag_s",
            "reporting behind the import's end",
            done["reporting"] - imported,
            "s",
        ),
    ]
    for group in ("finance", "health"):
        rows.append(
            Row(
                f"pipeline.{group}.per_s",
                f"pipeline: import start to {group}'s directory applying all",
                events / (done[group] - started),
                "events/s",
                "raw XREADGROUP(100)+XACK+json.loads, same stream",
                raw,
            )
        )
    return rows, members_xlsx[0]


async def closed_loop(
    send: Callable[[int], Awaitable[httpx.Response]], seconds: float, concurrency: int
) -> tuple[float, list[float]]:
    """`concurrency` requests in flight for `seconds`, each must succeed: the
    requests per second and each one's milliseconds."""
    latencies: list[float] = []
    counter = iter(range(10**9))
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            reply = await send(next(counter))
            assert reply.status_code in (200, 201), reply.text[:300]
            latencies.append((time.perf_counter() - began) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(latencies) / (time.perf_counter() - started), latencies


async def bench_writes(platform: Platform, redis: Redis, sizes: Sizes) -> list[Row]:
    """A realistic write per service, `concurrency` in flight, each with its own
    Idempotency-Key as a province's system retrying safely would send."""
    token = every_province_token("bench-writes")
    on = today().isoformat()
    clients = {
        name: httpx.AsyncClient(base_url=s.url, headers=bearer(token), timeout=60)
        for name, s in platform.services.items()
    }
    try:
        reply = await clients["registry"].get("/v1/clubs", params={"limit": 50})
        clubs = reply.json()["items"]
        funds = []
        for club in clubs[:20]:
            reply = await clients["finance"].post(  # a fund opens under a regulation
                f"/v1/clubs/{club['id']}/regulations",
                json={"effective_on": club["founded_on"], "rate_min": "0.006",
                      "rate_max": "0.010", "fee_min_vnd": 2000, "fee_max_vnd": 5000,
                      "max_loan_vnd": 20_000_000, "max_term_months": 24,
                      "rounding_unit_vnd": 1000, "methods": ["flat"]},
            )  # fmt: skip
            assert reply.status_code == 201, reply.text[:300]
            reply = await clients["finance"].post(
                f"/v1/clubs/{club['id']}/funds",
                json={"kind": "income", "opened_on": club["founded_on"]},
            )
            assert reply.status_code == 201, reply.text[:300]
            funds.append(reply.json()["id"])

        def key() -> dict[str, str]:
            return {"Idempotency-Key": str(uuid.uuid4())}

        requests: dict[str, Callable[[int], Awaitable[httpx.Response]]] = {
            "registry": lambda n: clients["registry"].post(
                f"/v1/clubs/{clubs[n % len(clubs)]['id']}/members",
                json={
                    "full_name": f"Bench {n}",
                    "sex": "female",
                    "birth_year": 1950,
                    "poverty_status": "poor",
                    "joined_on": on,
                },
                headers=key(),
            ),
            "finance": lambda n: clients["finance"].post(
                f"/v1/funds/{funds[n % len(funds)]}/contributions",
                json={"source": "state_budget", "amount_vnd": 1_000_000, "received_on": on},
                headers=key(),
            ),
            "health": lambda n: clients["health"].post(
                f"/v1/clubs/{clubs[n % len(clubs)]['id']}/exercise-sessions",
                json={"held_on": on, "participants": 5},
                headers=key(),
            ),
        }
        what = {
            "registry": "POST /v1/clubs/{id}/members",
            "finance": "POST /v1/funds/{id}/contributions",
            "health": "POST /v1/clubs/{id}/exercise-sessions",
        }
        rows = []
        for name, send in requests.items():
            for n in range(20):  # warm-up: connections and statement caches
                await send(-1 - n)
            rate, latencies = await closed_loop(send, sizes.seconds, sizes.concurrency)
            label = f"writes: {name} {what[name]}, {sizes.concurrency} in flight"
            rows += [
                Row(f"writes.{name}.per_s", label, rate, "requests/s"),
                Row(f"writes.{name}.p50_ms", f"{label}, p50", statistics.median(latencies), "ms"),
                Row(f"writes.{name}.p99_ms", f"{label}, p99", quantile(latencies, 99), "ms"),
            ]
            await wait_quiet(platform, redis, seconds=3600)  # the next service's run alone
        return rows
    finally:
        for client in clients.values():
            await client.aclose()


async def bench_indicator_latency(platform: Platform, redis: Redis, writes: int) -> list[Row]:
    """One member at a time through the registry, until reporting counts them."""
    token = issue_token(
        SECRET, sub="bench-latency", role=Role.PROVINCE, provinces=[VINH_LONG],
        lifetime=TOKEN_LIFETIME,
    )  # fmt: skip
    registry = httpx.AsyncClient(
        base_url=platform.services["registry"].url, headers=bearer(token), timeout=30
    )
    reporting = httpx.AsyncClient(
        base_url=platform.services["reporting"].url, headers=bearer(token), timeout=30
    )
    try:
        reply = await registry.post(
            "/v1/clubs", json={"name": "CLB đo độ trễ", "commune_code": "29623",
                               "founded_on": "2020-01-01"},
        )  # fmt: skip
        assert reply.status_code == 201, reply.text[:300]
        club = reply.json()["id"]

        async def members() -> int:
            reply = await reporting.get(f"/v1/indicators/clubs/{club}")
            indicators = reply.json().get("indicators") if reply.status_code == 200 else None
            return int(indicators["members"]) if indicators else 0

        latencies = []
        for n in range(writes):
            reply = await registry.post(
                f"/v1/clubs/{club}/members",
                json={"full_name": f"Đo {n}", "sex": "female", "birth_year": 1950,
                      "poverty_status": "poor", "joined_on": "2021-01-01"},
            )  # fmt: skip
            accepted = time.perf_counter()
            assert reply.status_code == 201, reply.text[:300]
            while await members() < n + 1:
                if time.perf_counter() - accepted > 30:
                    raise TimeoutError(f"write {n} not in reporting's answer after 30 s")
                await asyncio.sleep(0.005)
            latencies.append((time.perf_counter() - accepted) * 1000)
    finally:
        await registry.aclose()
        await reporting.aclose()
    label = f"write to indicator: a member joins, until the club's count shows it ({writes} writes)"
    return [
        Row("latency.p50_ms", f"{label}, p50", statistics.median(latencies), "ms"),
        Row("latency.p99_ms", f"{label}, p99", quantile(latencies, 99), "ms"),
    ]


def raw_group_by_ms(url: str, repeat: int) -> float:
    """bench.reporting's baseline: one raw GROUP BY over the member facts."""
    times = []
    with psycopg.connect(url) as conn:
        for _ in range(repeat):
            began = time.perf_counter()
            conn.execute("SELECT club_id, count(*) FROM member_fact GROUP BY club_id").fetchall()
            times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


async def bench_reads(platform: Platform, repeat: int) -> list[Row]:
    """The national figures, the province table and Vĩnh Long's figures through
    the API, and the dashboard's national and Vĩnh Long pages (the HTML people
    read): today and a year ago, on both maps, with the committed national
    plans loaded."""
    token = issue_token(SECRET, sub="bench-reads", role=Role.NATIONAL, lifetime=TOKEN_LIFETIME)
    raw = raw_group_by_ms(platform.databases["reporting"], repeat)
    year_ago = (today() - timedelta(days=365)).isoformat()
    rows = []
    async with httpx.AsyncClient(
        base_url=platform.services["reporting"].url, headers=bearer(token), timeout=600
    ) as client:
        for page, route in (
            ("national", "/v1/indicators/national"),
            ("provinces", "/v1/indicators/provinces"),
            (VINH_LONG, f"/v1/indicators/provinces/{VINH_LONG}"),
            ("dashboard", "/dashboard"),
            (f"dashboard_{VINH_LONG}", f"/dashboard/provinces/{VINH_LONG}"),
        ):
            for when, as_of in (("today", None), ("a year ago", year_ago)):
                for boundary in ("current", "legacy"):
                    params = {"boundary": boundary} | ({"as_of": as_of} if as_of else {})
                    reply = await client.get(route, params=params)  # warm-up
                    assert reply.status_code == 200, reply.text[:300]
                    times = []
                    for _ in range(repeat):
                        began = time.perf_counter()
                        reply = await client.get(route, params=params)
                        times.append((time.perf_counter() - began) * 1000)
                        assert reply.status_code == 200, reply.text[:300]
                    key = f"read.{page}.{when.replace(' ', '_')}.{boundary}"
                    label = f"GET {route}, {when}, {boundary} map"
                    group_by = "raw GROUP BY club_id over member_fact, p50"
                    rows += [
                        Row(f"{key}.p50_ms", f"{label}, p50", statistics.median(times), "ms",
                            group_by, raw),
                        Row(f"{key}.p95_ms", f"{label}, p95", quantile(times, 95), "ms",
                            group_by, raw),
                    ]  # fmt: skip
    return rows


def load_plans(platform: Platform) -> None:
    """The committed plans, as an operator loads them (bench.reporting does the same)."""
    token = issue_token(SECRET, sub="bench-plans", role=Role.NATIONAL, lifetime=TOKEN_LIFETIME)
    with httpx.Client(
        base_url=platform.services["reporting"].url, headers=bearer(token), timeout=60
    ) as client:
        for path in sorted(Path("services/reporting/plans").glob("*.toml")):
            body = json.loads(json.dumps(tomllib.loads(path.read_text()), default=str))
            reply = client.put(f"/v1/plans/{body['id']}", json=body)
            assert reply.status_code in (200, 201), reply.text[:300]


def bench_rebuild(platform: Platform, scratch: Path, raw_read: float) -> list[Row]:
    """`ishc-reporting rebuild` from the three logs into a fresh database, timed."""
    into, name = new_database("postgresql", scratch)
    logs = [
        arg
        for service in ("registry", "finance", "health")
        for arg in ("--log", f"{service}={platform.services[service].url}")
    ]
    env = {
        **os.environ,
        # The services' clock (ServiceProcess starts them on ours), so its token is current.
        CLOCK_START_VARIABLE: utcnow().isoformat(),
        "ISHC_REDIS_URL": REDIS,
        "ISHC_STREAM_PREFIX": platform.prefix,
        "ISHC_JWT_SECRETS": SECRET,
        "ISHC_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "ishc_reporting.cli", "rebuild", "--into", into, *logs]
    try:
        began = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=4 * 3600)
        seconds = time.perf_counter() - began
    finally:
        drop(name)
    found = re.search(r"applied (\d+) events", done.stdout + done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"rebuild failed: {done.stderr[-2000:]}")
    applied = int(found.group(1))
    return [
        Row(
            "rebuild.s",
            "rebuild: ishc-reporting rebuild from the logs, fresh database",
            seconds,
            "s",
        ),
        Row(
            "rebuild.per_s",
            f"rebuild: {applied:,} events applied",
            applied / seconds,
            "events/s",
            "raw XREADGROUP(100)+XACK+json.loads on registry's stream",
            raw_read,
        ),
    ]


def process_memory(platform: Platform) -> list[Row]:
    rows = []
    for name, service in platform.services.items():
        assert service.process is not None
        status = Path(f"/proc/{service.process.pid}/status").read_text()
        kb = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", status, re.MULTILINE))
        rows += [
            Row(f"memory.{name}.rss_mb", f"memory: {name} RSS", int(kb["VmRSS"]) / 1024, "MiB"),
            Row(
                f"memory.{name}.peak_mb",
                f"memory: {name} peak RSS (VmHWM)",
                int(kb["VmHWM"]) / 1024,
                "MiB",
            ),
        ]
        size = sql(platform.databases[name], "SELECT pg_database_size(current_database())")[0][0]
        rows.append(Row(f"database.{name}.mb", f"database: {name} on disk", size / 2**20, "MiB"))
    return rows


async def redis_memory(platform: Platform, redis: Redis) -> list[Row]:
    """Redis with every stream at its retention (7 days, by time: nothing of this
    run is old enough to be trimmed, so the streams hold every event)."""
    info: Any = await redis.info("memory")
    rows = [Row("redis.used_mb", "Redis used_memory", info["used_memory"] / 2**20, "MiB")]
    for service in ("registry", "finance", "health"):
        stream = platform.stream(service)
        length = int(await redis.xlen(stream))
        usage = await redis.memory_usage(stream, samples=0) or 0
        rows += [
            Row(f"redis.{service}.entries", f"stream ishc.{service}: entries", length, "entries"),
            Row(f"redis.{service}.mb", f"stream ishc.{service}: memory", usage / 2**20, "MiB"),
        ]
    return rows


async def bench_events_on_postgres(count: int, scratch: Path) -> list[Row]:
    url, name = new_database("postgresql", scratch)
    try:
        figures = await bench_relay_and_consumer(url, count)
    finally:
        drop(name)
    return [
        Row(
            "events.relay.per_s",
            f"relay draining {count:,} outbox rows (PostgreSQL)",
            figures["relay_per_s"],
            "events/s",
            "pipelined XADD (500)",
            figures["raw_xadd_per_s"],
        ),
        Row(
            "events.consumer.per_s",
            f"consumer applying {count:,} entries (PostgreSQL)",
            figures["consumer_per_s"],
            "events/s",
            "raw XREADGROUP(100)+XACK+json.loads",
            figures["raw_read_per_s"],
        ),
    ]


# -- the run and its outputs -----------------------------------------------------------


async def run(sizes: Sizes, seed: int, scratch: Path) -> list[Row]:
    rows = await bench_events_on_postgres(sizes.events, scratch)
    with running_platform(scratch) as platform:
        redis = Redis.from_url(REDIS)
        try:
            load_plans(platform)
            loaded, (floor_rows, member_file) = await load_nation(platform, redis, sizes, seed)
            rows += loaded
            floor_url, floor_name = new_database("postgresql", scratch)
            try:
                upgrade("registry", floor_url)
                floor = raw_floor(floor_url, member_file)
            finally:
                drop(floor_name)
            imported = next(r for r in rows if r.key == "import.members.per_s")
            imported.baseline = "openpyxl + Core executemany of one file's rows (bench.imports)"
            imported.baseline_value = floor_rows / floor
            console.print("memory after the load")
            rows += process_memory(platform)
            console.print("API writes")
            rows += await bench_writes(platform, redis, sizes)
            console.print("write-to-indicator latency")
            rows += await bench_indicator_latency(platform, redis, sizes.writes)
            await wait_quiet(platform, redis, seconds=3600)
            console.print("indicator pages")
            rows += await bench_reads(platform, sizes.repeat)
            rows += await redis_memory(platform, redis)
            console.print("rebuild")
            raw = next(r.baseline_value for r in rows if r.key == "pipeline.reporting.per_s")
            rows += bench_rebuild(platform, scratch, raw or 0.0)
            for row in process_memory(platform):
                if row.key.endswith("peak_mb"):
                    row.key, row.figure = row.key + "_end", row.figure + " at the end"
                    rows.append(row)
        finally:
            await redis.aclose()
    return rows


def number(value: float) -> str:
    if value == int(value) or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def ratio_text(row: Row) -> str:
    return "" if row.ratio is None else f"{row.ratio:.3g}"


def markdown(rows: list[Row]) -> str:
    lines = ["| figure | value | baseline (same run) | ratio |", "|---|---|---|---|"]
    for r in rows:
        base = f"{number(r.baseline_value)} ({r.baseline})" if r.baseline_value else ""
        lines.append(f"| {r.figure} | {number(r.value)} {r.unit} | {base} | {ratio_text(r)} |")
    return "\n".join(lines) + "\n"


def plot(rows: list[Row], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display on the bench machines
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    latency = [r for r in rows if r.unit == "ms"]
    rates = [r for r in rows if r.unit.endswith("/s")]
    figure, (left, right) = plt.subplots(1, 2, figsize=(16, 9))
    left.barh([r.key for r in latency], [r.value for r in latency], color="tab:blue")
    left.set_xscale("log")
    left.xaxis.set_minor_formatter(NullFormatter())  # the minor labels overlap
    left.set_xlabel("ms (log scale)")
    left.set_title("latency percentiles")
    left.invert_yaxis()
    positions = range(len(rates))
    right.barh([p - 0.2 for p in positions], [r.value for r in rates], height=0.4,
               label="measured", color="tab:green")  # fmt: skip
    right.barh([p + 0.2 for p in positions], [r.baseline_value or 0 for r in rates], height=0.4,
               label="raw baseline, same run", color="tab:gray")  # fmt: skip
    right.set_yticks(list(positions), [f"{r.key} ({r.unit})" for r in rates])
    right.set_xscale("log")
    right.set_title("throughputs")
    right.legend()
    right.invert_yaxis()
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def machine() -> str:
    cpu = Path("/proc/cpuinfo").read_text()
    cores = cpu.count("\nprocessor") + cpu.startswith("processor")
    model = re.search(r"model name\s*:\s*(.+)", cpu)
    mem_kb = int(re.findall(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[0])
    redis_version = (
        subprocess.run(["redis-cli", "INFO", "server"], capture_output=True, text=True).stdout
        if shutil.which("redis-cli")
        else ""
    )
    found = re.search(r"redis_version:(\S+)", redis_version)
    postgres = sql("postgresql://postgres@127.0.0.1:5432/postgres", "SHOW server_version")[0][0]
    return (
        f"{cores} cores ({model.group(1) if model else 'unknown CPU'}), "
        f"{mem_kb / 2**20:.0f} GiB RAM, Redis {found.group(1) if found else '?'}, "
        f"PostgreSQL {postgres}, Python {platform.python_version()}"
    )


@app.command()
def main(
    quick: Annotated[bool, typer.Option(help="a few minutes: 300 clubs of ~30 members")] = False,
    clubs: Annotated[int | None, typer.Option(help="clubs (national: 20000)")] = None,
    members_per_club: Annotated[int | None, typer.Option(help="average members per club")] = None,
    seconds: Annotated[float | None, typer.Option(help="seconds of writes per service")] = None,
    concurrency: Annotated[int | None, typer.Option(help="write requests in flight")] = None,
    writes: Annotated[int | None, typer.Option(help="writes timed to the indicator")] = None,
    repeat: Annotated[int | None, typer.Option(help="requests per page case")] = None,
    events: Annotated[int | None, typer.Option(help="events for relay and consumer")] = None,
    rows_per_file: Annotated[int | None, typer.Option(help="rows per imported file")] = None,
    seed: Annotated[int, typer.Option(help="seed of the generated nation")] = 13,
    out: Annotated[Path, typer.Option(help="where the JSON, markdown and PNG go")] = Path(
        "bench/out"
    ),
    record: Annotated[
        bool, typer.Option(help="append to bench/RESULTS.md and write bench/national.png")
    ] = False,
) -> None:
    base = QUICK if quick else NATIONAL
    given = {
        "clubs": clubs, "members_per_club": members_per_club, "seconds": seconds,
        "concurrency": concurrency, "writes": writes, "repeat": repeat, "events": events,
        "rows_per_file": rows_per_file,
    }  # fmt: skip
    sizes = Sizes(**{**asdict(base), **{k: v for k, v in given.items() if v is not None}})
    # SIGTERM cleans up as Ctrl-C does: services stopped, databases and keys dropped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        rows = asyncio.run(run(sizes, seed, Path(scratch)))
    minutes = (time.monotonic() - started) / 60
    table = Table(title=f"national bench, {sizes.clubs:,} clubs, {minutes:.1f} min")
    for column in ("figure", "value", "unit", "baseline", "ratio"):
        table.add_column(column)
    for r in rows:
        base_value = number(r.baseline_value) if r.baseline_value else ""
        table.add_row(r.figure, number(r.value), r.unit, base_value, ratio_text(r))
    console.print(table)
    out.mkdir(parents=True, exist_ok=True)
    stamp = int(time.time())
    report = {"sizes": asdict(sizes), "seed": seed, "minutes": minutes, "machine": machine(),
              "rows": [asdict(r) | {"ratio": r.ratio} for r in rows]}  # fmt: skip
    (out / f"national-{stamp}.json").write_text(json.dumps(report, indent=2))
    (out / f"national-{stamp}.md").write_text(markdown(rows))
    title = f"ISHC national bench: {sizes.clubs:,} clubs, ~{sizes.members_per_club} members each"
    png = Path("bench/national.png") if record else out / f"national-{stamp}.png"
    plot(rows, png, title)
    console.print(f"wrote {out}/national-{stamp}.json, .md and {png}")
    if record:
        command = "uv run python -m bench.national " + " ".join(sys.argv[1:])
        section = (
            f"\n## National scale (issue 13) — {date.today().isoformat()}\n\n"
            f"    {command}\n\n"
            f"Machine: {report['machine']}. {sizes.clubs:,} clubs, "
            f"{int(next(r.value for r in rows if r.key == 'load.members')):,} members; "
            f"the run took {minutes:.0f} min.\n\n{markdown(rows)}\n"
            "![national bench](national.png)\n"
        )
        with Path("bench/RESULTS.md").open("a") as results:
            results.write(section)


if __name__ == "__main__":
    app()
