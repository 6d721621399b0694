"""Finance benchmarks, each against a baseline measured in the same run.

- statement: one club (directory rows, as the registry's events put them), its
  regulation, both funds opened in December ten years ago and ten years of
  monthly operations through the API: contributions into both funds, every
  member's monthly fee into the activity fund, two expenses a month, a 12-month
  loan a month with each instalment repaid on its due date. The activity fund
  ends with ~5,300 cash entries (fees, interest, contributions, expenses). Then
  `GET /v1/funds/{id}/statement` (JSON) over the whole ten years, p50 and p95 of
  20 requests after one warm-up, against a raw floor: one SQL read of the same
  cash lines joined to their entries, ordered by date and fetched to Python,
  plus the opening-balance sum. The answer is checked against what was posted.
- repayments: N sequential `POST /v1/loans/{id}/repayments` (1,000 VND each,
  round-robin over enough loans that none is overpaid) through the finance app,
  against N sequential `POST /v1/clubs/{id}/members` through the registry app on
  the same kind of database, in alternating chunks so that machine noise falls
  on both alike. Then cProfile over more repayments, run in the app's own event
  loop thread, top 15 by cumulative time.

    uv run python -m bench.finance --database both
    uv run python -m bench.finance --only statement --database postgresql
    uv run python -m bench.finance --only repayments --count 1000 --profile-count 300
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import httpx
import redis
import typer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Date, bindparam, event, insert, text
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp

from bench.common import REDIS, drop, new_database
from ishc_contracts.registry_events import ActivityArea
from ishc_finance.app import create_app as finance_app
from ishc_finance.domain.money import add_months
from ishc_platform.auth import Role, issue_token
from ishc_platform.clock import today
from ishc_platform.db import make_sync_engine
from ishc_platform.directory import DirectoryClub, DirectoryMember
from ishc_platform.settings import Settings
from ishc_registry.app import create_app as registry_app

app = typer.Typer(add_completion=False)
SECRET = "b" * 48
PROVINCE = "86"  # Vĩnh Long
COMMUNE = "29623"  # Xã Nhơn Phú
TOKEN = {
    "Authorization": "Bearer "
    + issue_token(SECRET, sub="bench", role=Role.PROVINCE, provinces=[PROVINCE])
}
REGULATION = {
    "rate_min": "0.007",
    "rate_max": "0.009",
    "fee_min_vnd": 3000,
    "fee_max_vnd": 5000,
    "max_loan_vnd": 20_000_000,
    "max_term_months": 24,
    "methods": ["flat", "declining_equal_principal"],
    "rounding_unit_vnd": 1000,
}
AREAS = [a.value for a in ActivityArea]


class RouteFailed(RuntimeError):
    """A route answered something other than what the benchmark expects."""


def quantile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def call(
    client: TestClient,
    method: str,
    path: str,
    expected: int,
    *,
    body: dict[str, Any] | None = None,
    params: dict[str, str] | None = None,
) -> Any:
    reply = client.request(method, path, json=body, params=params, headers=TOKEN)
    if reply.status_code != expected:
        raise RouteFailed(
            f"{method} {path} {body or params or ''} answered {reply.status_code} "
            f"(expected {expected}): {reply.text[:800]}"
        )
    return reply.json()


@contextmanager
def running(create: Callable[[Settings], FastAPI], url: str) -> Iterator[TestClient]:
    """An app on `url` in-process, rate limiting off, with its own streams
    (removed afterwards)."""
    prefix = f"bench.{uuid.uuid4().hex[:8]}."
    settings = Settings(
        database_url=url,
        jwt_secrets=SECRET,
        stream_prefix=prefix,
        log_level="WARNING",
        rate_limit_per_minute=0,
    )
    try:
        with TestClient(create(settings)) as client:
            yield client
    finally:
        r = redis.Redis.from_url(REDIS)
        keys = r.keys(f"{prefix}*")
        if keys:
            r.delete(*keys)
        r.close()


@dataclass
class Club:
    club_id: str
    members: list[str]
    income: str
    activity: str


def directory(url: str, founded_on: date, members: int) -> tuple[str, list[str]]:
    """A club and its members in finance's directory, as the registry's events put them."""
    club_id = str(uuid.uuid4())
    member_ids = [str(uuid.uuid4()) for _ in range(members)]
    engine = make_sync_engine(url)
    with engine.begin() as conn:
        conn.execute(
            insert(DirectoryClub),
            [
                {
                    "club_id": club_id,
                    "province": PROVINCE,
                    "commune_code": COMMUNE,
                    "founded_on": founded_on,
                    "placement_sequence": 1,
                    "dissolved_on": None,
                    "status_sequence": 0,
                }
            ],
        )
        conn.execute(
            insert(DirectoryMember),
            [
                {
                    "member_id": member_id,
                    "club_id": club_id,
                    "province": PROVINCE,
                    "joined_on": founded_on,
                    "is_volunteer": n % 10 == 0,
                    "facts_sequence": 1,
                    "left_on": None,
                    "status_sequence": 0,
                }
                for n, member_id in enumerate(member_ids)
            ],
        )
    engine.dispose()
    return club_id, member_ids


def club_with_funds(
    client: TestClient, url: str, founded_on: date, opened_on: date, members: int
) -> Club:
    club_id, member_ids = directory(url, founded_on, members)
    call(
        client,
        "POST",
        f"/v1/clubs/{club_id}/regulations",
        201,
        body={**REGULATION, "effective_on": opened_on.isoformat()},
    )
    funds = {
        kind: call(
            client,
            "POST",
            f"/v1/clubs/{club_id}/funds",
            201,
            body={"kind": kind, "opened_on": opened_on.isoformat()},
        )["id"]
        for kind in ("income", "activity")
    }
    return Club(club_id, member_ids, funds["income"], funds["activity"])


# -- the statement over ten years -------------------------------------------------------


@dataclass
class Posted:
    """What the seeding posted to the activity fund's cash, to check the statement by."""

    requests: int = 0
    inflow: int = 0
    outflow: int = 0
    entries: int = 0
    kinds: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def cash(self, kind: str, amount: int) -> None:
        self.entries += 1
        self.kinds[kind] += 1
        if amount > 0:
            self.inflow += amount
        else:
            self.outflow -= amount


