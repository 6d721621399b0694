"""The authorisation matrix of registry, finance and reporting, and of the
platform's operational routes of all four services: every route against every
kind of caller, on SQLite and PostgreSQL.

Callers: no token, an expired one, one with a wrong signature, ops, a service
(reporting's, `Role.SERVICE`), national, the province of the record (Vĩnh Long,
86) and another province (Đồng Nai, 75).

The routes come from each app's own route table, every entry of every kind
(`tests.helpers.routes.route_entries`: FastAPI's `APIRoute`s, and the plain
Starlette `Route`s, `Mount`s, `WebSocketRoute`s and the rest): each must have its
row in `MATRIX`, the one table (tests/security/matrix.py; health's own routes are
called by tests/health/integration/test_health_access_matrix.py), or be one of
`OPEN_BY_DESIGN` there, which answer without a token, each with its reason; every
row must be a route of its app. So a route added later, of whatever kind, fails
here until its row is written: no route escapes the matrix
(`test_a_route_of_another_kind_does_not_escape` adds some and sees them fail).

Each cell really calls its route about a record of Vĩnh Long that exists (made
through the service's API, or put in its directory as its consumer would), with
a valid body where the route takes one. A refused cell answers problem+json (a
dashboard page refused for its record answers its HTML error page) and leaves
every table as it was; the own province's cell succeeds. One app per service and
database serves every row (the rows that change a record make their own record).

Besides: the open routes answer without a token; the dashboard and the live feed
under ISHC_DASHBOARD_PUBLIC=false (`PRIVATE`), by bearer header and by the
sign-in's session cookie; another province's unfiltered collections leave Vĩnh
Long out; and the checks themselves can fail.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jwt
import psycopg
import pytest
import redis
from fastapi import APIRouter, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from fastapi.testclient import TestClient
from faststream.redis.parser import BinaryMessageFormatV1
from sqlalchemy import Engine, inspect, text
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.websockets import WebSocket

from ishc_contracts import Envelope, new_event_id
from ishc_contracts import registry_events as re_events
from ishc_platform.auth import ALGORITHM, Role, issue_token
from ishc_platform.clock import utcnow
from ishc_platform.db import make_sync_engine
from ishc_platform.settings import Settings
from ishc_platform.streams import dlq_name
from ishc_reporting.app import create_app as create_reporting
from tests.finance import conftest as finance_conf
from tests.finance.conftest import open_finance
from tests.finance.integration.loans_support import (
    Club,
    adopt_regulation,
    club_with_funds,
    lend,
    loan_body,
)
from tests.health import conftest as health_conf
from tests.health.conftest import open_health
from tests.helpers.hardening import Exchange, drive, drop_keys
from tests.helpers.routes import MOUNT, route_entries
from tests.registry import conftest as registry_conf
from tests.registry.conftest import open_registry
from tests.reporting.conftest import loaded_client
from tests.reporting.conftest import plan as plan_body
from tests.security.matrix import (
    CALLERS,
    CLUB,
    DASH,
    DEAD,
    FUND,
    LOAN,
    MATRIX,
    MEMBER,
    OPEN_BY_DESIGN,
    OPERATIONAL,
    PRIVATE,
    REDRIVE,
    REPORT,
    TALLIES,
    guarded,
    undeclared,
)

pytestmark = pytest.mark.integration

SERVICES = ("registry", "finance", "health", "reporting")
REPORTING_SECRET = "p" * 48
SECRETS = {
    "registry": registry_conf.SECRET,
    "finance": finance_conf.SECRET,
    "health": health_conf.SECRET,
    "reporting": REPORTING_SECRET,
}
"""Each service's tests sign with their own secret; the matrix reuses them, so it
reuses their helpers as they are."""

# -- callers -------------------------------------------------------------------------


def _signed(claims: dict[str, Any], secret: str) -> str:
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def tokens_of(secret: str) -> dict[str, str | None]:
    """Each caller's token for a service signing with `secret` (None: no token)."""
    now = int(utcnow().timestamp())
    hour = int(timedelta(hours=1).total_seconds())
    province = {"sub": "vinh-long-staff", "role": "province", "provinces": ["86"]}
    return {
        "none": None,
        "expired": _signed({**province, "iat": now - 2 * hour, "exp": now - 60}, secret),
        "forged": _signed({**province, "iat": now, "exp": now + hour}, "f0" * 24),
        "ops": issue_token(secret, sub="ops", role=Role.OPS),
        "service": issue_token(secret, sub="reporting", role=Role.SERVICE),
        "national": issue_token(secret, sub="vae", role=Role.NATIONAL),
        "own": issue_token(secret, sub="vinh-long-staff", role=Role.PROVINCE, provinces=["86"]),
        "other": issue_token(secret, sub="dong-nai-staff", role=Role.PROVINCE, provinces=["75"]),
    }


def bearer(token: str | None) -> dict[str, str]:
    return {} if token is None else {"Authorization": f"Bearer {token}"}


