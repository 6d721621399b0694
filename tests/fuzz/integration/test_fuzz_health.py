"""Health's OpenAPI, fuzzed under every role, stateless and stateful
(tests/fuzz/harness.py says how), on PostgreSQL, over a club and a member of the
directory whose consent, health check and exercise session are loaded through the API."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from ishc_health.app import create_app
from ishc_health.settings import HealthSettings
from tests.fuzz.harness import (
    Target,
    check_every_operation,
    check_sequences,
    directory_rows,
    roles,
    running,
    settings_for,
)

pytestmark = pytest.mark.integration
# A Fernet key (urlsafe base64 of 32 bytes), for tests only.
HEALTH_KEY = "ZnV6ei10ZXN0LWhlYWx0aC1rZXktb2YtMzItYnl0ZSE="


def load(target: Target, database_url: str) -> None:
    club_id, member_id = directory_rows(database_url)
    province = roles()["province"]
    target.created(
        f"/v1/members/{member_id}/consent",
        {
            "given_on": "2025-01-02",
            "purpose": "Khám sức khỏe định kỳ",
            "scopes": ["health_checks", "home_care"],
        },
        province,
    )
    target.created(
        f"/v1/members/{member_id}/health-checks",
        {"checked_on": "2026-11-20", "checker": "station", "systolic_mmhg": 130},
        province,
    )
    target.created(
        f"/v1/clubs/{club_id}/exercise-sessions",
        {"held_on": "2026-11-30", "participants": 1},
        province,
    )
    # A read of the health book is logged: the access list then names the member.
    reply = target.client.get(
        f"/v1/members/{member_id}/health-book",
        params={"reason": "Theo dõi định kỳ"},
        headers=province,
    )
    assert reply.status_code == 200, reply.text
    target.ids.update(club_id=club_id, member_id=member_id)


@pytest.fixture(scope="module")
def health(postgres_admin_url: str, redis_url: str) -> Iterator[Target]:
    """Health on PostgreSQL (the other services run on SQLite): its own database,
    dropped afterwards."""
    name = f"ishc_fuzz_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    database_url = f"{postgres_admin_url.rsplit('/', 1)[0]}/{name}"
    try:
        settings = settings_for(database_url, redis_url)
        app = create_app(settings, HealthSettings(keys=HEALTH_KEY))
        with running("health", app, settings, redis_url) as target:
            load(target, database_url)
            yield target
    finally:
        with psycopg.connect(postgres_admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_every_operation_under_every_role(health: Target) -> None:
    check_every_operation(health)


def test_sequences_follow_the_links(health: Target) -> None:
    check_sequences(health)