def seed_years(client: TestClient, club: Club, opened_on: date, years: int) -> Posted:
    """Ten years of monthly operations through the API, in date order."""
    posted = Posted()
    last = today()
    due: dict[date, list[tuple[str, int, int]]] = defaultdict(list)  # loan, amount, interest

    def post(path: str, body: dict[str, Any]) -> Any:
        posted.requests += 1
        return call(client, "POST", path, 201, body=body)

    for m in range(12 * years):
        month = add_months(opened_on, m)
        if month > last:
            break
        # the 1st: contributions into both funds (a large first one to lend from)
        post(
            f"/v1/funds/{club.income}/contributions",
            {"source": "state_budget", "amount_vnd": 100_000_000 if m == 0 else 2_000_000,
             "received_on": month.isoformat()},
        )  # fmt: skip
        post(
            f"/v1/funds/{club.activity}/contributions",
            {"source": "golden_heart_book", "amount_vnd": 500_000,
             "received_on": month.isoformat()},
        )  # fmt: skip
        posted.cash("contribution", 500_000)
        # the 3rd: the instalments due, then a new 12-month loan
        on = month.replace(day=3)
        if on <= last:
            for loan_id, amount, interest in due.pop(on, []):
                post(
                    f"/v1/loans/{loan_id}/repayments",
                    {"amount_vnd": amount, "paid_on": on.isoformat()},
                )
                posted.cash("interest", interest)
            loan = post(
                f"/v1/funds/{club.income}/loans",
                {"member_id": club.members[m % len(club.members)], "principal_vnd": 6_000_000,
                 "monthly_rate": "0.008", "term_months": 12,
                 "method": "declining_equal_principal", "disbursed_on": on.isoformat()},
            )  # fmt: skip
            for instalment in loan["schedule"]:
                due[date.fromisoformat(instalment["due_on"])].append(
                    (loan["id"], instalment["amount_vnd"], instalment["interest_vnd"])
                )
        # the 5th: every member's fee for the month
        on = month.replace(day=5)
        if on <= last:
            for n, member_id in enumerate(club.members):
                amount = 3000 + 1000 * (n % 3)
                post(
                    f"/v1/funds/{club.activity}/fees",
                    {"member_id": member_id, "month": f"{month:%Y-%m}", "amount_vnd": amount,
                     "paid_on": on.isoformat()},
                )  # fmt: skip
                posted.cash("fee", amount)
        # the 15th and the 25th: an expense each
        for d in (15, 25):
            on = month.replace(day=d)
            if on <= last:
                amount = 150_000 + 10_000 * (m % 5)
                post(
                    f"/v1/funds/{club.activity}/expenses",
                    {"amount_vnd": amount, "purpose": f"Hoạt động tháng {month:%m/%Y}",
                     "area": AREAS[(m + d) % len(AREAS)], "spent_on": on.isoformat()},
                )  # fmt: skip
                posted.cash("expense", -amount)
    return posted


