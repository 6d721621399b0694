"""A database that does not answer is a 503 with Retry-After, never a 500 or a
hang: the request was fine, nothing was committed, and the client may retry."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from ishc_platform.auth import Role, issue_token
from ishc_platform.settings import Settings
from ishc_registry.app import create_app
from tests.helpers.services import free_port

pytestmark = pytest.mark.integration
SECRET = "u" * 48


def test_a_database_that_does_not_answer_is_a_503_with_retry_after(redis_url: str) -> None:
    nowhere = f"postgresql://postgres@127.0.0.1:{free_port()}/ishc"  # nothing listens there
    settings = Settings(
        database_url=nowhere,
        redis_url=redis_url,
        jwt_secrets=SECRET,
        stream_prefix=f"test.{uuid.uuid4().hex[:10]}.",
        migrate_on_start=False,
    )
    token = issue_token(SECRET, sub="vl", role=Role.PROVINCE, provinces=["86"])
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        reply = client.post(
            "/v1/clubs",
            json={"name": "CLB Nhơn Phú", "commune_code": "29623", "founded_on": "2018-03-15"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert reply.status_code == 503, reply.text
        assert reply.headers["retry-after"] == "5"
        assert reply.headers["content-type"] == "application/problem+json"
        assert "postgres" not in reply.text  # no connection string or driver message leaks
        assert client.get("/readyz").status_code == 503
