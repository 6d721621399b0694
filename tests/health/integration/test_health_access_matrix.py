"""Every route of the health service against every kind of caller, on SQLite and
PostgreSQL: no token, an expired one, one with a wrong signature, ops, a service
(reporting's), national, the province of the record, and another province.

The routes come from the app's own route table, every entry of every kind
(`tests.helpers.routes.route_entries`, which tests/security/test_access_matrix.py
reads too: FastAPI's `APIRoute`s and the plain Starlette `Route`s, `Mount`s,
`WebSocketRoute`s and the rest). Every entry must have its row in the one table of
expected answers (tests/security/matrix.py) or be open by design there
(`OPEN_BY_DESIGN`, with its reason); the rows called here are those under /v1
but the platform's operational routes (the event log, the outbox status, dead
letters, reconciliation tallies), which tests/security/test_access_matrix.py
calls. Each health row there must be a route of the app: a route added later, of
whatever kind, fails this test until its row is written. A refused cell answers
problem+json and changes nothing; the province's own cell succeeds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import jwt
import pytest
from fastapi import FastAPI

from ishc_platform.auth import ALGORITHM, Role, issue_token
from ishc_platform.clock import utcnow
from tests.health.conftest import DN, NATIONAL, OPS, SECRET, VL, Health
from tests.health.integration.test_exercise_api import give_consent, state
from tests.helpers.routes import route_entries
from tests.security import matrix

pytestmark = pytest.mark.integration

MATRIX: dict[tuple[str, str], tuple[int, ...]] = {
    (method, path): row
    for (service, method, path), row in matrix.MATRIX.items()
    if service == "health" and path not in matrix.OPERATIONAL
}
"""Health's own routes' rows of the one table (tests/security/matrix.py)."""
CLUB = matrix.CLUB
MEMBER = matrix.MEMBER
CALLERS = matrix.CALLERS


@dataclass(frozen=True)
class Call:
    """One request: the path filled in, its query and its body."""

    path: str
    params: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] | None = None


@dataclass(frozen=True)
class World:
    """A Vĩnh Long club with a volunteer; members are made fresh for each route."""

    health: Health
    club: str
    volunteer: str

    def member(self, consent: str | None = None) -> str:
        member = self.health.member(self.club)
        if consent is not None:
            give_consent(self.health, member, self.club, scopes=consent)
        return member


READ = {"reason": "Kiểm tra định kỳ của Hội"}
CONSENT = {"given_on": "2026-11-02", "purpose": "Khám sức khỏe định kỳ", "scopes": ["home_care"]}
CHECK = {"checked_on": "2026-11-20", "checker": "station", "systolic_mmhg": 130}

CALLS: dict[tuple[str, str], Callable[[World], Call]] = {
    ("POST", "/v1/clubs/{club_id}/exercise-sessions"): lambda w: Call(
        f"/v1/clubs/{w.club}/exercise-sessions", body={"held_on": "2026-11-30", "participants": 1}
    ),
    ("GET", "/v1/clubs/{club_id}/exercise-sessions"): lambda w: Call(
        f"/v1/clubs/{w.club}/exercise-sessions"
    ),
    ("GET", "/v1/clubs/{club_id}/exercise-sessions/summary"): lambda w: Call(
        f"/v1/clubs/{w.club}/exercise-sessions/summary"
    ),
    ("POST", "/v1/clubs/{club_id}/home-care-visits"): lambda w: Call(
        f"/v1/clubs/{w.club}/home-care-visits",
        body={
            "volunteer_id": w.volunteer,
            "beneficiary": "community",
            "community_person": {"name": "Lê Văn Tám"},
            "visited_on": "2026-11-30",
            "tasks": ["talking"],
        },
    ),
    ("GET", "/v1/clubs/{club_id}/home-care-visits"): lambda w: Call(
        f"/v1/clubs/{w.club}/home-care-visits"
    ),
    ("GET", "/v1/clubs/{club_id}/home-care-visits/summary"): lambda w: Call(
        f"/v1/clubs/{w.club}/home-care-visits/summary"
    ),
    ("POST", "/v1/members/{member_id}/insurance"): lambda w: Call(
        f"/v1/members/{w.member()}/insurance",
        body={"valid_from": "2026-01-01", "valid_to": "2026-12-31"},
    ),
    ("GET", "/v1/members/{member_id}/insurance"): lambda w: Call(
        f"/v1/members/{w.member()}/insurance"
    ),
    ("POST", "/v1/members/{member_id}/consent"): lambda w: Call(
        f"/v1/members/{w.member()}/consent", body=CONSENT
    ),
    ("POST", "/v1/members/{member_id}/consent/withdraw"): lambda w: Call(
        f"/v1/members/{w.member(consent='home_care')}/consent/withdraw",
        body={"withdrawn_on": "2026-11-30"},
    ),
    ("GET", "/v1/members/{member_id}/consent"): lambda w: Call(
        f"/v1/members/{w.member(consent='home_care')}/consent"
    ),
    ("POST", "/v1/members/{member_id}/health-checks"): lambda w: Call(
        f"/v1/members/{w.member(consent='health_checks')}/health-checks", body=CHECK
    ),
    ("GET", "/v1/members/{member_id}/health-checks"): lambda w: Call(
        f"/v1/members/{w.member(consent='health_checks')}/health-checks"
    ),
    ("GET", "/v1/members/{member_id}/health-book"): lambda w: Call(
        f"/v1/members/{w.member(consent='health_checks')}/health-book", params=READ
    ),
    ("GET", "/v1/members/{member_id}/health-book/export"): lambda w: Call(
        f"/v1/members/{w.member(consent='health_checks')}/health-book/export", params=READ
    ),
    ("GET", "/v1/health-book-accesses"): lambda w: Call(
        "/v1/health-book-accesses", params={"province": "86"}
    ),
    ("POST", "/v1/members/{member_id}/health-data/erase"): lambda w: Call(
        f"/v1/members/{w.member(consent='health_checks')}/health-data/erase",
        body={"reason": "Thành viên yêu cầu xóa dữ liệu sức khỏe"},
    ),
}


def _token(claims: dict[str, Any], secret: str = SECRET) -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt.encode(claims, secret, algorithm=ALGORITHM)}"}


def headers_of() -> dict[str, dict[str, str]]:
    now = int(utcnow().timestamp())
    hour = int(timedelta(hours=1).total_seconds())
    province = {"sub": "vinh-long-staff", "role": "province", "provinces": ["86"]}
    return {
        "none": {},
        "expired": _token({**province, "iat": now - 2 * hour, "exp": now - 60}),
        "forged": _token({**province, "iat": now, "exp": now + hour}, "f" * 48),
        "ops": OPS,
        "service": {
            "Authorization": f"Bearer {issue_token(SECRET, sub='reporting', role=Role.SERVICE)}"
        },
        "national": NATIONAL,
        "own": VL,
        "other": DN,
    }


def operational_paths() -> set[str]:
    """The platform's routes every source service has (`ishc_platform.ops_api` and
    `ishc_platform.reconciliation`), whose cells tests/security's matrix declares."""
    return set(matrix.OPERATIONAL)