RAW_LINES = text(
    "SELECT l.id, l.entry_on, l.account, l.amount_vnd, e.kind, e.reference_id"
    " FROM ledger_line l JOIN ledger_entry e ON e.id = l.entry_id"
    " WHERE l.fund_id = :fund AND l.account IN ('cash', 'goods_in_kind')"
    " AND l.entry_on >= :start AND l.entry_on <= :end"
    " ORDER BY l.entry_on, l.id"
).bindparams(bindparam("start", type_=Date()), bindparam("end", type_=Date()))
RAW_OPENING = text(
    "SELECT coalesce(sum(amount_vnd), 0) FROM ledger_line"
    " WHERE fund_id = :fund AND account = 'cash' AND entry_on < :start"
).bindparams(bindparam("start", type_=Date()))


def raw_statement(
    url: str, fund_id: str, start: date, end: date, repeat: int
) -> tuple[list[float], int]:
    """The raw floor: the same lines and the opening sum, on one held connection (ms)."""
    engine = make_sync_engine(url)
    times = []
    rows: list[Any] = []
    with engine.connect() as conn:
        for n in range(repeat + 1):
            started = time.perf_counter()
            conn.execute(RAW_OPENING, {"fund": fund_id, "start": start}).scalar_one()
            rows = list(
                conn.execute(RAW_LINES, {"fund": fund_id, "start": start, "end": end}).all()
            )
            if n:  # the first is the warm-up
                times.append((time.perf_counter() - started) * 1000)
    engine.dispose()
    return times, len(rows)


def check_statement(
    client: TestClient, club: Club, answer: dict[str, Any], posted: Posted, raw_rows: int, end: date
) -> list[str]:
    """What is wrong with the statement's answer (empty: nothing)."""
    problems = []
    entries = answer["entries"]
    if len(entries) != posted.entries:
        problems.append(f"{len(entries)} entries, {posted.entries} posted")
    if len(entries) != raw_rows:
        problems.append(f"{len(entries)} entries, {raw_rows} cash lines in the ledger")
    if answer["opening_balance_vnd"] != 0:
        problems.append(f"opening balance {answer['opening_balance_vnd']}, expected 0")
    if answer["total_inflow_vnd"] != posted.inflow:
        problems.append(f"inflow {answer['total_inflow_vnd']}, posted {posted.inflow}")
    if answer["total_outflow_vnd"] != posted.outflow:
        problems.append(f"outflow {answer['total_outflow_vnd']}, posted {posted.outflow}")
    kinds: dict[str, int] = defaultdict(int)
    for e in entries:
        kinds[e["kind"]] += 1
    if dict(kinds) != dict(posted.kinds):
        problems.append(f"kinds {dict(kinds)}, posted {dict(posted.kinds)}")
    fund = call(client, "GET", f"/v1/funds/{club.activity}", 200, params={"as_of": end.isoformat()})
    cash = fund["balances"]["cash_vnd"]
    if answer["closing_balance_vnd"] != cash or cash != posted.inflow - posted.outflow:
        problems.append(
            f"closing {answer['closing_balance_vnd']}, fund's cash {cash}, "
            f"posted {posted.inflow - posted.outflow}"
        )
    if entries and entries[-1]["balance_vnd"] != answer["closing_balance_vnd"]:
        problems.append(f"last running balance {entries[-1]['balance_vnd']} is not the closing")
    if fund["trial_balance_vnd"] != 0:
        problems.append(f"trial balance {fund['trial_balance_vnd']}")
    return problems


