"""Redis loses its data while reporting is stopped (the outside probe's hole):
the registry and reporting as real processes on a redis-server of the test's
own, wiped by FLUSHALL or by a restart without persistence. Reporting must end
equal to the registry by itself (backfill from the registry's event log, ADR
0005), with no rebuild, counting each member once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from ishc_platform.auth import Role, issue_token
from tests.helpers.e2e import wait_for as shared_wait_for
from tests.helpers.services import ServiceProcess, free_port, redis_server_binary, wait_for_port

pytestmark = pytest.mark.e2e
SECRET = "l" * 48
STREAM = "ishc.registry"
BEFORE, LOST = 10, 200


class ScratchRedis:
    """A redis-server without persistence on a free port: a restart loses everything."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                redis_server_binary(), "--bind", "127.0.0.1", "--port", str(self.port),
                "--save", "", "--appendonly", "no", "--dir", str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self.process = None

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)


@pytest.fixture
def scratch_redis(tmp_path: Path) -> Iterator[ScratchRedis]:
    server = ScratchRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def headers(role: Role, *provinces: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {issue_token(SECRET, sub='e2e', role=role, provinces=provinces)}"
    }


def wait_for(read: Callable[[], Any], expected: Any, seconds: float) -> Any:
    return shared_wait_for(read, expected, seconds, every=0.2)


def metric(base_url: str, name: str, **labels: str) -> float | None:
    with urllib.request.urlopen(f"{base_url}/metrics", timeout=5) as reply:
        text = reply.read().decode()
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(f"{name}{{"):
            series, value = line.rsplit(" ", 1)
            found = ",".join(sorted(series[len(name) + 1 : -1].split(",")))
            if found == wanted:
                return float(value)
    return None


@pytest.mark.parametrize("wipe", ["flushall", "restart"])
def test_reporting_recovers_events_redis_lost_from_the_registry_log(
    wipe: str, scratch_redis: ScratchRedis, tmp_path: Path
) -> None:
    env = {
        "ISHC_JWT_SECRETS": SECRET,
        "ISHC_REDIS_URL": scratch_redis.url,
        "ISHC_RELAY_POLL_SECONDS": "1",
        "ISHC_CONSUMER_BLOCK_MS": "100",
        "ISHC_LOG_JSON": "false",
        "ISHC_RATE_LIMIT_PER_MINUTE": "0",
        "ISHC_RATE_LIMIT_ANONYMOUS_PER_MINUTE": "0",
    }
    registry = ServiceProcess(
        "registry",
        {**env, "ISHC_DATABASE_URL": f"sqlite:///{tmp_path}/registry.db"},
        tmp_path / "registry.log",
    )
    reporting_env = {
        **env,
        "ISHC_DATABASE_URL": f"sqlite:///{tmp_path}/reporting.db",
        "ISHC_EVENT_SOURCES": f"registry={registry.url}",
        "ISHC_BACKFILL_INTERVAL_SECONDS": "1",
        "ISHC_BACKFILL_GRACE_SECONDS": "1",
        "ISHC_BACKFILL_PAGE_SIZE": "50",
    }
    reporting = ServiceProcess("reporting", reporting_env, tmp_path / "reporting.log")
    province = headers(Role.PROVINCE, "86")
    ops = headers(Role.OPS)
    try:
        registry.start()
        reporting.start()
        writer = httpx.Client(base_url=registry.url, timeout=10, headers=province)
        reader = httpx.Client(base_url=reporting.url, timeout=10, headers=province)

        def join(club: str, n: int) -> None:
            reply = writer.post(f"/v1/clubs/{club}/members", json={
                "full_name": f"Hội viên {n}", "sex": "female" if n % 3 else "male",
                "birth_year": 1950 + n % 40, "poverty_status": "poor" if n % 2 else "none",
                "joined_on": "2021-01-01",
            })  # fmt: skip
            assert reply.status_code == 201, reply.text

        def reported() -> int:
            reply = reader.get("/v1/indicators/provinces/86")
            assert reply.status_code == 200, reply.text
            return int(reply.json()["indicators"]["members"])

        def registered(club: str) -> int:
            count, cursor = 0, None
            while True:
                params: dict[str, Any] = {"limit": 500, **({"cursor": cursor} if cursor else {})}
                page = writer.get(f"/v1/clubs/{club}/members", params=params).json()
                count += len(page["items"])
                if not (cursor := page["next_cursor"]):
                    return count

        def outbox() -> dict[str, Any]:
            return dict(writer.get("/v1/outbox/status", headers=ops).json())

        reply = writer.post("/v1/clubs", json={
            "name": "CLB Nhơn Phú", "commune_code": "29623", "founded_on": "2020-01-01",
        })  # fmt: skip
        assert reply.status_code == 201, reply.text
        club = reply.json()["id"]
        for n in range(BEFORE):
            join(club, n)
        assert wait_for(reported, BEFORE, 30) == BEFORE

        def group_done() -> bool:
            client = scratch_redis.client()
            last = client.xinfo_stream(STREAM)["last-generated-id"]
            groups = client.xinfo_groups(STREAM)
            mine = [g for g in groups if g["name"] in (b"reporting", "reporting")]
            return bool(mine) and not mine[0]["pending"] and mine[0]["last-delivered-id"] == last

        assert wait_for(group_done, True, 30)
        reporting.stop()
        published_before = outbox()["published"]

        for n in range(BEFORE, BEFORE + LOST):
            join(club, n)
        assert wait_for(lambda: outbox()["unpublished"], 0, 30) == 0
        lost = outbox()["published"] - published_before
        assert lost >= LOST  # one event per member joined, at least
        assert scratch_redis.client().xlen(STREAM) > lost  # they reached Redis...

        if wipe == "flushall":
            scratch_redis.client().flushall()
        else:
            scratch_redis.stop()
            scratch_redis.start()  # same port, no data: nothing was persisted
        assert not scratch_redis.client().exists(STREAM)  # ...and Redis lost them

        reporting.start()
        assert wait_for(reported, BEFORE + LOST, 60) == BEFORE + LOST
        assert registered(club) == BEFORE + LOST  # reporting equals the registry

        labels = {"consumer": "reporting", "source": "registry"}
        assert (
            wait_for(
                lambda: metric(reporting.url, "ishc_consumer_log_gap_events", **labels), 0.0, 10
            )
            == 0.0
        )
        # Exactly the events Redis lost came from the log: none applied twice.
        backfilled = metric(reporting.url, "ishc_consumer_log_backfilled_events_total", **labels)
        assert backfilled == lost
        with urllib.request.urlopen(f"{reporting.url}/readyz", timeout=5) as ready:
            detail = json.loads(ready.read())["backfill"]["registry"]
        assert detail["state"] == "ok" and detail["behind"] == 0, detail
        assert detail["backfilled"] == lost and detail["last_checked"], detail
        time.sleep(2)  # further passes and stream entries change nothing
        assert reported() == BEFORE + LOST
    finally:
        reporting.stop()
        registry.stop()
