"""Real Redis and PostgreSQL for the tests that concern them.

Where they come from, in order: `ISHC_TEST_REDIS_URL` / `ISHC_TEST_DATABASE_URL`;
the local servers on 127.0.0.1 when they answer; testcontainers when a Docker
engine answers; otherwise the session fails saying how to provide them.
Each test gets its own streams and its own database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import psycopg
import pytest
import redis
from redis.asyncio import Redis

from ishc_platform.clock import set_clock_start
from tests.helpers.services import docker_answers

# Programs pip cannot install (promtool, chromium): skip or, with CI=true, fail;
# and the tiers: unit/ tests use no server, integration/ tests are marked so.
pytest_plugins = ["tests.helpers.tools", "tests.helpers.tiers"]

LOCAL_REDIS = "redis://127.0.0.1:6379/0"
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
HOW = (
    "Set ISHC_TEST_REDIS_URL and ISHC_TEST_DATABASE_URL (a PostgreSQL database whose user may "
    "CREATE DATABASE), or run Redis on 127.0.0.1:6379 and PostgreSQL on 127.0.0.1:5432, or "
    "start a Docker engine for testcontainers. `.ci/run` shows how to start both locally."
)


TEST_CLOCK_START = datetime(2026, 11, 30, 18, 30, tzinfo=UTC)
"""Where every test's clock starts: 01:30 on 1 December 2026 in Vietnam, while
UTC still says 30 November, so a date taken from UTC instead of Vietnam's shows.
No test depends on the day it runs; a test that needs another day sets its own
(`set_clock_start`), and services started as processes get the test's clock
(`tests.helpers.services.ServiceProcess`)."""


# Clinical values are sealed under ISHC_HEALTH_KEYS, without which the health
# service does not start: a test key (a Fernet key, for tests only) for every app
# a test builds and every service it starts; a test of a missing key says so.
os.environ.setdefault("ISHC_HEALTH_KEYS", "dGVzdC1vbmx5LWhlYWx0aC1rZXktMzItYnl0ZXMhISE=")

# From the start of collection, so tokens that test modules make when imported
# are current on the same clock; then again at each test's start.
set_clock_start(TEST_CLOCK_START)


def pytest_collectstart(collector: pytest.Collector) -> None:
    """Again before each module or directory is collected: a token made at import
    carries that moment as its `iat`, and a slow collection (minutes, on a loaded
    machine) would otherwise put it past the skew a test's reset clock accepts."""
    set_clock_start(TEST_CLOCK_START)


@pytest.fixture(autouse=True)
def pinned_clock() -> Iterator[None]:
    set_clock_start(TEST_CLOCK_START)
    yield
    set_clock_start(TEST_CLOCK_START)


def _redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _postgres_answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    if url := os.environ.get("ISHC_TEST_REDIS_URL"):
        yield url
    elif _redis_answers(LOCAL_REDIS):
        yield LOCAL_REDIS
    elif docker_answers():
        from testcontainers.redis import RedisContainer

        with RedisContainer("redis:7") as container:
            host, port = container.get_container_host_ip(), container.get_exposed_port(6379)
            yield f"redis://{host}:{port}/0"
    else:
        pytest.fail(f"No Redis for the tests. {HOW}", pytrace=False)


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    if url := os.environ.get("ISHC_TEST_DATABASE_URL"):
        yield url.replace("postgresql+psycopg://", "postgresql://")
    elif _postgres_answers(LOCAL_POSTGRES):
        yield LOCAL_POSTGRES
    elif docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16", driver=None) as container:
            yield container.get_connection_url()
    else:
        pytest.fail(f"No PostgreSQL for the tests. {HOW}", pytrace=False)


@pytest.fixture
def fresh_postgres(postgres_admin_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"ishc_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = postgres_admin_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: object) -> str:
    """Each test that takes this runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/service.db"
    return str(request.getfixturevalue("fresh_postgres"))


@pytest.fixture
def stream_name() -> str:
    return f"test.{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def redis_client(redis_url: str, stream_name: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    try:
        yield client
    finally:
        keys = await client.keys(f"{stream_name}*")
        if keys:
            await client.delete(*keys)
        await client.aclose()
