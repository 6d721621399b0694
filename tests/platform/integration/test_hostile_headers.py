"""Odd header values answer a 4xx or are ignored, never a 500: a giant or garbled
`X-Request-Id`, a 100 KB bearer token (item 7's `Idempotency-Key` cases are in
test_idempotency_scope.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ishc_platform.auth import Role
from tests.helpers.hardening import bearer, build, drive, drop_keys, new_prefix, running

pytestmark = pytest.mark.integration


@pytest.fixture
def app(tmp_path: Path, redis_url: str) -> Iterator[FastAPI]:
    prefix = new_prefix()
    yield build(f"sqlite:///{tmp_path}/registry.db", redis_url, prefix)
    drop_keys(redis_url, prefix)


def test_a_giant_request_id_is_replaced_not_echoed(app: FastAPI) -> None:
    with TestClient(app) as client:
        reply = client.get("/healthz", headers={"X-Request-Id": "r" * 100_000})
    assert reply.status_code == 200
    assert len(reply.headers["x-request-id"]) == 32


@pytest.mark.parametrize("value", [b"abc\n", b"abc\r\nSet-Cookie: x=1", b"\xff\xfe", b"a b"])
async def test_a_garbled_request_id_is_replaced_not_echoed(app: FastAPI, value: bytes) -> None:
    async with running(app):
        ex = await drive(app, "GET", "/healthz", headers={"x-request-id": value})
    assert ex.status == 200
    assert len(ex.headers["x-request-id"]) == 32 and ex.headers["x-request-id"].isalnum()


def test_a_100_kb_bearer_token_is_a_401(app: FastAPI) -> None:
    huge = {"Authorization": "Bearer " + "a" * 100_000}
    with TestClient(app) as client:
        for reply in [
            client.get("/v1/things", headers=huge),
            client.get("/v1/events", headers=huge),
            client.post("/v1/echo", json={"text": "x"}, headers={**huge, "Idempotency-Key": "k"}),
        ]:
            assert reply.status_code == 401, reply.text
            assert reply.headers["content-type"] == "application/problem+json"
        # and a good token still works afterwards
        assert client.get("/v1/things", headers=bearer(Role.OPS)).status_code == 200


async def test_a_100_kb_idempotency_key_is_a_422(app: FastAPI) -> None:
    body = b'{"text": "x"}'
    async with running(app):
        ex = await drive(
            app,
            "POST",
            "/v1/echo",
            headers={
                **bearer(Role.PROVINCE, "86"),
                "content-type": "application/json",
                "idempotency-key": "k" * 100_000,
            },
            body=[body],
        )
    assert ex.status == 422
    assert json.loads(ex.body)["errors"][0]["field"] == "Idempotency-Key"