def health_routes(health: Health) -> set[tuple[str, str]]:
    """Every (method, path template) of the app under /v1 but the operational ones,
    of every kind of route; the app's other entries must be open by design."""
    skipped = operational_paths()
    app: FastAPI = health.http.app  # type: ignore[assignment]
    entries = route_entries(app)
    escaped = matrix.undeclared("health", entries)
    assert not escaped, f"routes neither in MATRIX nor open by design: {escaped}"
    own = [
        e
        for e in entries
        if e.path.startswith("/v1/")
        and e.path not in skipped
        and e.key not in matrix.OPEN_BY_DESIGN
    ]
    # The published contract agrees: every /v1 operation of the OpenAPI document
    # is one of the app's API routes (the other kinds are not in it).
    documented = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/v1/") and path not in skipped
        for method in operations
    }
    api = {e.key for e in own if e.api}
    assert api == documented, api ^ documented
    return {e.key for e in own}


def test_the_matrix_declares_every_route_and_only_routes(health: Health) -> None:
    routes = health_routes(health)
    assert "/v1/events" in operational_paths() and "/v1/outbox/status" in operational_paths()
    missing = sorted(routes - MATRIX.keys())
    assert not missing, f"routes without a row in MATRIX: {missing}"
    stale = sorted(MATRIX.keys() - routes)
    assert not stale, f"rows in MATRIX for routes the app does not have: {stale}"
    assert MATRIX.keys() == CALLS.keys()
    assert all(len(row) == len(CALLERS) for row in MATRIX.values())


@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda r: f"{r[0]} {r[1]}")
def test_every_caller_gets_what_the_matrix_says(health: Health, route: tuple[str, str]) -> None:
    club = health.club()
    world = World(health, club, health.member(club, is_volunteer=True))
    method, _ = route
    call = CALLS[route](world)
    headers = headers_of()
    answers: dict[str, int] = {}
    for caller, expected in zip(CALLERS, MATRIX[route], strict=True):
        before = state(health)
        reply = health.http.request(
            method, call.path, params=call.params, json=call.body, headers=headers[caller]
        )
        answers[caller] = reply.status_code
        if expected >= 400:
            assert reply.headers["content-type"].startswith("application/problem+json"), (
                caller,
                reply.text,
            )
            assert reply.json()["status"] == reply.status_code
            assert state(health) == before, (caller, reply.text)
    assert answers == dict(zip(CALLERS, MATRIX[route], strict=True)), answers