def bench_statement(
    kind: str, scratch: Path, years: int, members: int, repeat: int
) -> dict[str, Any]:
    url, pg_name = new_database(kind, scratch)
    end = today()
    opened_on = add_months(end.replace(day=1), 1 - 12 * years)
    try:
        with running(finance_app, url) as client:
            club = club_with_funds(client, url, add_months(opened_on, -12), opened_on, members)
            started = time.perf_counter()
            posted = seed_years(client, club, opened_on, years)
            seeded = time.perf_counter() - started
            print(
                f"{kind}: seeded {posted.requests:,} requests in {seeded:.0f} s "
                f"({posted.requests / seeded:.0f}/s); the activity fund has "
                f"{posted.entries:,} cash entries"
            )
            path = f"/v1/funds/{club.activity}/statement"
            params = {"from": opened_on.isoformat(), "to": end.isoformat(), "format": "json"}
            answer = call(client, "GET", path, 200, params=params)  # warm-up
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                reply = client.get(path, params=params, headers=TOKEN)
                times.append((time.perf_counter() - started) * 1000)
                if reply.status_code != 200:
                    raise RouteFailed(
                        f"GET {path} answered {reply.status_code}: {reply.text[:800]}"
                    )
            raw, raw_rows = raw_statement(url, club.activity, opened_on, end, repeat)
            problems = check_statement(client, club, answer, posted, raw_rows, end)
    finally:
        drop(pg_name)
    p50 = statistics.median(times)
    return {
        "figure": "statement",
        "database": kind,
        "entries": len(answer["entries"]),
        "seed_requests": posted.requests,
        "seed_s": seeded,
        "statement_p50_ms": p50,
        "statement_p95_ms": quantile(times, 95),
        "raw_p50_ms": statistics.median(raw),
        "raw_p95_ms": quantile(raw, 95),
        "ratio_p50_to_raw": p50 / statistics.median(raw),
        "wrong": problems,
    }


# -- repayments against member joins ------------------------------------------------------


class StatementCounter:
    """SQL statements sent per database (the relay's included), from every engine,
    and the time from sending each to its answer (with the async drivers, the
    event loop may run another task in between; the requests here are sequential)."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = defaultdict(int)
        self.seconds: dict[str, float] = defaultdict(float)

    def before(self, conn: Any, *_: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def after(self, conn: Any, *_: Any) -> None:
        started = conn.info.pop("bench_started", None)
        if started is None:  # sent before the listener was on
            return
        database = str(conn.engine.url.database)
        self.counts[database] += 1
        self.seconds[database] += time.perf_counter() - started

    @contextmanager
    def listening(self) -> Iterator[None]:
        event.listen(Engine, "before_cursor_execute", self.before)
        event.listen(Engine, "after_cursor_execute", self.after)
        try:
            yield
        finally:
            event.remove(Engine, "before_cursor_execute", self.before)
            event.remove(Engine, "after_cursor_execute", self.after)


def database_of(url: str) -> str:
    return (
        url.rsplit("/", 1)[-1] if url.startswith("postgresql") else url.removeprefix("sqlite:///")
    )


async def repay_in_loop(
    fin: ASGIApp, loans: list[str], start: int, count: int, paid_on: str
) -> None:
    """Repayments posted from inside the app's event loop (for the profile)."""
    transport = httpx.ASGITransport(app=fin)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        for n in range(start, start + count):
            reply = await http.post(
                f"/v1/loans/{loans[n % len(loans)]}/repayments",
                json={"amount_vnd": 1000, "paid_on": paid_on},
                headers=TOKEN,
            )
            if reply.status_code != 201:
                raise RouteFailed(f"repayment {n} answered {reply.status_code}: {reply.text[:800]}")


