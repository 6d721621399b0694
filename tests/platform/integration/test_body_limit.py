"""Item 13: request bodies are bounded before they are read, on every route.

Real large bodies go through the factory's app: by TestClient (a declared
Content-Length), and by a raw ASGI driver that hands the body over chunk by
chunk, lazily, without Content-Length (a chunked upload), so the test sees how
much of it the app pulled before answering."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from ishc_platform.auth import Role
from tests.helpers.hardening import (
    MiB,
    bearer,
    build,
    calls,
    chunks_of,
    drive,
    drop_keys,
    new_prefix,
    running,
)

pytestmark = pytest.mark.integration
CHUNK = 64 * 1024


@pytest.fixture
def database(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/registry.db"


@pytest.fixture
def app(database: str, redis_url: str) -> Iterator[FastAPI]:
    prefix = new_prefix()
    yield build(database, redis_url, prefix)
    drop_keys(redis_url, prefix)


def assert_too_large(status: int | None, content_type: str, body: dict[str, object]) -> None:
    assert status == 413
    assert content_type == "application/problem+json"
    assert body["status"] == 413 and "larger than the limit" in str(body["detail"])


def test_a_100_mb_json_body_is_refused_by_its_length_and_never_read(app: FastAPI) -> None:
    huge = b'{"text": "' + b"x" * (100 * 1000 * 1000) + b'"}'
    with TestClient(app) as client:
        reply = client.post(
            "/v1/echo",
            content=huge,
            headers={**bearer(Role.PROVINCE, "86"), "Content-Type": "application/json"},
        )
    assert_too_large(reply.status_code, reply.headers["content-type"], reply.json())
    assert reply.json()["max_bytes"] == MiB
    assert reply.headers["x-request-id"]  # logged and counted like any answer
    assert "echo" not in calls  # the handler never ran


async def test_a_declared_length_over_the_limit_is_answered_before_one_byte_is_read(
    app: FastAPI,
) -> None:
    async with running(app):
        ex = await drive(
            app,
            "POST",
            "/v1/echo",
            headers={
                **bearer(Role.PROVINCE, "86"),
                "content-type": "application/json",
                "content-length": str(100 * 1000 * 1000),
            },
            body=chunks_of(100 * 1000 * 1000, CHUNK),
        )
    assert ex.status == 413
    assert ex.pulled_chunks == 0
    assert "echo" not in calls


async def test_a_chunked_body_without_length_stops_being_read_at_the_limit(app: FastAPI) -> None:
    async with running(app):
        ex = await drive(
            app,
            "POST",
            "/v1/echo",
            headers={**bearer(Role.PROVINCE, "86"), "content-type": "application/json"},
            body=chunks_of(100 * 1000 * 1000, CHUNK),
        )
    assert ex.status == 413
    assert ex.headers["content-type"] == "application/problem+json"
    assert ex.pulled_bytes <= MiB + CHUNK  # one chunk past the limit, then no more reading
    assert "echo" not in calls


async def test_a_50_mb_upload_with_an_idempotency_key_is_not_buffered(
    app: FastAPI, database: str
) -> None:
    headers = {
        **bearer(Role.PROVINCE, "86"),
        "content-type": "text/csv",
        "idempotency-key": "upload-1",
    }
    async with running(app):
        chunked = await drive(app, "POST", "/v1/imports", headers=headers, body=chunks_of(50 * MiB))
        declared = await drive(
            app,
            "POST",
            "/v1/imports",
            headers={**headers, "content-length": str(50 * MiB)},
            body=chunks_of(50 * MiB),
        )
        # The key was never claimed: the same key still works for a file within the limit.
        small = await drive(app, "POST", "/v1/imports", headers=headers, body=[b"a,b\n1,2\n"])
    assert chunked.status == 413 and chunked.pulled_bytes <= 20 * MiB + CHUNK
    assert declared.status == 413 and declared.pulled_chunks == 0
    assert small.status == 200 and calls["imports"] == 1
    engine = create_engine(database)
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM idempotency")) == 1
    engine.dispose()


def test_uploads_have_the_larger_limit_and_other_routes_the_smaller(app: FastAPI) -> None:
    two_mib = b"x" * (2 * MiB)
    with TestClient(app) as client:
        upload = client.post("/v1/imports", content=two_mib, headers=bearer(Role.PROVINCE, "86"))
        assert upload.status_code == 200 and upload.json() == {"bytes": 2 * MiB}
        json_route = client.post(
            "/v1/echo",
            json={"text": "x" * (2 * MiB)},
            headers=bearer(Role.PROVINCE, "86"),
        )
        assert json_route.status_code == 413
        # Every route and method: a GET with a body, an unknown route, an ops route.
        assert client.request("GET", "/v1/events", content=two_mib).status_code == 413
        assert client.request("POST", "/v1/nowhere", content=two_mib).status_code == 413
        within = client.post("/v1/echo", json={"text": "ok"}, headers=bearer(Role.PROVINCE, "86"))
        assert within.status_code == 200


def test_the_limits_come_from_the_settings(database: str, redis_url: str) -> None:
    prefix = new_prefix()
    app = build(database, redis_url, prefix, max_body_bytes=4096, max_upload_bytes=8192)
    try:
        with TestClient(app) as client:
            headers = bearer(Role.PROVINCE, "86")
            assert (
                client.post("/v1/echo", json={"text": "x" * 5000}, headers=headers).status_code
                == 413
            )
            assert (
                client.post("/v1/imports", content=b"x" * 6000, headers=headers).status_code == 200
            )
            reply = client.post("/v1/imports", content=b"x" * 9000, headers=headers)
            assert reply.status_code == 413 and reply.json()["max_bytes"] == 8192
    finally:
        drop_keys(redis_url, prefix)


async def test_a_malformed_content_length_is_a_400_not_a_500(app: FastAPI) -> None:
    async with running(app):
        ex = await drive(app, "POST", "/v1/echo", headers={"content-length": "12abc"}, body=[b"{}"])
    assert ex.status == 400
    assert ex.headers["content-type"] == "application/problem+json"
