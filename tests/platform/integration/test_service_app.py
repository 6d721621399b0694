"""The app every service is built from, over HTTP in-process, with a real Redis
and a real database: ops routes, auth, problem+json, idempotency, the log."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from fastapi import APIRouter
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from ishc_platform.auth import Role, issue_token
from ishc_platform.deps import CurrentCaller, SessionDep
from ishc_platform.outbox import record_event
from ishc_platform.service_app import ServiceSpec, create_service_app
from ishc_platform.settings import Settings
from tests.helpers.widgets import WIDGET_CREATED, WidgetCreated, WidgetEffect, prepare_database

pytestmark = pytest.mark.integration
SECRET = "s" * 48

router = APIRouter(prefix="/v1")


class WidgetIn(BaseModel):
    widget_id: str = Field(min_length=1, max_length=36)
    n: int = Field(ge=0)


@router.post("/widgets", status_code=201)
async def create_widget(
    body: WidgetIn, caller: CurrentCaller, session: SessionDep
) -> dict[str, Any]:
    async with session.begin():
        envelope = await record_event(
            session,
            event_type=WIDGET_CREATED,
            subject=body.widget_id,
            province="86",
            data=WidgetCreated(widget_id=body.widget_id, n=body.n),
        )
        session.add(WidgetEffect(widget_id=body.widget_id, n=body.n))
    return {"widget_id": body.widget_id, "event_id": str(envelope.id), "by": caller.sub}


def token(role: Role, *provinces: str, sub: str = "tester") -> dict[str, str]:
    return {
        "Authorization": f"Bearer {issue_token(SECRET, sub=sub, role=role, provinces=provinces)}"
    }


@pytest.fixture
def prefix() -> str:
    return f"test.{uuid.uuid4().hex[:10]}."


@pytest.fixture
def client(database_url: str, redis_url: str, prefix: str) -> Iterator[TestClient]:
    prepare_database(database_url)
    settings = Settings(
        database_url=database_url,
        redis_url=redis_url,
        jwt_secrets=SECRET,
        stream_prefix=prefix,
        relay_poll_seconds=30,
        log_json=True,
    )
    app = create_service_app(
        ServiceSpec(name="registry", description="test", routers=[router]), settings
    )
    with TestClient(app) as test_client:
        yield test_client
    r = redis.Redis.from_url(redis_url)
    keys = r.keys(f"{prefix}*")
    if keys:
        r.delete(*keys)


def test_health_readiness_and_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}
    metrics = client.get("/metrics").text
    assert (
        'ishc_http_requests_total{method="GET",route="/readyz",service="registry",status="200"}'
        in metrics
    )
    assert "ishc_outbox_backlog" in metrics


def test_routes_need_a_valid_token(client: TestClient) -> None:
    missing = client.get("/v1/events")
    assert missing.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert missing.json()["type"].endswith("/unauthorized")
    forged = issue_token("f" * 48, sub="x", role=Role.OPS)
    assert (
        client.get("/v1/events", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    )


def test_the_event_log_is_for_ops_and_national_tokens(client: TestClient) -> None:
    assert client.get("/v1/events", headers=token(Role.PROVINCE, "86")).status_code == 403
    assert client.get("/v1/events", headers=token(Role.NATIONAL)).status_code == 200
    assert client.get("/v1/events", headers=token(Role.OPS)).status_code == 200


def test_a_write_is_published_at_commit_and_served_by_the_log_in_order(
    client: TestClient, redis_url: str, prefix: str
) -> None:
    ids = [
        client.post(
            "/v1/widgets", json={"widget_id": f"w{n}", "n": n}, headers=token(Role.PROVINCE, "86")
        ).json()["event_id"]
        for n in range(5)
    ]
    r = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + 3  # the relay polls every 30 s: only the commit wakes it
    while r.xlen(f"{prefix}ishc.registry") < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert r.xlen(f"{prefix}ishc.registry") == 5
    wait_until_published(client)  # added to the stream, then marked in the log

    ops = token(Role.OPS)
    first = client.get("/v1/events", params={"limit": 3}, headers=ops).json()
    assert [e["id"] for e in first["items"]] == ids[:3]
    assert first["next_cursor"] == ids[2]
    rest = client.get("/v1/events", params={"after": ids[2]}, headers=ops).json()
    assert [e["id"] for e in rest["items"]] == ids[3:]
    assert rest["next_cursor"] is None
    unknown = client.get("/v1/events", params={"after": str(uuid.uuid4())}, headers=ops)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "after"
    status = client.get("/v1/outbox/status", headers=ops).json()
    assert status["unpublished"] == 0 and status["published"] == 5


def test_invalid_input_is_a_problem_naming_each_field(client: TestClient) -> None:
    reply = client.post(
        "/v1/widgets", json={"widget_id": "", "n": -1}, headers=token(Role.PROVINCE, "86")
    )
    assert reply.status_code == 422
    assert reply.headers["content-type"] == "application/problem+json"
    body = reply.json()
    assert {e["field"] for e in body["errors"]} == {"widget_id", "n"}
    assert body["status"] == 422 and body["title"] == "Invalid request"
    limit = client.get("/v1/events", params={"limit": 501}, headers=token(Role.OPS))
    assert limit.status_code == 422 and limit.json()["errors"][0]["field"] == "limit"


def wait_until_published(client: TestClient, seconds: float = 3.0) -> None:
    """The log serves published events only; the relay publishes just after commit."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if client.get("/v1/outbox/status", headers=token(Role.OPS)).json()["unpublished"] == 0:
            return
        time.sleep(0.02)
    raise AssertionError("the relay did not publish in time")


