"""A stored answer is replayed only while the caller may still see what it
describes: after a club moved to another province, the token that created its
member gets the 404 the route would answer now, not the member's data."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient

from ishc_platform.auth import Role, issue_token
from ishc_platform.settings import Settings
from ishc_registry.app import create_app

pytestmark = pytest.mark.integration
SECRET = "i" * 48


def bearer(sub: str, *provinces: str) -> dict[str, str]:
    token = issue_token(SECRET, sub=sub, role=Role.PROVINCE, provinces=provinces)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(database_url: str, redis_url: str) -> Iterator[TestClient]:
    prefix = f"test.{uuid.uuid4().hex[:10]}."
    settings = Settings(
        database_url=database_url, redis_url=redis_url, jwt_secrets=SECRET, stream_prefix=prefix
    )
    with TestClient(create_app(settings)) as http:
        yield http
    keys = redis.Redis.from_url(redis_url).keys(f"{prefix}*")
    if keys:
        redis.Redis.from_url(redis_url).delete(*keys)


def test_a_replay_is_refused_once_the_record_left_the_callers_provinces(
    client: TestClient,
) -> None:
    vinh_long, regional = bearer("staff", "86"), bearer("regional", "86", "75")
    club = client.post(
        "/v1/clubs",
        json={"name": "CLB Nhơn Phú", "commune_code": "29623", "founded_on": "2018-03-15"},
        headers=vinh_long,
    ).json()
    person = {
        "full_name": "Nguyễn Thị Lan",
        "sex": "female",
        "birth_year": 1952,
        "poverty_status": "poor",
        "joined_on": "2019-01-10",
    }
    keyed = {**vinh_long, "Idempotency-Key": "join-lan-1"}
    first = client.post(f"/v1/clubs/{club['id']}/members", json=person, headers=keyed)
    assert first.status_code == 201, first.text
    again = client.post(f"/v1/clubs/{club['id']}/members", json=person, headers=keyed)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"

    moved = client.post(
        f"/v1/clubs/{club['id']}/relocate",
        json={"commune_code": "25993", "relocated_on": "2024-01-01"},  # Phường Trảng Dài, Đồng Nai
        headers=regional,
    )
    assert moved.status_code == 200, moved.text

    replay = client.post(f"/v1/clubs/{club['id']}/members", json=person, headers=keyed)
    assert replay.status_code == 404, replay.text
    assert "Nguyễn Thị Lan" not in replay.text and "1952" not in replay.text
