"""Item 11: a forged or garbled cursor, or a garbage `after`, is a 422 naming the
parameter, never a 500."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ishc_platform.auth import Role
from ishc_platform.errors import Problem
from ishc_platform.pagination import decode_cursor, encode_cursor
from tests.helpers.hardening import bearer, build, drop_keys, new_prefix


def forge(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


FORGED = {
    "int": encode_cursor({"after": 1}),
    "float": encode_cursor({"after": 1.5}),
    "bool": encode_cursor({"after": True}),
    "null": encode_cursor({"after": None}),
    "list": encode_cursor({"after": ["a"]}),
    "object": encode_cursor({"after": {"$gt": ""}}),
    "nul": encode_cursor({"after": "a\x00b"}),
    "long-value": encode_cursor({"after": "x" * 300}),
    "extra-key": encode_cursor({"after": "a", "b": "c"}),
    "not-an-object": forge(b'["after"]'),
    "bad-utf8": forge(b'{"after":"\xff\xfe"}'),
    "not-json": forge(b"after=1"),
    "nested": forge(b"[" * 300 + b"]" * 300),
    "bad-base64": "!!!*",
    "non-ascii": "ключ",
    "empty": "",
    "too-long": "A" * 600,
}


@pytest.mark.parametrize("cursor", FORGED.values(), ids=FORGED.keys())
def test_a_forged_cursor_is_a_422_naming_cursor(cursor: str) -> None:
    with pytest.raises(Problem) as caught:
        decode_cursor(cursor, {"after"})
    assert caught.value.status == 422
    assert caught.value.errors and caught.value.errors[0]["field"] == "cursor"


def test_deep_nesting_that_exhausts_recursion_is_a_422(monkeypatch: pytest.MonkeyPatch) -> None:
    def too_deep(_: Any) -> Any:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(json, "loads", too_deep)
    with pytest.raises(Problem) as caught:
        decode_cursor(encode_cursor({"after": "a"}), {"after"})
    assert caught.value.status == 422


def test_callers_may_name_other_value_types() -> None:
    cursor = encode_cursor({"at": 12, "id": "c-9"})
    assert decode_cursor(cursor, {"at": int, "id": str}) == {"at": 12, "id": "c-9"}
    with pytest.raises(Problem):
        decode_cursor(cursor, {"at", "id"})  # by default every value is a string
    with pytest.raises(Problem):
        decode_cursor(encode_cursor({"at": True, "id": "c"}), {"at": int, "id": str})
    with pytest.raises(Problem):
        decode_cursor(encode_cursor({"at": 2**70, "id": "c"}), {"at": int, "id": str})
    assert decode_cursor(encode_cursor({"after": "Nguyễn"}), {"after"}) == {"after": "Nguyễn"}


@pytest.fixture
def client(database_url: str, redis_url: str) -> Iterator[TestClient]:
    prefix = new_prefix()
    app: FastAPI = build(database_url, redis_url, prefix)
    with TestClient(app) as test_client:
        yield test_client
    drop_keys(redis_url, prefix)


@pytest.mark.integration
@pytest.mark.parametrize("name", ["int", "list", "object", "nul", "bad-utf8", "nested"])
def test_a_list_given_a_forged_cursor_answers_422(client: TestClient, name: str) -> None:
    reply = client.get(
        "/v1/things", params={"cursor": FORGED[name]}, headers=bearer(Role.PROVINCE, "86")
    )
    assert reply.status_code == 422, reply.text
    assert reply.json()["errors"][0]["field"] == "cursor"


@pytest.mark.integration
@pytest.mark.parametrize(
    "after",
    ["\x00", "a\x00" * 10, "x" * 10_000, "not-a-uuid", "0190f0a0-0000-7000-8000-00000000000g"],
    ids=["nul", "nuls", "10k", "word", "bad-hex"],
)
def test_the_event_log_answers_422_for_a_garbage_after(client: TestClient, after: str) -> None:
    reply = client.get("/v1/events", params={"after": after}, headers=bearer(Role.OPS))
    assert reply.status_code == 422, reply.text
    assert reply.json()["errors"][0]["field"] == "after"
