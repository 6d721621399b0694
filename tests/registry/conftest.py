"""The registry over HTTP in-process, on a real database and a real Redis."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from ishc_platform.auth import Role, issue_token
from ishc_platform.broker import decode_entry
from ishc_platform.settings import Settings
from ishc_registry.app import create_app

SECRET = "r" * 48
VINH_LONG = "86"  # Tỉnh Vĩnh Long (current), with old Bến Tre and Trà Vinh
DONG_NAI = "75"
NHON_PHU = "29623"  # Xã Nhơn Phú, Vĩnh Long
DONG_NAI_COMMUNE_SAMPLE: str | None = None


def bearer(role: Role, *provinces: str, sub: str = "vinh-long-staff") -> dict[str, str]:
    token = issue_token(SECRET, sub=sub, role=role, provinces=provinces)
    return {"Authorization": f"Bearer {token}"}


VL = bearer(Role.PROVINCE, VINH_LONG)
DN = bearer(Role.PROVINCE, DONG_NAI, sub="dong-nai-staff")
NATIONAL = bearer(Role.NATIONAL, sub="vae")
OPS = bearer(Role.OPS, sub="ops")


class Registry:
    """A test client with the stream it publishes on."""

    def __init__(
        self, client: TestClient, redis_url: str, stream: str, database_url: str = ""
    ) -> None:
        self.http = client
        self.database_url = database_url
        self.redis = redis.Redis.from_url(redis_url)
        self.stream = stream

    def club(self, **overrides: Any) -> dict[str, Any]:
        body = {
            "name": "CLB Liên thế hệ Nhơn Phú",
            "commune_code": NHON_PHU,
            "founded_on": "2018-03-15",
            **overrides,
        }
        reply = self.http.post("/v1/clubs", json=body, headers=VL)
        assert reply.status_code == 201, reply.text
        return dict(reply.json())

    def member(self, club_id: str, **overrides: Any) -> dict[str, Any]:
        body = {
            "full_name": "Nguyễn Thị Lan",
            "sex": "female",
            "birth_year": 1952,
            "poverty_status": "near_poor",
            "joined_on": "2019-01-10",
            **overrides,
        }
        reply = self.http.post(f"/v1/clubs/{club_id}/members", json=body, headers=VL)
        assert reply.status_code == 201, reply.text
        return dict(reply.json())

    def events(self, settle: float = 2.0) -> list[dict[str, Any]]:
        """Every envelope on the stream, once the relay has caught up with the outbox."""
        import json

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
def open_registry(database_url: str, redis_url: str) -> Iterator[Registry]:
    """The registry app on this database, with its own streams (removed afterwards)."""
    prefix = f"test.{uuid.uuid4().hex[:10]}."
    settings = Settings(
        database_url=database_url, redis_url=redis_url, jwt_secrets=SECRET, stream_prefix=prefix
    )
    with TestClient(create_app(settings)) as client:
        yield Registry(client, redis_url, f"{prefix}ishc.registry", database_url)
    r = redis.Redis.from_url(redis_url)
    keys = r.keys(f"{prefix}*")
    if keys:
        r.delete(*keys)


@pytest.fixture
def registry(database_url: str, redis_url: str) -> Iterator[Registry]:
    with open_registry(database_url, redis_url) as opened:
        yield opened


@pytest.fixture
def pg_registry(fresh_postgres: str, redis_url: str) -> Iterator[Registry]:
    """The registry on PostgreSQL only: races need real concurrent transactions."""
    with open_registry(fresh_postgres, redis_url) as opened:
        yield opened
