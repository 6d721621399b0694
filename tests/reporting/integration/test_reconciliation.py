"""`ishc-reporting reconcile` against the registry, finance, health and reporting
running as real processes on one Redis, on SQLite and on PostgreSQL:

- what the sources hold and what reporting projected agree: exit 0, no
  difference, every tally of every service compared (and the totals are the
  ones loaded, so the tallies count something);
- a projection row removed (a meeting lost) or doubled (a contribution counted
  twice), by tampering with reporting's database: exit 1 naming the service,
  the club, its province and the tally, at the club and the province level;
  put back, exit 0 again;
- a source down, or refusing the token: exit 2 naming it and why.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import redis
from sqlalchemy import text
from typer.testing import CliRunner

from ishc_platform.auth import Role, issue_token
from ishc_platform.db import make_sync_engine
from ishc_reporting.cli import app as cli
from tests.helpers.e2e import wait_for
from tests.helpers.services import ServiceProcess, free_port

# The first test of each database also starts four services and loads six clubs.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(420)]
SECRET = "q" * 48
SOURCES = ("registry", "finance", "health")
VINH_LONG, DONG_NAI = "86", "75"
COMMUNES = {VINH_LONG: ["29623", "29410"], DONG_NAI: ["25195"]}
CLUBS_PER_COMMUNE = 2  # so 6 clubs: 4 in Vĩnh Long, 2 in Đồng Nai


def token(role: Role, *provinces: str) -> str:
    return issue_token(SECRET, sub="reconcile-test", role=role, provinces=provinces)


OPS = token(Role.OPS)


@dataclass
class Platform:
    urls: dict[str, str]
    reporting_db: str
    clubs: dict[str, str] = field(default_factory=dict)  # club id -> province
    # what was loaded, to check the totals the tallies report
    loaded: dict[str, int] = field(default_factory=dict)

    def args(self, *extra: str, token: str = OPS, **urls: str) -> list[str]:
        chosen = {**self.urls, **urls}
        sources = [a for name in SOURCES for a in (f"--{name}", chosen[name])]
        return ["reconcile", *sources, "--token", token, *extra]

    def run(self, *extra: str, **urls: str) -> tuple[int, str]:
        """The command in-process (exit code, output)."""
        reply = CliRunner().invoke(
            cli,
            self.args(*extra, **urls),
            env={"ISHC_DATABASE_URL": self.reporting_db, "COLUMNS": "250"},
        )
        if reply.exception and not isinstance(reply.exception, SystemExit):
            raise reply.exception
        return reply.exit_code, reply.output

    def run_json(self, *extra: str, **urls: str) -> tuple[int, dict[str, Any]]:
        code, output = self.run("--json", *extra, **urls)
        return code, json.loads(output)

    def tamper(self, statement: str, **params: Any) -> None:
        engine = make_sync_engine(self.reporting_db)
        try:
            with engine.begin() as connection:
                connection.execute(text(statement), params)
        finally:
            engine.dispose()

    def rows(self, query: str, **params: Any) -> list[Any]:
        engine = make_sync_engine(self.reporting_db)
        try:
            with engine.connect() as connection:
                return list(connection.execute(text(query), params).all())
        finally:
            engine.dispose()


@contextmanager
def databases(request: pytest.FixtureRequest, tmp: Path) -> Iterator[dict[str, str]]:
    """A database per service: SQLite files, or fresh PostgreSQL databases."""
    services = (*SOURCES, "reporting")
    if request.param == "sqlite":
        yield {name: f"sqlite:///{tmp}/{name}.db" for name in services}
        return
    admin = str(request.getfixturevalue("postgres_admin_url"))
    names = {name: f"ishc_reconcile_{name}_{uuid.uuid4().hex[:8]}" for name in services}
    with psycopg.connect(admin, autocommit=True) as conn:
        for database in names.values():
            conn.execute(f'CREATE DATABASE "{database}"')
    base = admin.rsplit("/", 1)[0]
    try:
        yield {name: f"{base}/{database}" for name, database in names.items()}
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for database in names.values():
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def platform(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, redis_url: str
) -> Iterator[Platform]:
    tmp = tmp_path_factory.mktemp("reconcile")
    env = {
        "ISHC_JWT_SECRETS": SECRET,
        "ISHC_REDIS_URL": redis_url,
        "ISHC_STREAM_PREFIX": f"reconcile.{uuid.uuid4().hex[:8]}.",
        "ISHC_RELAY_POLL_SECONDS": "5",
        "ISHC_CONSUMER_BLOCK_MS": "100",
        "ISHC_LOG_JSON": "false",
    }
    started: list[ServiceProcess] = []
    with databases(request, tmp) as urls:
        try:
            for name in (*SOURCES, "reporting"):
                process = ServiceProcess(
                    name, {**env, "ISHC_DATABASE_URL": urls[name]}, tmp / f"{name}.log"
                )
                process.start(timeout=90)
                started.append(process)
            platform = Platform({p.name: p.url for p in started[:3]}, urls["reporting"])
            load(platform)
            began = time.monotonic()
            code, result = platform.run_json("--wait", "120")
            print(
                f"[{request.param}] reporting converged and reconciled {len(platform.clubs)} "
                f"clubs in {time.monotonic() - began:.1f}s ({result['attempts']} checks)"
            )
            assert code == 0, json.dumps(result, indent=1)[:3000]
            yield platform
        finally:
            for process in reversed(started):
                process.stop()
            _drop_streams(redis_url, env["ISHC_STREAM_PREFIX"])


def _drop_streams(redis_url: str, prefix: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        if keys := client.keys(f"{prefix}*"):
            client.delete(*keys)
    finally:
        client.close()


def load(platform: Platform) -> None:
    """Six clubs over two provinces, each with something of every tally."""
    http = {name: httpx.Client(base_url=url, timeout=30) for name, url in platform.urls.items()}
    loaded = dict.fromkeys(
        ("members", "meetings", "contributions_vnd", "loans", "health_checks", "reversals"), 0
    )
    for province, communes in COMMUNES.items():
        headers = {"Authorization": f"Bearer {token(Role.PROVINCE, province)}"}

        def post(service: str, path: str, body: dict[str, Any], headers: Any = headers) -> Any:
            reply = http[service].post(path, json=body, headers=headers)
            assert reply.status_code in (200, 201), reply.text
            return reply.json()

        def status(service: str, path: str, body: dict[str, Any], headers: Any = headers) -> int:
            return http[service].post(path, json=body, headers=headers).status_code

        for n, commune in enumerate(c for c in communes for _ in range(CLUBS_PER_COMMUNE)):
            club = post("registry", "/v1/clubs", {
                "name": f"CLB {commune}-{n}", "commune_code": commune, "founded_on": "2025-01-01",
            })["id"]  # fmt: skip
            platform.clubs[club] = province
            members = [
                post("registry", f"/v1/clubs/{club}/members", {
                    "full_name": f"Hội viên {k}", "sex": "female", "birth_year": 1950,
                    "poverty_status": "poor", "joined_on": "2025-01-01", "is_volunteer": k == 0,
                })["id"]
                for k in range(3)
            ]  # fmt: skip
            post("registry", f"/v1/members/{members[2]}/leave", {"left_on": "2026-06-30"})
            post("registry", f"/v1/clubs/{club}/meetings", {
                "held_on": "2026-05-15", "attendance": 3 + n, "hardship_cases_chosen": 1,
                "hardship_cases_supported": 1,
            })  # fmt: skip
            post("registry", f"/v1/clubs/{club}/activities",
                 {"area": "rights", "held_on": "2026-05-20", "participants": 4})  # fmt: skip
            loaded["members"] += 3
            loaded["meetings"] += 1

            regulation = {
                "effective_on": "2025-01-01", "rate_min": "0.006", "rate_max": "0.010",
                "fee_min_vnd": 2000, "fee_max_vnd": 5000, "max_loan_vnd": 20_000_000,
                "max_term_months": 24, "rounding_unit_vnd": 1000, "methods": ["flat"],
            }  # fmt: skip
            # Finance knows the club once the registry's events have reached it.
            assert wait_for(
                partial(status, "finance", f"/v1/clubs/{club}/regulations", regulation), 201, 30
            ) == 201  # fmt: skip
            income = post("finance", f"/v1/clubs/{club}/funds",
                          {"kind": "income", "opened_on": "2025-01-01"})["id"]  # fmt: skip
            activity = post("finance", f"/v1/clubs/{club}/funds",
                            {"kind": "activity", "opened_on": "2025-01-01"})["id"]  # fmt: skip
            for fund, amount in ((income, 30_000_000 + n), (activity, 2_000_000)):
                gift = {"source": "state_budget", "amount_vnd": amount, "received_on": "2026-01-05"}
                post("finance", f"/v1/funds/{fund}/contributions", gift)
                loaded["contributions_vnd"] += amount
            loan_body = {
                "member_id": members[1], "principal_vnd": 5_000_000, "monthly_rate": "0.008",
                "term_months": 12, "method": "flat", "disbursed_on": "2026-02-10",
            }  # fmt: skip
            loan_path = f"/v1/funds/{income}/loans"
            assert wait_for(partial(status, "finance", loan_path, loan_body), 201, 30) == 201
            loan = http["finance"].get(loan_path, headers=headers).json()["items"][0]["id"]
            post("finance", f"/v1/loans/{loan}/repayments",
                 {"amount_vnd": 500_000, "paid_on": "2026-03-10"})  # fmt: skip
            loaded["loans"] += 1
            post("finance", f"/v1/funds/{activity}/fees", {
                "member_id": members[0], "month": "2026-03", "amount_vnd": 3000,
                "paid_on": "2026-03-05",
            })  # fmt: skip
            expense = post("finance", f"/v1/funds/{activity}/expenses", {
                "amount_vnd": 450_000, "purpose": "Thăm hỏi hội viên ốm", "area": "home_care",
                "spent_on": "2026-03-12",
            })["id"]  # fmt: skip
            undo = {"reversed_id": expense, "reason": "Ghi trùng", "reversed_on": "2026-03-20"}
            post("finance", f"/v1/funds/{activity}/reversals", undo)
            loaded["reversals"] += 1

            consent = {"given_on": "2025-01-01", "purpose": "Khám sức khỏe định kỳ",
                       "scopes": ["health_checks", "home_care"]}  # fmt: skip
            consent_path = f"/v1/members/{members[0]}/consent"
            assert wait_for(partial(status, "health", consent_path, consent), 201, 30) == 201
            post("health", f"/v1/members/{members[0]}/health-checks",
                 {"checked_on": "2026-04-10", "checker": "station"})  # fmt: skip
            loaded["health_checks"] += 1
            post("health", f"/v1/clubs/{club}/exercise-sessions",
                 {"held_on": "2026-06-01", "participants": 3})  # fmt: skip
            post("health", f"/v1/clubs/{club}/home-care-visits", {
                "volunteer_id": members[0], "beneficiary": "community",
                "community_person": {"name": "Trần Thị Bích"}, "visited_on": "2026-07-15",
                "tasks": ["talking"],
            })  # fmt: skip
            post("health", f"/v1/members/{members[0]}/insurance",
                 {"valid_from": "2026-01-01", "valid_to": "2026-12-31"})  # fmt: skip
    platform.loaded = loaded
    for client in http.values():
        client.close()


def test_sources_and_projections_agree(platform: Platform) -> None:
    """The exact command the fault-injection run calls: the console script, with
    reporting's database from ISHC_DATABASE_URL, exit 0 and its JSON."""
    command = [str(Path(sys.executable).with_name("ishc-reporting")), *platform.args("--json")]
    began = time.monotonic()
    reply = subprocess.run(
        command,
        env={**os.environ, "ISHC_DATABASE_URL": platform.reporting_db},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    elapsed = time.monotonic() - began
    assert reply.returncode == 0, reply.stdout + reply.stderr
    result = json.loads(reply.stdout)
    print(
        f"reconciled {len(platform.clubs)} clubs in {result['seconds']:.2f}s "
        f"({elapsed:.1f}s with the process's start)"
    )
    assert result["result"] == "equal" and result["differences"] == []
    assert result["unreadable"] == []
    services = result["services"]
    assert set(services) == set(SOURCES)
    assert len(services["registry"]["tallies"]) == 9
    assert len(services["finance"]["tallies"]) == 16
    assert len(services["health"]["tallies"]) == 5
    # The tallies count what was loaded (so an equal result is not two zeros).
    assert services["registry"]["clubs"] == len(platform.clubs) == 6
    totals = {**services["registry"]["source_totals"], **services["finance"]["source_totals"],
              **services["health"]["source_totals"]}  # fmt: skip
    for name, value in platform.loaded.items():
        assert totals[name] == value, name
    assert totals["members_active"] == 12 and totals["exercise_participants"] == 18
    for service in services.values():
        assert service["source_totals"] == service["projected_totals"]

    # Human output: no difference, the counts compared.
    code, output = platform.run()
    assert code == 0, output
    assert "no difference: 18 club tallies" in output  # 6 clubs x 3 services
    assert "contributions_vnd" in output


def test_one_province_only(platform: Platform) -> None:
    code, result = platform.run_json("--province", DONG_NAI)
    assert code == 0, result
    assert result["province"] == DONG_NAI
    assert result["services"]["registry"]["clubs"] == 2
    assert result["services"]["registry"]["source_totals"]["members"] == 6


def test_a_projection_row_removed_is_a_difference(platform: Platform) -> None:
    club = next(c for c, p in platform.clubs.items() if p == VINH_LONG)
    [(meeting_id, attendance, held_on, chosen, supported)] = platform.rows(
        "SELECT meeting_id, attendance, held_on, hardship_cases_chosen, "
        "hardship_cases_supported FROM meeting_fact WHERE club_id = :club",
        club=club,
    )
    platform.tamper("DELETE FROM meeting_fact WHERE meeting_id = :id", id=meeting_id)
    try:
        code, result = platform.run_json()
        assert code == 1, result
        assert result["result"] == "different"
        found = {
            (d["service"], d["level"], d["club_id"], d["province"], d["tally"]): d["source"]
            - d["projected"]
            for d in result["differences"]
        }
        assert found == {
            ("registry", level, club_id, VINH_LONG, tally): lost
            for level, club_id in (("club", club), ("province", None))
            for tally, lost in (
                ("meetings", 1),
                ("meeting_attendance", attendance),
                ("hardship_cases_supported", supported),
            )
        }
        # The table a person reads names the club, its province and the tally.
        code, output = platform.run()
        assert code == 1
        line = next(row for row in output.splitlines() if club in row and "meetings" in row)
        assert "registry" in line and VINH_LONG in line
    finally:
        platform.tamper(
            "INSERT INTO meeting_fact (meeting_id, club_id, held_on, attendance, "
            "hardship_cases_chosen, hardship_cases_supported) "
            "VALUES (:id, :club, :held_on, :attendance, :chosen, :supported)",
            id=meeting_id, club=club, held_on=held_on, attendance=attendance,
            chosen=chosen, supported=supported,
        )  # fmt: skip
    assert platform.run_json()[0] == 0  # put back, equal again


def test_a_projection_row_doubled_is_a_difference(platform: Platform) -> None:
    club = next(c for c, p in platform.clubs.items() if p == DONG_NAI)
    [(fund_id, amount, booked_on)] = platform.rows(
        "SELECT fund_id, amount, booked_on FROM money_flow "
        "WHERE club_id = :club AND kind = 'contribution' ORDER BY amount DESC LIMIT 1",
        club=club,
    )
    twin = str(uuid.uuid4())
    platform.tamper(
        "INSERT INTO money_flow (ref_id, fund_id, club_id, kind, counts_as, amount, booked_on) "
        "VALUES (:ref, :fund, :club, 'contribution', 'contribution', :amount, :on)",
        ref=twin, fund=fund_id, club=club, amount=amount, on=booked_on,
    )  # fmt: skip
    try:
        code, result = platform.run_json()
        assert code == 1, result
        club_level = [d for d in result["differences"] if d["level"] == "club"]
        assert sorted((d["tally"], d["projected"] - d["source"]) for d in club_level) == [
            ("contributions", 1),
            ("contributions_vnd", amount),
        ]
        assert {(d["service"], d["club_id"], d["province"]) for d in club_level} == {
            ("finance", club, DONG_NAI)
        }
        assert {d["province"] for d in result["differences"] if d["level"] == "province"} == {
            DONG_NAI
        }
    finally:
        platform.tamper("DELETE FROM money_flow WHERE ref_id = :ref", ref=twin)
    assert platform.run_json()[0] == 0


def test_a_source_down_or_refusing_is_exit_2_naming_it(platform: Platform) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    code, result = platform.run_json(health=down)
    assert code == 2, result
    assert result["result"] == "unreadable"
    [unreadable] = result["unreadable"]
    assert unreadable["service"] == "health" and unreadable["url"] == down
    assert "not answering" in unreadable["reason"]
    assert set(result["services"]) == {"registry", "finance"}  # the others still compared
    code, output = platform.run(health=down)
    assert code == 2 and f"cannot read health at {down}" in output

    # A token the sources refuse (a province's): each named, with the status.
    province = token(Role.PROVINCE, VINH_LONG)
    code, result = platform.run_json(token=province)
    assert code == 2, result
    assert {u["service"] for u in result["unreadable"]} == set(SOURCES)
    assert all(u["reason"].startswith("HTTP 403") for u in result["unreadable"])


def test_reportings_database_unreadable_is_exit_2(platform: Platform, tmp_path: Path) -> None:
    empty = f"sqlite:///{tmp_path}/empty.db"  # no tables: not reporting's database
    reply = CliRunner().invoke(cli, platform.args("--json"), env={"ISHC_DATABASE_URL": empty})
    assert reply.exit_code == 2, reply.output
    [unreadable] = json.loads(reply.output)["unreadable"]
    assert unreadable["service"] == "reporting"