def bench_repayments(
    kind: str, scratch: Path, count: int, loans: int, chunk: int, profile_count: int
) -> tuple[dict[str, Any], str]:
    f_url, f_pg = new_database(kind, scratch)
    r_url, r_pg = new_database(kind, scratch)
    paid_on = today().isoformat()
    counter = StatementCounter()
    profile_text = ""
    try:
        with running(finance_app, f_url) as fin, running(registry_app, r_url) as reg:
            opened_on = add_months(today().replace(day=1), -10)
            club = club_with_funds(fin, f_url, add_months(opened_on, -12), opened_on, 30)
            call(
                fin,
                "POST",
                f"/v1/funds/{club.income}/contributions",
                201,
                body={"source": "state_budget", "amount_vnd": 1_000_000_000,
                      "received_on": opened_on.isoformat()},
            )  # fmt: skip
            loan_ids = [
                call(
                    fin,
                    "POST",
                    f"/v1/funds/{club.income}/loans",
                    201,
                    body={"member_id": club.members[n % 30], "principal_vnd": 10_000_000,
                          "monthly_rate": "0.008", "term_months": 12, "method": "flat",
                          "disbursed_on": opened_on.isoformat()},
                )["id"]
                for n in range(loans)
            ]  # fmt: skip
            reg_club = call(
                reg,
                "POST",
                "/v1/clubs",
                201,
                body={"name": "CLB Bench", "commune_code": COMMUNE, "founded_on": "2020-01-01"},
            )["id"]
            repaid = 0
            joined = 0

            def repay(n: int) -> None:
                nonlocal repaid
                for _ in range(n):
                    path = f"/v1/loans/{loan_ids[repaid % loans]}/repayments"
                    reply = fin.post(
                        path,
                        json={"amount_vnd": 1000, "paid_on": paid_on},
                        headers=TOKEN,
                    )
                    if reply.status_code != 201:
                        raise RouteFailed(
                            f"POST {path} (repayment {repaid}) answered {reply.status_code}: "
                            f"{reply.text[:800]}"
                        )
                    repaid += 1

            def join(n: int) -> None:
                nonlocal joined
                for _ in range(n):
                    reply = reg.post(
                        f"/v1/clubs/{reg_club}/members",
                        json={"full_name": f"Thành viên số {joined}", "sex": "female",
                              "birth_year": 1940 + joined % 50, "poverty_status": "poor",
                              "joined_on": "2021-01-01"},
                        headers=TOKEN,
                    )  # fmt: skip
                    if reply.status_code != 201:
                        raise RouteFailed(
                            f"POST /v1/clubs/{reg_club}/members (join {joined}) answered "
                            f"{reply.status_code}: {reply.text[:800]}"
                        )
                    joined += 1

            repay(20)  # warm-up, both sides alike
            join(20)
            repay_s = join_s = repay_cpu = join_cpu = 0.0
            with counter.listening():
                done = 0
                while done < count:
                    step = min(chunk, count - done)
                    started, cpu = time.perf_counter(), time.process_time()
                    repay(step)
                    repay_s += time.perf_counter() - started
                    repay_cpu += time.process_time() - cpu
                    started, cpu = time.perf_counter(), time.process_time()
                    join(step)
                    join_s += time.perf_counter() - started
                    join_cpu += time.process_time() - cpu
                    done += step
            # what the first loan shows paid: every 1,000 VND sent to it
            sent = 1000 * len(range(0, repaid, loans))
            loan = call(fin, "GET", f"/v1/loans/{loan_ids[0]}", 200)
            shown = sum(i["principal_paid_vnd"] + i["interest_paid_vnd"] for i in loan["schedule"])
            problems = [] if shown == sent else [f"loan 0 shows {shown} VND paid, {sent} sent"]
            if profile_count:
                profiler = cProfile.Profile()

                async def profiled() -> None:
                    profiler.enable()
                    try:
                        await repay_in_loop(fin.app, loan_ids, repaid, profile_count, paid_on)
                    finally:
                        profiler.disable()

                assert fin.portal is not None
                fin.portal.call(profiled)
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out)
                # asyncio and greenlets blur cumulative times (a coroutine's time
                # counts per resumption): the app's own functions, then self time.
                stats.sort_stats("cumulative").print_stats(15)
                stats.sort_stats("cumulative").print_stats(r"ishc_", 15)
                stats.sort_stats("tottime").print_stats(15)
                profile_text = out.getvalue()
    finally:
        drop(f_pg)
        drop(r_pg)
    repayments_per_s = count / repay_s
    joins_per_s = count / join_s
    return {
        "figure": "repayments",
        "database": kind,
        "count": count,
        "loans": loans,
        "repayments_per_s": repayments_per_s,
        "joins_per_s": joins_per_s,
        "ratio_repayments_to_joins": repayments_per_s / joins_per_s,
        # this process's CPU (client, app and relay) per request, against its wall time
        "cpu_ms_per_repayment": repay_cpu * 1000 / count,
        "wall_ms_per_repayment": repay_s * 1000 / count,
        "cpu_ms_per_join": join_cpu * 1000 / count,
        "wall_ms_per_join": join_s * 1000 / count,
        "sql_per_repayment": counter.counts[database_of(f_url)] / count,
        "sql_per_join": counter.counts[database_of(r_url)] / count,
        "sql_ms_per_repayment": counter.seconds[database_of(f_url)] * 1000 / count,
        "sql_ms_per_join": counter.seconds[database_of(r_url)] * 1000 / count,
        "wrong": problems,
    }, profile_text


