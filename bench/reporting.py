"""Reporting benchmarks, each against a raw baseline in the same run.

- projection: the reporting consumer applying N registry events (member joins
  over a few clubs, batches of 100) against raw XREADGROUP(100) + XACK +
  json.loads over the same entries. Target: ratio >= 0.3.
- table: the province table (`GET /v1/indicators/provinces`) at national scale
  (20,000 clubs, 1.2 million members, a year of meetings and activities) on
  PostgreSQL: today on the current map (target p95 < 100 ms), a year ago and
  the month end before it (its snapshot built first, ADR 0008, with those of
  the month ends the plans read then, as the job has built them in service),
  each kept warm after one read and on a first read (the process's past
  dates, plans' windows and measurements dropped before each request; today's
  records stay warm, as in service), and the legacy map; then the national figures
  (`GET /v1/indicators/national`) with the committed plans loaded, which
  measure each national plan in force over its own windows (1648/QĐ-TTg today;
  1336 and 1648 a year ago); the baseline is one raw `GROUP BY club_id` over
  the members. `--runs` times it again over the same data, each in a fresh app.
- latency: registry and reporting as processes; a member joins over HTTP and
  the time until the club's member count shows it, p50 and p99 of `--writes`
  writes after a first one, whose time (the processes' first event, their
  statements compiled and caches filled) is reported on its own.

    uv run python -m bench.reporting --only projection --count 20000
    uv run python -m bench.reporting --only table --clubs 20000 --members-per-club 60 --runs 3
    uv run python -m bench.reporting --only latency --writes 200 [--database postgresql]
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import tempfile
import time
import tomllib
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from fastapi.testclient import TestClient
from redis.asyncio import Redis
from rich.progress import Progress
from sqlalchemy import insert, text

from bench.common import REDIS, drop, freeze_setup, new_database, raw_read_rate, rss_mib
from ishc_contracts import Envelope, new_event_id
from ishc_contracts import registry_events as re
from ishc_platform import admin_units
from ishc_platform.admin_units import Boundary
from ishc_platform.auth import Role, issue_token
from ishc_platform.broker import EventPublisher
from ishc_platform.clock import today
from ishc_platform.consumer import InboxConsumer
from ishc_platform.db import Database, make_sync_engine
from ishc_platform.migrate import upgrade
from ishc_platform.settings import Settings
from ishc_reporting.app import create_app
from ishc_reporting.consumers import apply_registry_events
from ishc_reporting.domain.snapshots import snapshot_serves
from ishc_reporting.domain.targets import measurement_depths
from ishc_reporting.models import (
    ActivityFact,
    BoardState,
    ClubFact,
    ClubLocation,
    MeetingFact,
    MemberFact,
)
from ishc_reporting.queries.indicators import load_plans
from ishc_reporting.queries.snapshots import snapshot_ages
from ishc_reporting.queries.targets import forget_measurements
from ishc_reporting.queries.warm import forget_past_dates
from ishc_reporting.service.snapshots import build_month, store_month_rollups

app = typer.Typer(add_completion=False)
SECRET = "b" * 48
AREAS = [a.value for a in re.ActivityArea]


def new_postgres() -> tuple[str, str]:
    url, name = new_database("postgresql", Path())
    assert name is not None
    return url, name


def quantile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


# -- projection throughput -----------------------------------------------------------


def member_envelopes(count: int, clubs: int) -> list[str]:
    club_ids = [str(uuid.uuid4()) for _ in range(clubs)]
    bodies = []
    for n in range(count):
        member_id = str(uuid.uuid4())
        payload = re.MemberJoined(
            member_id=member_id,
            club_id=club_ids[n % clubs],
            sex=re.Sex.FEMALE if n % 3 else re.Sex.MALE,
            birth_year=1940 + n % 50,
            poverty_status=re.PovertyStatus.POOR,
            joined_on=date(2024, 1, 1),
        )
        envelope = Envelope(
            id=new_event_id(),
            type="ishc.registry.member.joined.v1",
            source="/ishc/registry",
            time=datetime.now(UTC),
            subject=member_id,
            sequence=1,
            province="86",
            data=payload.model_dump(mode="json"),
        )
        bodies.append(envelope.model_dump_json())
    return bodies


async def bench_projection(url: str, count: int) -> dict[str, float]:
    upgrade("reporting", url)
    db = Database(url)
    redis = Redis.from_url(REDIS)
    stream = f"bench.{uuid.uuid4().hex[:10]}"
    from faststream.redis import RedisBroker

    broker = RedisBroker(REDIS)
    publisher = EventPublisher(broker, redis, stream, "registry")
    try:
        bodies = member_envelopes(count, clubs=max(1, count // 60))
        for i in range(0, count, 500):
            await publisher.publish_many(bodies[i : i + 500])
        freeze_setup()
        raw = await raw_read_rate(redis, stream, count)
        consumer = InboxConsumer(
            db,
            redis,
            stream=stream,
            group="reporting",
            handler=apply_registry_events,
            batch_size=100,
            claim_idle_ms=600_000,
        )
        freeze_setup()
        started = time.perf_counter()
        handled = 0
        while handled < count:
            handled += await consumer.poll_once(block_ms=10)
        projection = count / (time.perf_counter() - started)
        return {"projection_per_s": projection, "raw_read_per_s": raw, "ratio": projection / raw}
    finally:
        await redis.delete(stream)
        await redis.aclose()
        await db.dispose()


def mixed_logs(count: int) -> dict[str, list[dict[str, Any]]]:
    """About `count` events of registry, finance and health, per stream, as a
    club's year makes them: the club, its board, 30 members, monthly meetings,
    activities; two funds, contributions, ten loans repaid in six instalments;
    consents, two checks a member, weekly exercise sessions, home-care visits."""
    from tests.reporting.conftest import Finance, Health, Registry

    registry, finance, health = Registry(), Finance(), Health()
    communes = admin_units.communes_of_province("86", Boundary.CURRENT)
    start = date(2025, 1, 1)
    n = 0
    while len(registry.log) + len(finance.log) + len(health.log) < count:
        club = registry.club(communes[n % len(communes)].code, date(2020, 1, 1))
        members = registry.members(club, "86", 30, joined_on=date(2020, 2, 1))
        registry.board(club, "86", start, members[:5])
        for month in range(12):
            registry.meeting(club, "86", start + timedelta(days=30 * month + 5))
        for area in re.ActivityArea:
            registry.activity(club, "86", area.value, start + timedelta(days=40))
        income = finance.fund(club, "86", "income", start)
        finance.fund(club, "86", "activity", start)
        for month in range(12):
            finance.contribute(income, club, "86", 1_000_000, start + timedelta(days=30 * month))
        for borrower in members[:10]:
            loan = finance.lend(income, club, "86", borrower, 600_000, start, 6, 6_000)
            finance.pay_instalments(loan, 1, 2, 3, 4, 5, 6)
        for member in members:
            health.consent(member, club, "86", start)
            health.check(member, club, "86", start + timedelta(days=20))
            health.check(member, club, "86", start + timedelta(days=200))
        health.sessions(club, "86", (start + timedelta(days=7 * w) for w in range(48)))
        for w in range(12):
            on = start + timedelta(days=30 * w)
            health.visit(club, "86", members[w % 5], members[10 + w], on)
        n += 1
    return {"ishc.registry": registry.log, "ishc.finance": finance.log, "ishc.health": health.log}


async def bench_projection_mixed(url: str, count: int) -> dict[str, Any]:
    """Reporting's three consumers, with their real handlers, applying registry,
    finance and health events at once as the service runs them, against the
    raw read of the same three streams."""
    from faststream.redis import RedisBroker

    from ishc_reporting.consumers import SUBSCRIPTIONS

    upgrade("reporting", url)
    db = Database(url)
    redis = Redis.from_url(REDIS)
    prefix = f"bench.{uuid.uuid4().hex[:10]}."
    logs = mixed_logs(count)
    total = sum(len(log) for log in logs.values())
    try:
        for stream, log in logs.items():
            publisher = EventPublisher(RedisBroker(REDIS), redis, prefix + stream, "bench")
            bodies = [json.dumps(e) for e in log]
            for i in range(0, len(bodies), 500):
                await publisher.publish_many(bodies[i : i + 500])
        raw_seconds = 0.0
        for stream, log in logs.items():
            freeze_setup()
            raw_seconds += len(log) / await raw_read_rate(redis, prefix + stream, len(log))
        consumers = [
            InboxConsumer(
                db,
                redis,
                stream=prefix + subscription.stream,
                group="reporting",
                handler=subscription.handler,
                batch_size=100,
                claim_idle_ms=600_000,
            )
            for subscription in SUBSCRIPTIONS
        ]

        async def drain(consumer: InboxConsumer, events: int) -> None:
            handled = 0
            while handled < events:
                handled += await consumer.poll_once(block_ms=10)

        freeze_setup()
        started = time.perf_counter()
        await asyncio.gather(
            *(drain(c, len(logs[c.stream.removeprefix(prefix)])) for c in consumers)
        )
        projection = total / (time.perf_counter() - started)
        raw = total / raw_seconds
        return {
            "events": total,
            "mix": {stream: len(log) for stream, log in logs.items()},
            "projection_per_s": projection,
            "raw_read_per_s": raw,
            "ratio": projection / raw,
        }
    finally:
        await redis.delete(*(prefix + stream for stream in logs))
        await redis.aclose()
        await db.dispose()


# -- the province table at national scale ----------------------------------------------


def populate(url: str, clubs: int, members_per_club: int, seed: int = 7) -> None:
    """Facts for `clubs` clubs spread over every current commune, written set-wise."""
    rng = random.Random(seed)
    upgrade("reporting", url)
    communes = [
        c
        for p in admin_units.current_provinces()
        for c in admin_units.communes_of_province(p.code, Boundary.CURRENT)
    ]
    on = today()
    engine = make_sync_engine(url)
    with Progress() as progress, engine.begin() as conn:
        task = progress.add_task("clubs", total=clubs)
        for start in range(0, clubs, 500):
            club_rows, locations, members, boards, meetings, activities = [], [], [], [], [], []
            for n in range(start, min(clubs, start + 500)):
                commune = communes[(n * 7919) % len(communes)]
                club_id = str(uuid.uuid4())
                founded = date(2016, 1, 1) + timedelta(days=rng.randrange(3000))
                club_rows.append(
                    {
                        "club_id": club_id,
                        "province": commune.province_code,
                        "name": f"CLB {n}",
                        "commune_code": commune.code,
                        "legacy_commune_code": None,
                        "founded_on": founded,
                        "placement_sequence": 1,
                        "dissolved_on": None if n % 50 else founded + timedelta(days=900),
                        "status_sequence": 1,
                    }
                )
                locations.append(
                    {
                        "club_id": club_id,
                        "valid_from": founded,
                        "commune_code": commune.code,
                        "legacy_commune_code": None,
                        "relocation": False,
                        "sequence": 1,
                    }
                )
                boards.append(
                    {"club_id": club_id, "effective_on": founded, "complete": n % 4 != 0,
                     "sequence": 1}
                )  # fmt: skip
                for m in range(members_per_club + rng.randrange(-10, 11)):
                    members.append(
                        {
                            "member_id": str(uuid.uuid4()),
                            "club_id": club_id,
                            "province": commune.province_code,
                            "sex": "female" if rng.random() < 0.65 else "male",
                            "birth_year": rng.randrange(1935, 2000),
                            "poverty_status": rng.choice(["poor", "near_poor", "none"]),
                            "is_volunteer": m < 6,
                            "joined_on": founded + timedelta(days=rng.randrange(400)),
                            "facts_sequence": 1,
                            "left_on": None if rng.random() > 0.05 else on - timedelta(days=30),
                            "status_sequence": 1,
                        }
                    )
                for months_back in range(12):
                    if rng.random() < 0.9:
                        held = (on.replace(day=1) - timedelta(days=31 * months_back)).replace(
                            day=10
                        )
                        meetings.append(
                            {"meeting_id": str(uuid.uuid4()), "club_id": club_id,
                             "held_on": held, "attendance": 40, "hardship_cases_chosen": 1,
                             "hardship_cases_supported": 1}
                        )  # fmt: skip
                for area in rng.sample(AREAS, 4):
                    activities.append(
                        {"activity_id": str(uuid.uuid4()), "club_id": club_id, "area": area,
                         "held_on": on - timedelta(days=rng.randrange(300)), "participants": 30}
                    )  # fmt: skip
            conn.execute(insert(ClubFact), club_rows)
            conn.execute(insert(ClubLocation), locations)
            conn.execute(insert(BoardState), boards)
            conn.execute(insert(MemberFact), members)
            conn.execute(insert(MeetingFact), meetings)
            conn.execute(insert(ActivityFact), activities)
            progress.advance(task, len(club_rows))
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    engine.dispose()


def time_table(url: str, repeat: int) -> list[dict[str, Any]]:
    os.environ["ISHC_SNAPSHOT_SECONDS"] = "0"  # the benchmark builds the one month it reads
    settings = Settings(
        database_url=url,
        jwt_secrets=SECRET,
        stream_prefix=f"bench.{uuid.uuid4().hex[:8]}.",
        log_level="WARNING",
        migrate_on_start=False,
    )
    national = {"Authorization": f"Bearer {issue_token(SECRET, sub='bench', role=Role.NATIONAL)}"}
    year_ago = today() - timedelta(days=365)
    month_end = year_ago.replace(day=1) - timedelta(days=1)  # of the month before: built
    cases = {
        "today, current map": {},
        "a year ago, current map": {"as_of": year_ago.isoformat()},
        "a year ago, first read": {"as_of": year_ago.isoformat()},
        f"month end {month_end:%d/%m/%Y}, current map": {"as_of": month_end.isoformat()},
        f"month end {month_end:%d/%m/%Y}, first read": {"as_of": month_end.isoformat()},
        "today, legacy map": {"boundary": "legacy"},
    }
    rows = []
    with TestClient(create_app(settings)) as client:
        engine = make_sync_engine(url)
        with engine.connect() as conn:
            raw = []
            for _ in range(repeat):
                started = time.perf_counter()
                conn.execute(
                    text("SELECT club_id, count(*) FROM member_fact GROUP BY club_id")
                ).all()
                raw.append((time.perf_counter() - started) * 1000)
        engine.dispose()
        routes = [("/v1/indicators/provinces", label, params) for label, params in cases.items()]
        for path in sorted(Path("services/reporting/plans").glob("*.toml")):
            body = json.loads(json.dumps(tomllib.loads(path.read_text()), default=str))
            reply = client.put(f"/v1/plans/{body['id']}", json=body, headers=national)
            assert reply.status_code in (200, 201), reply.text[:300]
        # The month end's snapshot, for every older age the plans use (ADR 0008),
        # as the snapshot job builds it; the job itself is off (ISHC_SNAPSHOT_SECONDS).
        built = asyncio.run(build_snapshots(url, month_end))
        rows.append({"case": f"snapshot of {month_end:%d/%m/%Y} built, s", **built})
        # And the other month ends the plans read on these dates (their baselines,
        # 31/12/2020 and 31/07/2025), which the job has built in service.
        read = asyncio.run(build_plans_month_ends(url, [today(), year_ago, month_end], month_end))
        rows.append({"case": "snapshots of the plans' month ends built", **read})
        routes += [
            ("/v1/indicators/national", f"national with plans, {label}", params)
            for label, params in cases.items()
            if "legacy" not in label
        ]
        # As a write between two requests leaves it: the plans' measurements
        # recomputed (the warm club records stay, patched per touched club).
        routes.append(("/v1/indicators/national", "national with plans, today, cold", {}))
        for route, label, params in routes:
            client.get(route, params=params, headers=national)  # warm
            times = []
            for _ in range(repeat):
                if label.endswith("cold"):
                    forget_measurements()
                if label.endswith("first read"):
                    # Today's records stay, as in service: dropping them made the
                    # background gauge refresh compute today's table again during
                    # the timed reads (it reads today every 15 s).
                    forget_past_dates()
                    forget_measurements()
                started = time.perf_counter()
                reply = client.get(route, params=params, headers=national)
                times.append((time.perf_counter() - started) * 1000)
                assert reply.status_code == 200, reply.text[:300]
            rows.append(
                {
                    "case": label,
                    "p50_ms": statistics.median(times),
                    "p95_ms": quantile(times, 95),
                    "raw_group_by_p50_ms": statistics.median(raw),
                    "ratio_p50_to_raw": statistics.median(times) / statistics.median(raw),
                }
            )
        # The bench runs the app in its own process: its RSS is reporting's, with
        # today and the past dates read kept warm at national scale.
        rows.append({"case": "process RSS after the cases", "rss_mib": rss_mib()})
    return rows


async def build_snapshots(url: str, month_end: date) -> dict[str, Any]:
    db = Database(url)
    try:
        async with db.sessions() as session:
            ages = sorted(await snapshot_ages(session))
        started = time.perf_counter()
        for age in ages:
            assert await build_month(db, month_end, age)
        built = time.perf_counter()
        assert await store_month_rollups(db, month_end)
        return {
            "seconds": built - started,
            "older_ages": ages,
            "rollups_seconds": time.perf_counter() - built,
        }
    finally:
        await db.dispose()


async def build_plans_month_ends(url: str, dates: list[date], built: date) -> dict[str, Any]:
    """Build the club snapshots of every month end a stored plan is measured at
    on `dates` (its baseline, a window's end) that a snapshot serves, but
    `built`: in service the job has built every month."""
    db = Database(url)
    try:
        async with db.sessions() as session:
            ages = sorted(await snapshot_ages(session))
            plans = await load_plans(session)
        month_ends = sorted(
            {
                on
                for plan in plans
                for as_of in dates
                for on, start in measurement_depths(plan, as_of)
                if on != built and snapshot_serves(on, start, today())
            }
        )
        started = time.perf_counter()
        for on in month_ends:
            for age in ages:
                await build_month(db, on, age)
        return {
            "month_ends": [f"{on:%d/%m/%Y}" for on in month_ends],
            "seconds": time.perf_counter() - started,
        }
    finally:
        await db.dispose()


# -- write-to-indicator latency ---------------------------------------------------------


def bench_latency(writes: int, scratch: Path, database: str = "sqlite") -> dict[str, Any]:
    from tests.helpers.services import ServiceProcess

    databases: dict[str, str | None] = {}
    urls = {}
    for name in ("registry", "reporting"):
        urls[name], databases[name] = new_database(database, scratch)

    env = {
        "ISHC_JWT_SECRETS": SECRET,
        "ISHC_REDIS_URL": REDIS,
        "ISHC_STREAM_PREFIX": f"bench.{uuid.uuid4().hex[:8]}.",
        "ISHC_CONSUMER_BLOCK_MS": "1000",
        "ISHC_LOG_LEVEL": "WARNING",
        # The latency run polls reporting ~200 times a second with one token.
        "ISHC_RATE_LIMIT_PER_MINUTE": "0",
    }
    services = {
        name: ServiceProcess(
            name,
            {**env, "ISHC_DATABASE_URL": urls[name]},
            scratch / f"{name}.log",
        )
        for name in ("registry", "reporting")
    }
    token = issue_token(SECRET, sub="bench", role=Role.PROVINCE, provinces=["86"])
    headers = {"Authorization": f"Bearer {token}"}
    latencies = []
    try:
        for service in services.values():
            service.start()
        registry = httpx.Client(base_url=services["registry"].url, headers=headers, timeout=10)
        reporting = httpx.Client(base_url=services["reporting"].url, headers=headers, timeout=10)
        club = registry.post(
            "/v1/clubs",
            json={"name": "CLB", "commune_code": "29623", "founded_on": "2020-01-01"},
        ).json()["id"]

        def members() -> int:
            reply = reporting.get(f"/v1/indicators/clubs/{club}")
            indicators = reply.json().get("indicators") if reply.status_code == 200 else None
            return int(indicators["members"]) if indicators else 0

        for n in range(writes + 1):  # the first is the processes' first: reported apart
            reply = registry.post(
                f"/v1/clubs/{club}/members",
                json={"full_name": f"Bench {n}", "sex": "female", "birth_year": 1950,
                      "poverty_status": "poor", "joined_on": "2021-01-01"},
            )  # fmt: skip
            accepted = time.perf_counter()
            assert reply.status_code == 201, reply.text
            deadline = accepted + 10
            while members() < n + 1 and time.perf_counter() < deadline:
                time.sleep(0.005)
            latencies.append((time.perf_counter() - accepted) * 1000)
    finally:
        for service in services.values():
            service.stop()
        for database_name in databases.values():
            drop(database_name)
    first, timed = latencies[0], latencies[1:]
    return {
        "database": database,
        "writes": writes,
        "p50_ms": statistics.median(timed),
        "p99_ms": quantile(timed, 99),
        "max_ms": max(timed),
        "first_write_ms": first,
    }


@app.command()
def main(
    only: Annotated[str, typer.Option(help="projection, table or latency")] = "projection",
    count: Annotated[int, typer.Option(help="events for the projection figure")] = 20_000,
    clubs: Annotated[int, typer.Option(help="clubs for the table figure")] = 20_000,
    members_per_club: Annotated[int, typer.Option(help="average members per club")] = 60,
    repeat: Annotated[int, typer.Option(help="requests per table case")] = 20,
    runs: Annotated[int, typer.Option(help="table: timed runs over the same data")] = 1,
    writes: Annotated[int, typer.Option(help="writes for the latency figure")] = 200,
    database: Annotated[
        str, typer.Option(help="sqlite or postgresql (projection: postgresql; latency: sqlite)")
    ] = "",
) -> None:
    if database not in ("", "sqlite", "postgresql"):
        raise typer.BadParameter("sqlite or postgresql", param_hint="--database")
    database = database or ("sqlite" if only == "latency" else "postgresql")
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as scratch:
        if only == "projection":
            for figure, bench in (
                ("projection, member joins", bench_projection),
                ("projection, mixed", bench_projection_mixed),
            ):
                url, name = new_database(database, Path(scratch))
                try:
                    row = asyncio.run(bench(url, count))
                finally:
                    drop(name)
                results.append({"figure": figure, "database": database, **row})
        elif only == "table":
            url, name = new_postgres()
            try:
                started = time.perf_counter()
                populate(url, clubs, members_per_club)
                print(f"populated in {time.perf_counter() - started:.0f} s")
                for run in range(1, runs + 1):  # each run a fresh app: nothing kept warm
                    for row in time_table(url, repeat):
                        results.append(
                            {"figure": "province table", "clubs": clubs, "run": run, **row}
                        )
            finally:
                drop(name)
        elif only == "latency":
            row = bench_latency(writes, Path(scratch), database)
            results.append({"figure": "write to indicator", **row})
        else:
            raise typer.BadParameter("projection, table or latency", param_hint="--only")
    for row in results:
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}))
    out = Path("bench/out")
    out.mkdir(parents=True, exist_ok=True)
    (out / f"reporting-{only}-{int(time.time())}.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    app()
