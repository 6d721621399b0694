"""Item 7: a stored idempotent answer is replayed only to the authority that
earned it (subject, role and provinces), and odd keys or paths never 500.

On SQLite and PostgreSQL (PostgreSQL refuses NUL in text, so the store must
never be handed one)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from ishc_platform.auth import Role
from ishc_platform.db import make_sync_engine
from tests.helpers.hardening import bearer, build, calls, drive, drop_keys, new_prefix, running

pytestmark = pytest.mark.integration
PERSON = {"full_name": "Nguyễn Thị Đào", "birth_date": "1950-03-08"}


@pytest.fixture
def app(database_url: str, redis_url: str) -> Iterator[FastAPI]:
    prefix = new_prefix()
    yield build(database_url, redis_url, prefix)
    drop_keys(redis_url, prefix)


def post(
    client: TestClient, headers: dict[str, str], body: dict[str, Any], province: str = "86"
) -> Any:
    return client.post(f"/v1/provinces/{province}/people", json=body, headers=headers)


def test_a_stored_answer_is_replayed_only_to_the_same_sub_role_and_provinces(
    app: FastAPI,
) -> None:
    key = {"Idempotency-Key": "add-dao-1"}
    owner = {**bearer(Role.PROVINCE, "86", sub="alice"), **key}
    with TestClient(app) as client:
        first = post(client, owner, PERSON)
        assert first.status_code == 201

        # Same `sub`, other authorities: the stored answer (a name, a birth date) is
        # never theirs. Their request runs under their own authority instead.
        for role, provinces in [
            (Role.PROVINCE, ("01",)),
            (Role.NATIONAL, ()),
            (Role.OPS, ()),
        ]:
            other = post(client, {**bearer(role, *provinces, sub="alice"), **key}, PERSON)
            assert other.status_code == 404, (role, other.text)
            assert "idempotent-replayed" not in other.headers
            assert "Nguyễn" not in other.text and "1950" not in other.text

        # A wider token (86 and 01) is another authority too: its request runs afresh.
        wider = post(client, {**bearer(Role.PROVINCE, "86", "01", sub="alice"), **key}, PERSON)
        assert wider.status_code == 201 and "idempotent-replayed" not in wider.headers
        assert wider.json()["id"] != first.json()["id"]

        again = post(client, owner, PERSON)
        assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
    assert calls["people"] == 2  # the first request and the wider token's


def test_another_authority_with_another_body_does_not_learn_that_the_key_exists(
    app: FastAPI,
) -> None:
    key = {"Idempotency-Key": "add-dao-2"}
    with TestClient(app) as client:
        assert post(client, {**bearer(Role.PROVINCE, "86", sub="bob"), **key}, PERSON).is_success
        probe = {**PERSON, "full_name": "someone else"}
        for role, provinces in [(Role.PROVINCE, ("01",)), (Role.NATIONAL, ()), (Role.OPS, ())]:
            reply = post(client, {**bearer(role, *provinces, sub="bob"), **key}, probe)
            assert reply.status_code == 404  # the route's answer, not the store's 422
            assert "Idempotency-Key" not in reply.text
        # The owner, with another body, is told (it is their own key).
        mine = post(client, {**bearer(Role.PROVINCE, "86", sub="bob"), **key}, probe)
        assert mine.status_code == 422 and mine.json()["errors"][0]["field"] == "Idempotency-Key"


def test_records_are_stored_under_a_hash_of_the_whole_authority(
    app: FastAPI, database_url: str
) -> None:
    with TestClient(app) as client:
        headers = {**bearer(Role.PROVINCE, "86", "01", sub="carol"), "Idempotency-Key": "k"}
        assert post(client, headers, PERSON).status_code == 201
    engine = make_sync_engine(database_url)
    with engine.connect() as connection:
        callers = connection.scalars(text("SELECT caller FROM idempotency")).all()
    engine.dispose()
    expected = hashlib.sha256(json.dumps(["carol", "province", ["01", "86"]]).encode()).hexdigest()
    assert callers == [expected]


@pytest.mark.parametrize(
    "key",
    [b"a\x00b", "ключ".encode(), b"\xff\xfe", b" ", b"a b", b"k" * 201, b"tab\there"],
    ids=["nul", "utf8", "latin1", "space", "inner-space", "201-chars", "tab"],
)
async def test_an_odd_idempotency_key_is_a_422_naming_it_never_a_500(
    app: FastAPI, key: bytes
) -> None:
    body = json.dumps(PERSON).encode()
    async with running(app):
        ex = await drive(
            app,
            "POST",
            "/v1/provinces/86/people",
            headers={
                **bearer(Role.PROVINCE, "86"),
                "content-type": "application/json",
                "content-length": str(len(body)),
                "idempotency-key": key,
            },
            body=[body],
        )
    assert ex.status == 422, bytes(ex.body)
    assert json.loads(ex.body)["errors"][0]["field"] == "Idempotency-Key"
    assert "people" not in calls


@pytest.mark.parametrize("path", ["/v1/provinces/\x00/people", "/v1/provinces/" + "9" * 600])
async def test_an_odd_path_with_a_key_is_answered_by_the_route_never_a_500(
    app: FastAPI, path: str
) -> None:
    body = json.dumps(PERSON).encode()
    async with running(app):
        ex = await drive(
            app,
            "POST",
            path,
            headers={
                **bearer(Role.PROVINCE, "86"),
                "content-type": "application/json",
                "idempotency-key": "odd-path",
            },
            body=[body],
        )
    assert ex.status == 404, bytes(ex.body)