@app.command()
def main(
    only: Annotated[str, typer.Option(help="statement, repayments or all")] = "all",
    database: Annotated[str, typer.Option(help="sqlite, postgresql or both")] = "both",
    years: Annotated[int, typer.Option(help="years of monthly operations")] = 10,
    members: Annotated[int, typer.Option(help="members paying a fee every month")] = 30,
    repeat: Annotated[int, typer.Option(help="statement requests timed")] = 20,
    count: Annotated[int, typer.Option(help="repayments, and member joins")] = 1000,
    loans: Annotated[int, typer.Option(help="loans the repayments go round")] = 50,
    chunk: Annotated[int, typer.Option(help="repayments, then joins, this many at a time")] = 100,
    profile_count: Annotated[int, typer.Option(help="repayments profiled (0: none)")] = 300,
) -> None:
    if only not in ("statement", "repayments", "all"):
        raise typer.BadParameter("statement, repayments or all", param_hint="--only")
    kinds = ["sqlite", "postgresql"] if database == "both" else [database]
    results: list[dict[str, Any]] = []
    profiles: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for kind in kinds:
            if only in ("statement", "all"):
                results.append(bench_statement(kind, Path(scratch), years, members, repeat))
            if only in ("repayments", "all"):
                row, profile = bench_repayments(
                    kind, Path(scratch), count, loans, chunk, profile_count
                )
                results.append(row)
                profiles[kind] = profile
    for row in results:
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}))
    for kind, profile in profiles.items():
        if profile:
            print(f"\n-- cProfile, {profile_count} repayments on {kind} (in the app's loop) --")
            print(profile)
    out = Path("bench/out")
    out.mkdir(parents=True, exist_ok=True)
    stamp = int(time.time())
    (out / f"finance-{only}-{stamp}.json").write_text(json.dumps(results, indent=2))
    for kind, profile in profiles.items():
        if profile:
            (out / f"finance-profile-{kind}-{stamp}.txt").write_text(profile)


if __name__ == "__main__":
    app()
