"""The health service over HTTP in-process, on a real database and a real Redis.

Health learns its clubs and members from registry events (its directory). These
tests put directory rows in its database directly, as the consumer would, so each
test states the clubs and members it needs; the finance tests'
`test_directory.py` and the end-to-end tests show the same rows arriving as events.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import insert

from ishc_health.app import create_app
from ishc_health.settings import HealthSettings
from ishc_platform.auth import Role, issue_token
from ishc_platform.broker import decode_entry
from ishc_platform.db import make_sync_engine
from ishc_platform.directory import DirectoryClub, DirectoryMember
from ishc_platform.settings import Settings

SECRET = "h" * 48
# A Fernet key (urlsafe base64 of 32 bytes), for tests only.
HEALTH_KEY = "aGVhbHRoLXRlc3Qta2V5LW9mLTMyLWJ5dGVzLWxvbmc="
VINH_LONG = "86"
DONG_NAI = "75"


def bearer(role: Role, *provinces: str, sub: str = "vinh-long-staff") -> dict[str, str]:
    token = issue_token(SECRET, sub=sub, role=role, provinces=provinces)
    return {"Authorization": f"Bearer {token}"}


VL = bearer(Role.PROVINCE, VINH_LONG)
DN = bearer(Role.PROVINCE, DONG_NAI, sub="dong-nai-staff")
NATIONAL = bearer(Role.NATIONAL, sub="vae")
OPS = bearer(Role.OPS, sub="ops")


class Health:
    """A test client, the directory it reads, and the stream it publishes on."""

    def __init__(self, client: TestClient, database_url: str, redis_url: str, stream: str) -> None:
        self.http = client
        self.database_url = database_url
        self.redis = redis.Redis.from_url(redis_url)
        self.stream = stream

    def _insert(self, table: Any, row: dict[str, Any]) -> None:
        engine = make_sync_engine(self.database_url)
        try:
            with engine.begin() as connection:
                connection.execute(insert(table), [row])
        finally:
            engine.dispose()

    def club(
        self,
        province: str = VINH_LONG,
        founded_on: date = date(2018, 3, 15),
        dissolved_on: date | None = None,
    ) -> str:
        """A club in the directory, as the registry's `club.registered` puts it."""
        club_id = str(uuid.uuid4())
        self._insert(
            DirectoryClub.__table__,  # type: ignore[attr-defined]
            {
                "club_id": club_id,
                "province": province,
                "commune_code": "29623" if province == VINH_LONG else "26098",
                "founded_on": founded_on,
                "placement_sequence": 1,
                "dissolved_on": dissolved_on,
                "status_sequence": 2 if dissolved_on else 0,
            },
        )
        return club_id

    def member(
        self,
        club_id: str,
        province: str = VINH_LONG,
        joined_on: date = date(2019, 1, 10),
        left_on: date | None = None,
        is_volunteer: bool = False,
    ) -> str:
        member_id = str(uuid.uuid4())
        self._insert(
            DirectoryMember.__table__,  # type: ignore[attr-defined]
            {
                "member_id": member_id,
                "club_id": club_id,
                "province": province,
                "joined_on": joined_on,
                "is_volunteer": is_volunteer,
                "facts_sequence": 1,
                "left_on": left_on,
                "status_sequence": 2 if left_on else 0,
            },
        )
        return member_id

    def events(self, settle: float = 2.0) -> list[dict[str, Any]]:
        """Every envelope on the stream, once the relay has caught up with the outbox."""
        deadline = time.monotonic() + settle
        last = -1
        while time.monotonic() < deadline:
            count = self.redis.xlen(self.stream)
            status = self.http.get("/v1/outbox/status", headers=OPS).json()
            if status["unpublished"] == 0 and count == last:
                break
            last = count
            time.sleep(0.05)
        return [json.loads(decode_entry(f)) for _, f in self.redis.xrange(self.stream)]

    def raw_stream(self) -> bytes:
        return b"".join(b"".join(f.values()) for _, f in self.redis.xrange(self.stream))


@contextmanager
def open_health(database_url: str, redis_url: str) -> Iterator[Health]:
    """The health app on this database, with its own streams (removed afterwards)."""
    prefix = f"test.{uuid.uuid4().hex[:10]}."
    settings = Settings(
        database_url=database_url, redis_url=redis_url, jwt_secrets=SECRET, stream_prefix=prefix
    )
    with TestClient(create_app(settings, HealthSettings(keys=HEALTH_KEY))) as client:
        yield Health(client, database_url, redis_url, f"{prefix}ishc.health")
    r = redis.Redis.from_url(redis_url)
    keys = r.keys(f"{prefix}*")
    if keys:
        r.delete(*keys)


@pytest.fixture
def health(database_url: str, redis_url: str) -> Iterator[Health]:
    with open_health(database_url, redis_url) as opened:
        yield opened


@pytest.fixture
def pg_health(fresh_postgres: str, redis_url: str) -> Iterator[Health]:
    """Health on PostgreSQL only: races need real concurrent transactions."""
    with open_health(fresh_postgres, redis_url) as opened:
        yield opened
