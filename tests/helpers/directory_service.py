"""What the finance and health tests share: the service over HTTP in-process, on
a real database and a real Redis, with the directory rows it reads put in its
database directly, as its consumer would from registry events (the finance
tests' `test_directory.py` and the end-to-end tests show them arriving as events)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert

from ishc_platform.auth import Role, issue_token
from ishc_platform.broker import decode_entry
from ishc_platform.db import make_sync_engine
from ishc_platform.directory import DirectoryClub, DirectoryMember

VINH_LONG = "86"
DONG_NAI = "75"
OPS_SUB = "ops"


class DirectoryService:
    """A service that keeps the registry's directory (finance, health): its test
    client, the directory rows it reads, and the stream it publishes on."""

    def __init__(
        self,
        client: TestClient,
        database_url: str,
        redis_url: str,
        stream: str,
        secret: str,
    ) -> None:
        self.http = client
        token = issue_token(secret, sub=OPS_SUB, role=Role.OPS)
        self.ops = {"Authorization": f"Bearer {token}"}
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
            status = self.http.get("/v1/outbox/status", headers=self.ops).json()
            if status["unpublished"] == 0 and count == last:
                break
            last = count
            time.sleep(0.05)
        return [json.loads(decode_entry(f)) for _, f in self.redis.xrange(self.stream)]

    def raw_stream(self) -> bytes:
        return b"".join(b"".join(f.values()) for _, f in self.redis.xrange(self.stream))


@contextmanager
def open_service(
    app: FastAPI, database_url: str, redis_url: str, stream: str, prefix: str, secret: str
) -> Iterator[DirectoryService]:
    """`app` running, publishing on `prefix` + `stream` (its keys removed afterwards)."""
    with TestClient(app) as client:
        yield DirectoryService(client, database_url, redis_url, prefix + stream, secret)
    r = redis.Redis.from_url(redis_url)
    keys = r.keys(f"{prefix}*")
    if keys:
        r.delete(*keys)


def stream_prefix() -> str:
    return f"test.{uuid.uuid4().hex[:10]}."
