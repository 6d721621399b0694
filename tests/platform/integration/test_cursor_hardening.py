"""Item 11: a list given a forged cursor, or the event log a garbage `after`, answers
a 422 naming the parameter, never a 500 (the cursors alone:
tests/platform/unit/test_cursor_decoding.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ishc_platform.auth import Role
from ishc_platform.pagination import encode_cursor
from ishc_platform.settings import Settings
from tests.helpers.hardening import SECRET, bearer, build, drop_keys, new_prefix
from tests.platform.unit.test_cursor_decoding import FORGED


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


def test_dead_letter_cursors_and_ids_are_stream_entry_ids(
    database_url: str, redis_url: str
) -> None:
    """Redis refuses a malformed stream id with an error of its own: it never gets one."""
    from ishc_reporting.app import create_app as create_reporting

    prefix = new_prefix()
    settings = Settings(
        database_url=database_url, redis_url=redis_url, jwt_secrets=SECRET, stream_prefix=prefix
    )
    try:
        check_dead_letters(create_reporting(settings), prefix)
    finally:
        drop_keys(redis_url, prefix)


def check_dead_letters(app: FastAPI, prefix: str) -> None:
    stream = {"stream": f"{prefix}ishc.registry"}
    with TestClient(app) as reporting:
        ops = bearer(Role.OPS)
        forged = encode_cursor({"after": "(abc"})
        listed = reporting.get("/v1/dead-letters", params={**stream, "cursor": forged}, headers=ops)
        assert listed.status_code == 422, listed.text
        assert listed.json()["errors"][0]["field"] == "cursor"
        redrive = reporting.post("/v1/dead-letters/abc/redrive", params=stream, headers=ops)
        assert redrive.status_code == 422, redrive.text
        missing = reporting.post("/v1/dead-letters/1-0/redrive", params=stream, headers=ops)
        assert missing.status_code == 404, missing.text