def test_idempotency_key_replays_and_refuses_a_different_body(client: TestClient) -> None:
    headers = {**token(Role.PROVINCE, "86"), "Idempotency-Key": "k-1"}
    first = client.post("/v1/widgets", json={"widget_id": "w1", "n": 1}, headers=headers)
    again = client.post("/v1/widgets", json={"widget_id": "w1", "n": 1}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"

    other = client.post("/v1/widgets", json={"widget_id": "w1", "n": 2}, headers=headers)
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"

    # The key belongs to its caller: another caller's same key is a new request.
    mine = {**token(Role.PROVINCE, "86", sub="someone-else"), "Idempotency-Key": "k-1"}
    assert (
        client.post("/v1/widgets", json={"widget_id": "w2", "n": 1}, headers=mine).status_code
        == 201
    )

    wait_until_published(client)
    log = client.get("/v1/events", headers=token(Role.OPS)).json()["items"]
    assert [e["subject"] for e in log] == ["w1", "w2"]  # one event per accepted write


def test_a_failed_request_does_not_burn_its_key(client: TestClient) -> None:
    headers = {**token(Role.PROVINCE, "86"), "Idempotency-Key": "k-2"}
    assert (
        client.post("/v1/widgets", json={"widget_id": "", "n": 1}, headers=headers).status_code
        == 422
    )
    assert (
        client.post("/v1/widgets", json={"widget_id": "", "n": 1}, headers=headers).status_code
        == 422
    )


def test_request_id_is_echoed_or_made(client: TestClient) -> None:
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    assert len(client.get("/healthz").headers["x-request-id"]) == 32


def test_dead_letter_routes_are_for_ops_and_name_the_stream(client: TestClient) -> None:
    params = {"stream": "ishc.registry"}
    assert (
        client.get("/v1/dead-letters", params=params, headers=token(Role.NATIONAL)).status_code
        == 403
    )
    reply = client.get("/v1/dead-letters", params=params, headers=token(Role.OPS))
    assert reply.status_code == 422 and reply.json()["errors"][0]["field"] == "stream"


def test_unknown_routes_are_problems_too(client: TestClient) -> None:
    reply = client.get("/v1/nothing-here")
    assert reply.status_code == 404
    assert reply.headers["content-type"] == "application/problem+json"


def test_logs_carry_the_request_id_and_route_but_no_token_or_query(
    client: TestClient, capfd: pytest.CaptureFixture[str]
) -> None:
    import json

    headers = {**token(Role.OPS), "X-Request-ID": "req-42"}
    secret_token = headers["Authorization"].split()[1]
    client.get("/v1/events", params={"after": "Nguyễn Thị Đào", "limit": 5}, headers=headers)
    out = capfd.readouterr().out
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    request_lines = [entry for entry in lines if entry.get("event") == "http.request"]
    assert request_lines and request_lines[-1]["request_id"] == "req-42"
    assert request_lines[-1]["route"] == "/v1/events" and request_lines[-1]["status"] == 422
    assert secret_token not in out
    assert "Nguy" not in out and "after=" not in out


def test_asyncapi_documents_the_stream(client: TestClient, prefix: str) -> None:
    document = client.get("/asyncapi.json").json()
    addresses = [c["address"] for c in document["channels"].values()]
    assert addresses == [f"{prefix}ishc.registry"]


def test_without_redis_the_service_starts_but_is_not_ready(tmp_path: object) -> None:
    from tests.helpers.services import free_port

    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/registry.db",
        redis_url=f"redis://127.0.0.1:{free_port()}/0",
        jwt_secrets=SECRET,
    )
    app = create_service_app(ServiceSpec(name="registry", description="test"), settings)
    with TestClient(app) as test_client:
        assert test_client.get("/healthz").status_code == 200
        ready = test_client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"] == "ok"
        assert ready.json()["checks"]["redis"].startswith("failing")
