"""Item 14: requests per minute per token, and per address without a valid token,
shared by replicas through a real Redis; 429 with Retry-After; fail open."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from ishc_platform.auth import Role
from ishc_platform.clock import set_clock_start
from tests.helpers.hardening import bearer, build, drop_keys, new_prefix
from tests.helpers.services import free_port

pytestmark = pytest.mark.integration


TEN_SECONDS_INTO_A_MINUTE = datetime(2026, 3, 2, 8, 30, 10, tzinfo=UTC)


@pytest.fixture(autouse=True)
def ten_seconds_into_a_minute() -> Iterator[None]:
    """The window's position is pinned, so the expected Retry-After is known."""
    set_clock_start(TEN_SECONDS_INTO_A_MINUTE)
    yield
    set_clock_start(None)


def the_window_starts() -> None:
    """Pinned again once the replicas have started: their start can take most of
    a minute on a loaded machine, and the counting must not cross into the next."""
    set_clock_start(TEN_SECONDS_INTO_A_MINUTE)


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    value = new_prefix()
    yield value
    drop_keys(redis_url, value)


def replicas(tmp_path: Path, redis_url: str, prefix: str, **limits: int) -> list[TestClient]:
    """Two instances of one service: one database, one Redis, one prefix.

    These tests check the counting, not Redis's latency: a generous timeout keeps
    a stall of a loaded CI machine from failing them open (that path has its own test).
    """
    database = f"sqlite:///{tmp_path}/registry.db"
    return [
        TestClient(build(database, redis_url, prefix, rate_limit_timeout_seconds=5.0, **limits))
        for _ in range(2)
    ]


def test_replicas_share_one_budget_per_token_and_other_tokens_keep_theirs(
    tmp_path: Path, redis_url: str, prefix: str
) -> None:
    a, b = replicas(tmp_path, redis_url, prefix, rate_limit_per_minute=10)
    with a, b:
        the_window_starts()
        alice = bearer(Role.PROVINCE, "86", sub="alice")
        answers = [(a if n % 2 else b).get("/v1/things", headers=alice) for n in range(10)]
        assert [r.status_code for r in answers] == [200] * 10
        refused = a.get("/v1/things", headers=alice)
        assert refused.status_code == 429
        assert b.get("/v1/things", headers=alice).status_code == 429  # the other replica too
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"].endswith("/rate-limited")
        retry_after = int(refused.headers["retry-after"])
        assert 50 <= retry_after <= 60  # this minute's 10, then most of the next one's weight

        # Another token (another subject, or the same subject with another role) is
        # not affected; neither is the anonymous budget.
        assert a.get("/v1/things", headers=bearer(Role.PROVINCE, "86", sub="bob")).is_success
        assert b.get("/v1/things", headers=bearer(Role.NATIONAL, sub="alice")).is_success
        assert a.get("/openapi.json").status_code == 200


def test_without_a_valid_token_the_budget_is_the_address_s(
    tmp_path: Path, redis_url: str, prefix: str
) -> None:
    a, b = replicas(tmp_path, redis_url, prefix, rate_limit_anonymous_per_minute=4)
    forged = {"Authorization": "Bearer not.a.token"}
    with a, b:
        the_window_starts()
        statuses = [
            a.get("/v1/things").status_code,
            b.get("/v1/things", headers=forged).status_code,
            a.get("/openapi.json").status_code,
            b.get("/v1/things", headers=forged).status_code,
        ]
        assert statuses == [401, 401, 200, 401]
        refused = a.get("/v1/things", headers=forged)  # a forged token buys no fresh budget
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert b.get("/openapi.json").status_code == 429
        # Health, readiness and metrics are never limited.
        assert a.get("/healthz").status_code == 200
        assert b.get("/readyz").status_code == 200
        assert a.get("/metrics").status_code == 200
        # A valid token has its own budget.
        assert a.get("/v1/things", headers=bearer(Role.OPS)).status_code == 200


def test_a_limit_of_zero_turns_it_off(tmp_path: Path, redis_url: str, prefix: str) -> None:
    (a, _) = replicas(
        tmp_path, redis_url, prefix, rate_limit_per_minute=0, rate_limit_anonymous_per_minute=0
    )
    with a:
        assert all(a.get("/v1/things", headers=bearer(Role.OPS)).is_success for _ in range(30))
        assert all(a.get("/openapi.json").is_success for _ in range(30))


def _unavailable() -> float:
    return (
        REGISTRY.get_sample_value("ishc_rate_limit_unavailable_total", {"service": "registry"})
        or 0.0
    )


def test_without_redis_requests_go_through_and_are_counted(tmp_path: Path) -> None:
    app = build(
        f"sqlite:///{tmp_path}/registry.db",
        f"redis://127.0.0.1:{free_port()}/0",
        new_prefix(),
        rate_limit_per_minute=2,
    )
    before = _unavailable()
    with TestClient(app) as client:
        started = time.perf_counter()
        replies = [client.get("/v1/things", headers=bearer(Role.OPS)) for _ in range(20)]
        elapsed = time.perf_counter() - started
    assert [r.status_code for r in replies] == [200] * 20  # fail open
    assert _unavailable() - before == 20
    assert elapsed < 5  # one failed attempt, then the limiter leaves Redis alone a while


def test_retry_after_is_when_one_more_request_fits() -> None:
    from ishc_platform.ratelimit import retry_after

    # 10 of 10 this window, 10 s in: wait for the window to end and most of the
    # next one, until 10·(120−e)/60 ≤ 9, i.e. e ≥ 66 s.
    assert retry_after(10, current=10, previous=0, elapsed=10) == 56
    # 5 now and 10 in the previous window, 30 s in: 10·(60−e)/60 ≤ 4 at e = 36 s.
    assert retry_after(10, current=5, previous=10, elapsed=30) == 6
    assert retry_after(1, current=1, previous=0, elapsed=59.5) == 61