# -- one request of a cell -------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One request: the path filled in, its query, and its body (JSON, or a form
    with files). `token_field`: the caller's token goes in that form field
    instead of the header (the dashboard's sign-in). `stream`: a server-sent
    event stream, read until its first bytes, then hung up on."""

    path: str
    params: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    form: dict[str, str] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    token_field: str | None = None
    stream: bool = False


@dataclass
class Answer:
    status: int
    content_type: str
    body: bytes
    location: str = ""
    set_cookie: str = ""

    def problem(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


Calls = dict[tuple[str, str], Callable[[], Call]]


def app_of(client: TestClient) -> FastAPI:
    app: FastAPI = client.app  # type: ignore[assignment]
    return app


@dataclass
class World:
    """A service running on one database, with records of Vĩnh Long and how to
    call each of its routes about them."""

    service: str
    client: TestClient
    database_url: str
    calls: Calls
    engine: Engine = field(init=False)
    tables: list[str] = field(init=False)
    _digests: str = field(init=False)

    @property
    def app(self) -> FastAPI:
        return app_of(self.client)

    def send(self, method: str, call: Call, token: str | None) -> Answer:
        headers = dict(call.headers)
        form = dict(call.form) if call.form is not None else None
        if call.token_field is not None:
            form = form or {}
            if token is not None:
                form[call.token_field] = token
        else:
            headers.update(bearer(token))
        if call.stream:
            return self._stream(method, call, headers)
        reply = self.client.request(
            method,
            call.path,
            params=call.params,
            json=call.body,
            data=form,
            files=call.files,
            headers=headers,
            follow_redirects=False,
        )
        # A sign-in's cookie must not follow the next caller: each cell stands alone.
        self.client.cookies.clear()
        return Answer(
            reply.status_code,
            reply.headers.get("content-type", ""),
            reply.content,
            reply.headers.get("location", ""),
            reply.headers.get("set-cookie", ""),
        )

    def _stream(self, method: str, call: Call, headers: dict[str, str]) -> Answer:
        """The test client waits for a response's end, which an event stream never
        reaches: drive the app in its own loop, take the start and hang up."""

        async def exchange() -> Exchange:
            ex = Exchange()
            task = asyncio.create_task(
                drive(self.app, method, call.path, headers=headers, exchange=ex)
            )
            started = asyncio.create_task(ex.started.wait())
            done, _ = await asyncio.wait(
                {task, started}, timeout=10, return_when=asyncio.FIRST_COMPLETED
            )
            started.cancel()
            assert done, "no answer within 10 s"
            if ex.status == 200:  # a stream: wait for its first event, then leave
                for _ in range(100):
                    if ex.body:
                        break
                    await asyncio.sleep(0.02)
            ex.disconnect.set()
            await asyncio.wait_for(task, 10)
            return ex

        portal = self.client.portal
        assert portal is not None
        ex = portal.call(exchange)
        assert ex.status is not None
        return Answer(ex.status, ex.headers.get("content-type", ""), bytes(ex.body))

    def state(self) -> dict[str, str]:
        """What a refused request must leave as it was: every row of every table,
        as a digest per table. The outbox by event id only: the relay marks rows
        sent in the background. On PostgreSQL one statement reads them all."""
        with self.engine.connect() as connection:
            if self.engine.dialect.name == "postgresql":
                row = connection.execute(text(self._digests)).one()
                return dict(zip(self.tables, (str(v) for v in row), strict=True))
            snapshot: dict[str, str] = {}
            for table in self.tables:
                rows = connection.execute(text(f'SELECT {self._columns(table)} FROM "{table}"'))
                snapshot[table] = repr(sorted(repr(tuple(r)) for r in rows))
            return snapshot

    @staticmethod
    def _columns(table: str) -> str:
        return "event_id" if table == "outbox" else "*"

    def __post_init__(self) -> None:
        self.engine = make_sync_engine(self.database_url)
        with self.engine.connect() as connection:
            self.tables = sorted(inspect(connection).get_table_names())
        self._digests = "SELECT " + ", ".join(
            f"(SELECT md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) "
            f'FROM (SELECT {self._columns(t)} FROM "{t}") AS r)'
            for t in self.tables
        )


# -- databases ----------------------------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_kind(request: pytest.FixtureRequest) -> str:
    """Every cell runs on SQLite and on PostgreSQL."""
    return str(request.param)


@pytest.fixture(scope="module")
def databases(
    database_kind: str, tmp_path_factory: pytest.TempPathFactory, postgres_admin_url: str
) -> Iterator[dict[str, str]]:
    """A fresh database per service (each owns its data), dropped afterwards."""
    if database_kind == "sqlite":
        folder = tmp_path_factory.mktemp("matrix")
        yield {s: f"sqlite:///{folder}/{s}.db" for s in SERVICES}
        return
    base = postgres_admin_url.rsplit("/", 1)[0]
    names = {s: f"ishc_matrix_{uuid.uuid4().hex[:10]}_{s}" for s in SERVICES}
    with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
        for name in names.values():
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {s: f"{base}/{name}" for s, name in names.items()}
    finally:
        with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
            for name in names.values():
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- dead letters -------------------------------------------------------------------


def put_dead_letter(client: TestClient, redis_url: str) -> tuple[str, str]:
    """A registry event the service's consumer gave up on (as `InboxConsumer.
    dead_letter` writes it), valid, so a redrive applies it: (stream, entry id)."""
    consumer = next(c for c in app_of(client).state.consumers if c.stream.endswith("ishc.registry"))
    club_id = str(uuid.uuid4())
    envelope = Envelope(
        id=new_event_id(),
        type="ishc.registry.club.registered.v1",
        source="/ishc/registry",
        time=utcnow(),
        subject=club_id,
        sequence=1,
        province="86",
        data=re_events.ClubRegistered(
            club_id=club_id,
            name="CLB Long Hồ",
            commune_code="29623",
            legacy_commune_code=None,
            founded_on=date(2019, 5, 1),
        ).model_dump(mode="json"),
    )
    message = asyncio.run(
        BinaryMessageFormatV1.encode(
            message=envelope.model_dump_json().encode(),
            reply_to=None,
            headers={"content-type": "application/json"},
            correlation_id="-",
        )
    )
    with redis.Redis.from_url(redis_url) as r:
        entry = r.xadd(
            dlq_name(consumer.stream),
            {
                "__data__": message,
                "source_stream": consumer.stream,
                "source_id": "1-1",
                "group": consumer.group,
                "consumer": "matrix",
                "deliveries": "9",
                "error": "RuntimeError: the matrix put it here",
                "dead_at": utcnow().isoformat(),
                "event_type": envelope.type,
                "event_id": str(envelope.id),
            },
        )
    return consumer.stream, entry.decode() if isinstance(entry, bytes) else str(entry)


def operational_calls(stream: str, entry: str) -> Calls:
    return {
        ("GET", "/v1/events"): lambda: Call("/v1/events"),
        ("GET", "/v1/events/head"): lambda: Call("/v1/events/head"),
        ("GET", "/v1/outbox/status"): lambda: Call("/v1/outbox/status"),
        ("GET", TALLIES): lambda: Call(TALLIES, params={"province": "86"}),
        ("GET", DEAD): lambda: Call(DEAD, params={"stream": stream}),
        ("POST", REDRIVE): lambda: Call(
            f"/v1/dead-letters/{entry}/redrive", params={"stream": stream}
        ),
    }


# -- the services and their records ------------------------------------------------------


def registry_calls(http: TestClient, own: dict[str, str]) -> Calls:
    def club() -> str:
        body = {
            "name": "CLB Liên thế hệ Nhơn Phú",
            "commune_code": "29623",
            "founded_on": "2018-03-15",
        }
        reply = http.post("/v1/clubs", json=body, headers=own)
        assert reply.status_code == 201, reply.text
        return str(reply.json()["id"])

    def member(club_id: str) -> str:
        body = {
            "full_name": "Nguyễn Thị Lan",
            "sex": "female",
            "birth_year": 1952,
            "poverty_status": "near_poor",
            "joined_on": "2019-01-10",
        }
        reply = http.post(f"/v1/clubs/{club_id}/members", json=body, headers=own)
        assert reply.status_code == 201, reply.text
        return str(reply.json()["id"])

    def etag(path: str) -> dict[str, str]:
        return {"If-Match": http.get(path, headers=own).headers["etag"]}

    the_club = club()
    chair = member(the_club)
    csv = "Họ và tên;Giới tính;Năm sinh;Ngày tham gia\nVõ Thị Năm;Nữ;1949;05/03/2021\n"

    def patched_club() -> Call:
        path = f"/v1/clubs/{club()}"
        return Call(path, body={"hamlet": "Ấp 2"}, headers=etag(path))

    def patched_member() -> Call:
        path = f"/v1/members/{member(the_club)}"
        return Call(path, body={"is_volunteer": True}, headers=etag(path))

    return {
        ("POST", "/v1/clubs"): lambda: Call(
            "/v1/clubs",
            body={"name": "CLB Tân Hạnh", "commune_code": "29623", "founded_on": "2020-01-01"},
        ),
        ("GET", "/v1/clubs"): lambda: Call("/v1/clubs", params={"province": "86"}),
        ("GET", CLUB): lambda: Call(f"/v1/clubs/{the_club}"),
        ("PATCH", CLUB): patched_club,
        ("POST", CLUB + "/relocate"): lambda: Call(
            f"/v1/clubs/{club()}/relocate",
            body={"commune_code": "29770", "relocated_on": "2025-08-01"},
        ),
        ("POST", CLUB + "/dissolve"): lambda: Call(
            f"/v1/clubs/{club()}/dissolve",
            body={"dissolved_on": "2026-11-30", "reason": "Hợp nhất với CLB bên cạnh"},
        ),
        ("POST", CLUB + "/members"): lambda: Call(
            f"/v1/clubs/{the_club}/members",
            body={
                "full_name": "Trần Văn Bảy",
                "sex": "male",
                "birth_year": 1948,
                "poverty_status": "poor",
                "joined_on": "2020-02-02",
            },
        ),
        ("GET", CLUB + "/members"): lambda: Call(f"/v1/clubs/{the_club}/members"),
        ("GET", MEMBER): lambda: Call(f"/v1/members/{chair}"),
        ("PATCH", MEMBER): patched_member,
        ("POST", MEMBER + "/leave"): lambda: Call(
            f"/v1/members/{member(the_club)}/leave", body={"left_on": "2026-11-30"}
        ),
        ("POST", MEMBER + "/erase"): lambda: Call(f"/v1/members/{member(the_club)}/erase"),
        ("GET", "/v1/audit"): lambda: Call("/v1/audit", params={"province": "86"}),
        ("GET", CLUB + "/board"): lambda: Call(f"/v1/clubs/{the_club}/board"),
        ("PUT", CLUB + "/board"): lambda: Call(
            f"/v1/clubs/{the_club}/board",
            body={
                "effective_on": "2026-01-01",
                "seats": [{"position": "chair", "member_id": chair}],
            },
        ),
        ("POST", CLUB + "/meetings"): lambda: Call(
            f"/v1/clubs/{the_club}/meetings",
            body={
                "held_on": "2026-11-05",
                "attendance": 30,
                "hardship_cases_chosen": 1,
                "hardship_cases_supported": 1,
                "plan_recorded": True,
            },
        ),
        ("GET", CLUB + "/meetings"): lambda: Call(f"/v1/clubs/{the_club}/meetings"),
        ("POST", CLUB + "/activities"): lambda: Call(
            f"/v1/clubs/{the_club}/activities",
            body={"area": "home_care", "held_on": "2026-11-06", "participants": 12},
        ),
        ("GET", CLUB + "/activities"): lambda: Call(f"/v1/clubs/{the_club}/activities"),
        ("POST", "/v1/imports"): lambda: Call(
            "/v1/imports",
            form={"kind": "members", "club_id": the_club},
            files={"file": ("ds.csv", csv.encode(), "text/csv")},
        ),
        ("GET", "/v1/imports/templates/{kind}.xlsx"): lambda: Call(
            "/v1/imports/templates/clubs.xlsx", params={"province": "86"}
        ),
        ("GET", "/v1/communes"): lambda: Call("/v1/communes", params={"q": "Nhơn Phú"}),
    }


def finance_calls(finance: finance_conf.Finance) -> Calls:
    http = finance.http
    club: Club = club_with_funds(finance, activity_cash_vnd=5_000_000)
    own = club.token
    loan = str(lend(finance, club)["id"])
    income, activity = f"/v1/funds/{club.income}", f"/v1/funds/{club.activity}"

    def created(path: str, body: dict[str, Any]) -> str:
        reply = http.post(path, json=body, headers=own)
        assert reply.status_code == 201, reply.text
        return str(reply.json()["id"])

    def written_off() -> str:
        written = str(lend(finance, club, principal_vnd=1_000_000)["id"])
        body = {"written_off_on": "2026-11-30", "reason": "Hội viên đã mất"}
        reply = http.post(f"/v1/loans/{written}/write-off", json=body, headers=own)
        assert reply.status_code == 200, reply.text
        return written

    def contribution() -> str:
        body = {"source": "organisation", "amount_vnd": 100_000, "received_on": "2026-11-02"}
        return created(f"{income}/contributions", body)

    def regulated() -> str:
        """A club with a regulation in force and no fund yet."""
        club_id = finance.club()
        adopt_regulation(finance, club_id)
        return club_id

    months = iter(f"2026-{m:02d}" for m in range(1, 13))
    return {
        ("POST", CLUB + "/regulations"): lambda: Call(
            f"/v1/clubs/{club.club_id}/regulations",
            body={
                "effective_on": "2026-11-01",
                "rate_min": "0.006",
                "rate_max": "0.010",
                "fee_min_vnd": 2000,
                "fee_max_vnd": 5000,
                "max_loan_vnd": 20_000_000,
                "max_term_months": 24,
                "methods": ["flat"],
                "rounding_unit_vnd": 1,
            },
        ),
        ("GET", CLUB + "/regulations"): lambda: Call(f"/v1/clubs/{club.club_id}/regulations"),
        ("POST", CLUB + "/funds"): lambda: Call(
            f"/v1/clubs/{regulated()}/funds", body={"kind": "income", "opened_on": "2026-11-02"}
        ),
        ("GET", CLUB + "/funds"): lambda: Call(f"/v1/clubs/{club.club_id}/funds"),
        ("GET", "/v1/funds"): lambda: Call("/v1/funds", params={"province": "86"}),
        ("GET", FUND): lambda: Call(income),
        ("POST", FUND + "/contributions"): lambda: Call(
            f"{income}/contributions",
            body={
                "source": "golden_heart_book",
                "amount_vnd": 250_000,
                "received_on": "2026-11-03",
            },
        ),
        ("GET", FUND + "/contributions"): lambda: Call(f"{income}/contributions"),
        ("POST", FUND + "/fees"): lambda: Call(
            f"{activity}/fees",
            body={
                "member_id": club.member,
                "month": next(months),
                "amount_vnd": 3000,
                "paid_on": "2026-11-05",
            },
        ),
        ("GET", FUND + "/fees"): lambda: Call(f"{activity}/fees"),
        ("POST", FUND + "/expenses"): lambda: Call(
            f"{activity}/expenses",
            body={
                "amount_vnd": 45_000,
                "purpose": "Thăm hỏi hội viên ốm",
                "area": "home_care",
                "spent_on": "2026-11-12",
            },
        ),
        ("GET", FUND + "/expenses"): lambda: Call(f"{activity}/expenses"),
        ("POST", FUND + "/reversals"): lambda: Call(
            f"{income}/reversals",
            body={
                "reversed_id": contribution(),
                "reason": "Ghi trùng",
                "reversed_on": "2026-11-20",
            },
        ),
        ("GET", FUND + "/reversals"): lambda: Call(f"{income}/reversals"),
        ("GET", FUND + "/statement"): lambda: Call(f"{income}/statement"),
        ("POST", FUND + "/loans"): lambda: Call(
            f"{income}/loans", body=loan_body(club.member, principal_vnd=2_000_000)
        ),
        ("GET", FUND + "/loans"): lambda: Call(f"{income}/loans"),
        ("GET", LOAN): lambda: Call(f"/v1/loans/{loan}"),
        ("POST", LOAN + "/repayments"): lambda: Call(
            f"/v1/loans/{loan}/repayments", body={"amount_vnd": 100_000, "paid_on": "2026-11-10"}
        ),
        ("GET", LOAN + "/repayments"): lambda: Call(f"/v1/loans/{loan}/repayments"),
        ("GET", LOAN + "/settlement"): lambda: Call(
            f"/v1/loans/{loan}/settlement", params={"on": "2026-11-30"}
        ),
        ("POST", LOAN + "/write-off"): lambda: Call(
            f"/v1/loans/{lend(finance, club, principal_vnd=1_000_000)['id']}/write-off",
            body={"written_off_on": "2026-11-30", "reason": "Hội viên đã mất"},
        ),
        ("POST", LOAN + "/recoveries"): lambda: Call(
            f"/v1/loans/{written_off()}/recoveries",
            body={"amount_vnd": 200_000, "recovered_on": "2026-11-30"},
        ),
        ("GET", FUND + "/portfolio"): lambda: Call(f"{income}/portfolio"),
        ("GET", "/v1/portfolio"): lambda: Call("/v1/portfolio", params={"province": "86"}),
    }


def reporting_calls(http: TestClient, tokens: dict[str, str | None]) -> Calls:
    club = str(http.club_id)  # type: ignore[attr-defined]
    own, national = bearer(tokens["own"]), bearer(tokens["national"])
    reply = http.put("/v1/plans/vinh-long-2026", json=plan_body(), headers=own)
    assert reply.status_code == 201, reply.text
    body = {"scope": "province", "province": "86", "kind": "quarter", "year": 2026, "number": 2}
    reply = http.post("/v1/reports", json=body, headers=own)
    assert reply.status_code == 201, reply.text
    report = str(reply.json()["id"])
    plans = iter(range(1, 100))

    def new_plan() -> Call:
        plan_id = f"vinh-long-2027-{next(plans)}"
        return Call(f"/v1/plans/{plan_id}", body=plan_body(id=plan_id, title="Kế hoạch 2027"))

    assert national
    return {
        ("GET", "/v1/indicators/national"): lambda: Call("/v1/indicators/national"),
        ("GET", "/v1/indicators/provinces"): lambda: Call("/v1/indicators/provinces"),
        ("GET", "/v1/indicators/provinces/{code}"): lambda: Call("/v1/indicators/provinces/86"),
        ("GET", "/v1/indicators/communes/{code}"): lambda: Call("/v1/indicators/communes/29623"),
        ("GET", "/v1/indicators/clubs/{club_id}"): lambda: Call(f"/v1/indicators/clubs/{club}"),
        ("GET", "/v1/rollout"): lambda: Call("/v1/rollout"),
        ("GET", "/v1/plans"): lambda: Call("/v1/plans", params={"province": "86"}),
        ("GET", "/v1/plans/{plan_id}"): lambda: Call("/v1/plans/vinh-long-2026"),
        ("GET", "/v1/plans/{plan_id}/progress"): lambda: Call("/v1/plans/vinh-long-2026/progress"),
        ("PUT", "/v1/plans/{plan_id}"): new_plan,
        ("POST", "/v1/reports"): lambda: Call(
            "/v1/reports",
            body={
                "scope": "province",
                "province": "86",
                "kind": "quarter",
                "year": 2026,
                "number": 3,
            },
        ),
        ("GET", "/v1/reports"): lambda: Call("/v1/reports", params={"province": "86"}),
        ("GET", REPORT + ".csv"): lambda: Call(f"/v1/reports/{report}.csv"),
        ("GET", REPORT + ".xlsx"): lambda: Call(f"/v1/reports/{report}.xlsx"),
        ("GET", REPORT + ".pdf"): lambda: Call(f"/v1/reports/{report}.pdf"),
        ("GET", REPORT): lambda: Call(f"/v1/reports/{report}"),
        ("GET", "/v1/live"): lambda: Call("/v1/live", stream=True),
        ("GET", "/dashboard"): lambda: Call("/dashboard"),
        ("GET", "/dashboard/provinces/{code}"): lambda: Call("/dashboard/provinces/86"),
        ("GET", "/dashboard/communes/{code}"): lambda: Call("/dashboard/communes/29623"),
        ("GET", "/dashboard/clubs/{club_id}"): lambda: Call(f"/dashboard/clubs/{club}"),
        ("GET", "/dashboard/rollout"): lambda: Call("/dashboard/rollout"),
        ("GET", "/dashboard/sign-in"): lambda: Call("/dashboard/sign-in"),
        ("POST", "/dashboard/sign-in"): lambda: Call(
            "/dashboard/sign-in", form={"next": "/dashboard"}, token_field="token"
        ),
        ("POST", "/dashboard/sign-out"): lambda: Call("/dashboard/sign-out"),
        ("GET", "/dashboard/static/{name}"): lambda: Call("/dashboard/static/dashboard.css"),
        ("GET", "/dashboard/{rest}"): lambda: Call("/dashboard/no-such-page"),
    }


@contextmanager
def opened(service: str, url: str, redis_url: str) -> Iterator[World]:
    tokens = tokens_of(SECRETS[service])
    own = bearer(tokens["own"])
    with ExitStack() as stack:
        if service == "registry":
            registry = stack.enter_context(open_registry(url, redis_url))
            client, calls = registry.http, registry_calls(registry.http, own)
            entry: tuple[str, str] = ("ishc.registry", "1-1")  # it consumes nothing
        elif service == "finance":
            finance = stack.enter_context(open_finance(url, redis_url))
            client, calls = finance.http, finance_calls(finance)
            entry = put_dead_letter(client, redis_url)
        elif service == "health":
            health = stack.enter_context(open_health(url, redis_url))
            client, calls = health.http, {}
            entry = put_dead_letter(client, redis_url)
        else:
            client = stack.enter_context(loaded_client(url, redis_url, REPORTING_SECRET))
            # `loaded_client` leaves its streams; the matrix removes them.
            stack.callback(drop_keys, redis_url, app_of(client).state.settings.stream_prefix)
            calls = reporting_calls(client, tokens)
            entry = put_dead_letter(client, redis_url)
        world = World(service, client, url, {**calls, **operational_calls(*entry)})
        try:
            yield world
        finally:
            world.engine.dispose()


@pytest.fixture(scope="module")
def worlds(databases: dict[str, str], redis_url: str) -> Iterator[dict[str, World]]:
    """The four services on this kind of database, each with its records: made
    once, shared by every row (the rows that change a record make their own)."""
    with ExitStack() as stack:
        yield {s: stack.enter_context(opened(s, databases[s], redis_url)) for s in SERVICES}


@pytest.fixture(scope="module")
def private_dashboard(worlds: dict[str, World], redis_url: str) -> Iterator[World]:
    """Reporting again on the same database, with ISHC_DASHBOARD_PUBLIC=false."""
    public = worlds["reporting"]
    prefix = f"test.{uuid.uuid4().hex[:10]}."
    settings = Settings(
        database_url=public.database_url,
        redis_url=redis_url,
        jwt_secrets=REPORTING_SECRET,
        stream_prefix=prefix,
        dashboard_public=False,
    )
    with TestClient(create_reporting(settings)) as client:
        client.club_id = public.client.club_id  # type: ignore[attr-defined]
        calls = {k: v for k, v in public.calls.items() if k in PRIVATE}
        world = World("reporting", client, public.database_url, calls)
        try:
            yield world
        finally:
            world.engine.dispose()
    drop_keys(redis_url, prefix)


# -- the route tables -------------------------------------------------------------------


def build_app(service: str, folder: Path) -> FastAPI:
    """The service's app, not started: its route table is all these tests read."""
    settings = Settings(
        database_url=f"sqlite:///{folder}/{service}.db", jwt_secrets=SECRETS[service]
    )
    if service == "registry":
        from ishc_registry.app import create_app as create_registry

        return create_registry(settings)
    if service == "finance":
        from ishc_finance.app import create_app as create_finance

        return create_finance(settings)
    if service == "health":
        from ishc_health.app import create_app as create_health
        from ishc_health.settings import HealthSettings

        return create_health(settings, HealthSettings(keys=health_conf.HEALTH_KEY))
    return create_reporting(settings)


HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def test_the_matrix_declares_every_route_and_only_routes(tmp_path: Path) -> None:
    declared = set(MATRIX)
    every: set[tuple[str, str, str]] = set()
    found_open: set[tuple[str, str]] = set()
    for service in SERVICES:
        entries = route_entries(build_app(service, tmp_path))
        assert any(e.api and guarded(e.path) for e in entries), (
            f"no route of {service} found: the route table is not read"
        )
        escaped = undeclared(service, entries)
        assert not escaped, f"{service}: routes neither in MATRIX nor open by design: {escaped}"
        every |= {(service, e.method, e.path) for e in entries}
        found_open |= {e.key for e in entries} & OPEN_BY_DESIGN.keys()
    stale = sorted(declared - every)
    assert not stale, f"rows for routes their app does not have: {stale}"
    stale_open = sorted(OPEN_BY_DESIGN.keys() - found_open)
    assert not stale_open, f"OPEN_BY_DESIGN entries no app has: {stale_open}"
    assert all(reason.strip() for reason in OPEN_BY_DESIGN.values()), "an open entry needs why"
    # A route under /v1 or /dashboard answers HTTP about records: its cells are
    # called (MATRIX), it is not let through unchecked.
    passed = sorted(k for k in OPEN_BY_DESIGN if guarded(k[1]) and k[0] in HTTP_METHODS)
    assert not passed, f"routes under /v1 or /dashboard belong in MATRIX: {passed}"
    assert all(len(row) == len(CALLERS) for row in MATRIX.values())
    assert all(len(row) == len(CALLERS) for row in PRIVATE.values())
    reporting_pages = {(m, p) for s, m, p in MATRIX if s == "reporting"}
    pages = {(m, p) for m, p in reporting_pages if p == "/v1/live" or p.startswith("/dashboard")}
    assert PRIVATE.keys() == pages, sorted(PRIVATE.keys() ^ pages)
    # The check can fail: a route left out, or a row of no route, is seen.
    assert ("registry", "GET", "/v1/clubs") in every - (
        declared - {("registry", "GET", "/v1/clubs")}
    )
    assert ("finance", "GET", "/v1/nowhere") not in every


def test_a_route_of_another_kind_does_not_escape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hole a discovery of `APIRoute`s alone leaves: a plain Starlette `Route`,
    a `Mount` and a `WebSocketRoute` under /v1 (on the app, and in a router it
    includes), added to the real registry app, run without FastAPI's
    dependencies, so without any token check. The discovery reports each as
    undeclared, and the test above fails on them."""

    async def plain(request: Request) -> PlainTextResponse:
        return PlainTextResponse("no token asked")

    async def socket(websocket: WebSocket) -> None:
        await websocket.close()

    real = build_app

    def with_holes(service: str, folder: Path) -> FastAPI:
        app = real(service, folder)
        app.router.routes.append(Route("/v1/plain", plain, methods=["GET", "POST"]))
        app.router.routes.append(Mount("/v1/files", app=StaticFiles(directory=str(folder))))
        app.router.routes.append(WebSocketRoute("/v1/socket", socket))
        inside = APIRouter()
        inside.add_route("/{club_id:uuid}/raw", plain)
        app.include_router(inside, prefix="/v1/clubs")
        return app

    assert not undeclared("registry", route_entries(build_app("registry", tmp_path)))
    app = with_holes("registry", tmp_path)
    holes = [(e.kind, e.method, e.path) for e in undeclared("registry", route_entries(app))]
    assert holes == [
        ("Route", "GET", "/v1/clubs/{club_id}/raw"),
        ("Route", "GET", "/v1/plain"),
        ("Mount", MOUNT, "/v1/files"),
        ("Route", "POST", "/v1/plain"),
        ("WebSocketRoute", "WEBSOCKET", "/v1/socket"),
    ], holes
    # They are real holes: the plain route answers anyone, no token asked (the
    # app not started: no lifespan, no database or Redis is touched).
    assert TestClient(app).get("/v1/plain").status_code == 200
    # And the matrix's test fails on them, naming them.
    monkeypatch.setattr(sys.modules[__name__], "build_app", with_holes)
    with pytest.raises(AssertionError, match="neither in MATRIX nor open by design") as failed:
        test_the_matrix_declares_every_route_and_only_routes(tmp_path)
    for path in ("/v1/plain", "/v1/files", "/v1/socket", "/v1/clubs/{club_id}/raw"):
        assert path in str(failed.value), (path, str(failed.value))


def test_open_routes_answer_without_a_token(worlds: dict[str, World]) -> None:
    """Each entry of `OPEN_BY_DESIGN`; a mount by the files the docs pages load from it."""
    for service, world in worlds.items():
        for method, path in sorted(OPEN_BY_DESIGN):
            if method == MOUNT:
                pages = world.client.get("/docs").text + world.client.get("/redoc").text
                files = set(re.findall(re.escape(path) + r"/[\w.-]+", pages))
                assert files, (service, path, "no file of the mount is used")
                for file in sorted(files):
                    reply = world.client.get(file)
                    assert reply.status_code == 200, (service, file, reply.status_code)
                continue
            reply = world.client.request(method, path)
            assert reply.status_code == 200, (service, path, reply.text[:300])


def _unchanged(world: World, before: dict[str, str], refused: list[str]) -> None:
    after = world.state()
    changed = sorted(t for t in after if after[t] != before.get(t))
    assert not changed, f"refused {refused}, yet these tables changed: {changed}"


def _check_cells(world: World, method: str, path: str, expected: tuple[int, ...]) -> None:
    """Each caller in turn on the same request. The tables are read before a
    run of refused cells and again before the next success (or at the end): a
    refused cell must have changed nothing."""
    call = world.calls[(method, path)]()
    tokens = tokens_of(SECRETS[world.service])
    before: dict[str, str] | None = None  # None: a success since the last reading
    refused: list[str] = []  # the callers refused since `before`
    answers: dict[str, int] = {}
    wrong: dict[str, str] = {}  # what a cell off the matrix answered, for the failure
    for caller, want in zip(CALLERS, expected, strict=True):
        if want >= 400 and before is None:
            before = world.state()
        elif want < 400 and refused and before is not None:
            _unchanged(world, before, refused)
            refused = []
        answer = world.send(method, call, tokens[caller])
        answers[caller] = answer.status
        if answer.status != want:
            wrong[caller] = answer.body[:300].decode(errors="replace")
        if answer.status < 400:
            # A success (an unexpected one fails below) is the next reading's start.
            before, refused = None, []
            if answer.status == 303 and caller == "none" and path != "/dashboard/sign-out":
                assert answer.location.startswith("/dashboard/sign-in"), answer.location
            continue
        if before is not None:  # else an unexpected refusal, which fails below
            refused.append(caller)
        # A page refused for its record, or a sign-in form refused, answers the
        # browser with HTML; a bad bearer header gets the problem.
        page = path.startswith("/dashboard") and (
            answer.status in (404, 422) or call.token_field is not None
        )
        if page:
            assert answer.content_type.startswith("text/html"), (caller, answer.content_type)
        else:
            assert answer.content_type.startswith("application/problem+json"), (
                caller,
                answer.status,
                answer.body[:300],
            )
            assert answer.problem()["status"] == answer.status
    if refused and before is not None:
        _unchanged(world, before, refused)
    assert answers == dict(zip(CALLERS, expected, strict=True)), (answers, wrong)


HEALTH_OWN = {row for row in MATRIX if row[0] == "health" and row[2] not in OPERATIONAL}
"""Health's own routes: tests/health/integration/test_health_access_matrix.py calls them."""
ROWS = sorted(MATRIX.keys() - HEALTH_OWN)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r[0]} {r[1]} {r[2]}")
def test_every_caller_gets_what_the_matrix_says(
    worlds: dict[str, World], row: tuple[str, str, str]
) -> None:
    service, method, path = row
    _check_cells(worlds[service], method, path, MATRIX[row])


@pytest.mark.parametrize("row", sorted(PRIVATE), ids=lambda r: f"{r[0]} {r[1]}")
def test_a_private_dashboard_needs_a_national_or_province_token(
    private_dashboard: World, row: tuple[str, str]
) -> None:
    method, path = row
    _check_cells(private_dashboard, method, path, PRIVATE[row])


def test_the_checks_can_fail(worlds: dict[str, World]) -> None:
    """A matrix that says the wrong thing fails, and a change to any table is
    seen (what a refused request that wrote anyway would be)."""
    registry = worlds["registry"]
    wrong = list(MATRIX[("registry", "GET", CLUB)])
    wrong[CALLERS.index("national")] = 403
    with pytest.raises(AssertionError, match="national"):
        _check_cells(registry, "GET", CLUB, tuple(wrong))
    # The tables' reading sees a write (here one the caller may make).
    before = registry.state()
    call = registry.calls[("POST", CLUB + "/meetings")]()
    assert registry.send("POST", call, tokens_of(SECRETS["registry"])["own"]).status == 201
    with pytest.raises(AssertionError, match="tables changed"):
        _unchanged(registry, before, ["own"])


def test_a_private_dashboard_takes_the_session_cookie_of_its_sign_in(
    private_dashboard: World,
) -> None:
    """A browser's EventSource cannot send a header: with ISHC_DASHBOARD_PUBLIC=
    false the sign-in's HttpOnly cookie carries the token, checked as a bearer
    header would be (Vĩnh Long's page for Vĩnh Long, not for Đồng Nai)."""
    world, tokens = private_dashboard, tokens_of(REPORTING_SECRET)
    sign_in = world.calls[("POST", DASH + "/sign-in")]()
    signed = world.send("POST", sign_in, tokens["own"])
    assert signed.status == 303 and signed.set_cookie.startswith("ishc_session="), signed
    assert "httponly" in signed.set_cookie.lower()

    def with_cookie(caller: str, path: str, stream: bool = False) -> Answer:
        cookie = {"Cookie": f"ishc_session={tokens[caller]}"}
        return world.send("GET", Call(path, headers=cookie, stream=stream), None)

    assert with_cookie("own", "/dashboard/provinces/86").status == 200
    assert with_cookie("other", "/dashboard/provinces/86").status == 404
    assert with_cookie("own", "/v1/live", stream=True).status == 200
    # A cookie that does not verify, or of a token the dashboard is not for,
    # sends the browser to sign in again and drops the cookie; the feed says 401/403.
    for caller in ("expired", "forged", "ops"):
        page = with_cookie(caller, "/dashboard")
        assert page.status == 303 and page.location.startswith("/dashboard/sign-in"), page
        assert page.set_cookie.startswith('ishc_session=""'), page.set_cookie
    assert with_cookie("forged", "/v1/live", stream=True).status == 401
    assert with_cookie("ops", "/v1/live", stream=True).status == 403


VINH_LONG_NAMED = re.compile(rb'"(?:code|province)": ?"86"|/dashboard/provinces/86\b')
"""How an answer names Vĩnh Long: a row or record of province 86, or a link to its page."""

UNFILTERED: tuple[tuple[str, str, bool], ...] = (
    ("registry", "/v1/clubs", False),
    ("finance", "/v1/funds", False),
    ("reporting", "/v1/indicators/provinces", False),
    ("reporting", "/v1/rollout", False),
    ("reporting", "/v1/plans", False),
    ("reporting", "/v1/reports", False),
    ("reporting", "/v1/live", True),
    ("reporting", "/dashboard", False),
    ("reporting", "/dashboard/rollout", False),
)
"""Collections a province token reads unfiltered (200 in the matrix): its own
provinces' rows only."""


def test_another_provinces_collections_leave_vinh_long_out(worlds: dict[str, World]) -> None:
    for service, path, stream in UNFILTERED:
        world, tokens = worlds[service], tokens_of(SECRETS[service])
        seen = {}
        for caller in ("national", "own", "other"):
            answer = world.send("GET", Call(path, stream=stream), tokens[caller])
            assert answer.status == 200, (service, path, caller, answer.body[:300])
            seen[caller] = bool(VINH_LONG_NAMED.search(answer.body))
        # National and Vĩnh Long see it, so the search finds what it looks for.
        assert seen == {"national": True, "own": True, "other": False}, (service, path, seen)
