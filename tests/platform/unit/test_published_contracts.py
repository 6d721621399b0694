"""The contracts each service publishes tell the truth: its OpenAPI document
(who needs a token, which problems a route can answer and in what form), the
docs pages that read it (served without a CDN), and its AsyncAPI document (one
message per event type, with its versioned payload schema).

The apps are created and asked for their documents, never started: no Redis or
database is needed, and the rate limit is off so no request reaches Redis."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from pydantic import ConfigDict

from ishc_contracts import known_event_types, payload_model
from ishc_platform.deps import CurrentCaller
from ishc_platform.errors import PROBLEM_JSON, PROBLEM_SCHEMA, problems
from ishc_platform.service_app import ServiceSpec, create_service_app
from ishc_platform.settings import Settings
from ishc_platform.validation import StrictModel

SERVICES = ("registry", "finance", "health", "reporting")
PROBLEM_CONTENT = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
PUBLIC_PATHS = {"/healthz", "/readyz", "/asyncapi.json", "/v1/live"}
"""Routes anyone may call (the live feed is open while the dashboard is public)."""
ALWAYS = ("413", "500")
AUTHENTICATED = ("401", "403", "413", "429", "500")
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


SETTINGS = Settings(
    jwt_secrets="s" * 48,
    redis_url="redis://:hunter2-not-published@127.0.0.1:6379/0",
    stream_prefix="contracts.",
    rate_limit_per_minute=0,
    rate_limit_anonymous_per_minute=0,
)


def make_app(service: str) -> FastAPI:
    module = importlib.import_module(f"ishc_{service}.app")
    app: FastAPI = module.create_app(SETTINGS)
    return app


@pytest.fixture(params=SERVICES)
def app(request: pytest.FixtureRequest) -> FastAPI:
    return make_app(request.param)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    yield TestClient(app)  # no `with`: the lifespan (database, Redis) never runs


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith("/dashboard")


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        assert part in node, f"{ref} does not resolve"
        node = node[part]
    return node


# OpenAPI


def test_the_bearer_scheme_is_declared_on_every_authenticated_route_only(app: FastAPI) -> None:
    document = app.openapi()
    scheme = document["components"]["securitySchemes"]["bearer"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    assert scheme["bearerFormat"] == "JWT"
    seen_authenticated = False
    for path, method, operation in operations(document):
        where = f"{method.upper()} {path}"
        if is_public(path):
            assert "security" not in operation, f"{where} is public but claims a token"
        else:
            assert operation.get("security") == [{"bearer": []}], f"{where} has no bearer scheme"
            seen_authenticated = True
    assert seen_authenticated  # at least the event log of every service


def test_every_authenticated_route_documents_the_common_problems(app: FastAPI) -> None:
    document = app.openapi()
    for path, method, operation in operations(document):
        responses = operation["responses"]
        where = f"{method.upper()} {path}"
        expected = AUTHENTICATED if "security" in operation else ALWAYS
        for status in expected:
            assert status in responses, f"{where} does not document {status}"
        if "security" in operation:
            assert responses["401"]["headers"]["WWW-Authenticate"]
            assert "Retry-After" in responses["429"]["headers"]
        if operation.get("parameters") or "requestBody" in operation:
            assert "422" in responses, f"{where} takes input but documents no 422"
        if "security" in operation and method == "post":
            names = [p["name"] for p in operation["parameters"]]
            assert "Idempotency-Key" in names, where


def test_every_error_response_is_problem_json_with_the_problem_schema(app: FastAPI) -> None:
    document = app.openapi()
    assert document["components"]["schemas"]["Problem"] == PROBLEM_SCHEMA
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert response["content"] == PROBLEM_CONTENT, f"{method} {path} {status}"
                assert response["description"]


def test_fastapis_validation_error_schema_is_gone(app: FastAPI) -> None:
    text = json.dumps(app.openapi())
    assert "HTTPValidationError" not in text
    assert '"#/components/schemas/ValidationError"' not in text


def test_every_openapi_reference_resolves(app: FastAPI) -> None:
    document = app.openapi()
    for ref in set(refs(document)):
        resolve(document, ref)


def test_the_document_is_built_once(app: FastAPI) -> None:
    assert app.openapi() is app.openapi()


class GardenIn(StrictModel):
    """How a request body shows an example in /docs: `json_schema_extra`."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "Vườn Nhơn Phú"}]})

    name: str


garden_router = APIRouter(prefix="/v1")


@garden_router.post("/gardens", status_code=201, responses=problems(404, 409))
async def plant(body: GardenIn, caller: CurrentCaller) -> dict[str, str]:
    return {"name": body.name, "by": caller.sub}


def test_a_route_declares_only_its_own_problems_and_examples() -> None:
    spec = ServiceSpec(name="registry", description="test", routers=[garden_router])
    document = create_service_app(spec, SETTINGS).openapi()
    operation = document["paths"]["/v1/gardens"]["post"]
    statuses = {"401", "403", "404", "409", "413", "422", "429", "500"}
    assert statuses <= set(operation["responses"])
    assert all(operation["responses"][s]["content"] == PROBLEM_CONTENT for s in statuses)
    assert operation["responses"]["409"]["description"] == "Conflict"  # the route's own
    body = resolve(
        document, operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    )
    assert body["examples"] == [{"name": "Vườn Nhơn Phú"}]


# The docs pages


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_load_nothing_from_elsewhere(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "https://" not in html and "http://" not in html and "//cdn" not in html
    assert "/docs/static/" in html
    assert "/openapi.json" in html


@pytest.mark.parametrize(
    ("asset", "content_type"),
    [
        ("swagger-ui-bundle.js", "javascript"),
        ("swagger-ui.css", "text/css"),
        ("redoc.standalone.js", "javascript"),
        ("favicon.png", "image/png"),
    ],
)
def test_the_docs_assets_are_served_by_the_service(
    client: TestClient, asset: str, content_type: str
) -> None:
    response = client.get(f"/docs/static/{asset}")
    assert response.status_code == 200
    assert content_type in response.headers["content-type"]
    assert len(response.content) > 1000


def test_the_swagger_page_sends_a_token(client: TestClient) -> None:
    # The scheme is in the document it reads, and a typed token survives a reload.
    assert "persistAuthorization" in client.get("/docs").text
    assert "bearer" in client.get("/openapi.json").json()["components"]["securitySchemes"]


# AsyncAPI


def registry_types() -> list[str]:
    return [name for name in known_event_types() if name.startswith("ishc.registry.")]


def test_registry_publishes_one_message_per_event_type_with_its_payload_schema() -> None:
    app = make_app("registry")
    document = TestClient(app).get("/asyncapi.json").json()
    assert document["asyncapi"].startswith("3.")
    channel = document["channels"]["ishc.registry"]
    assert channel["address"] == "contracts.ishc.registry"
    names = registry_types()
    assert len(names) >= 10
    assert sorted(channel["messages"]) == names
    [operation] = document["operations"].values()
    assert operation["action"] == "send"
    assert operation["channel"] == {"$ref": "#/channels/ishc.registry"}
    assert len(operation["messages"]) == len(names)
    for name in names:
        message = resolve(document, channel["messages"][name]["$ref"])
        payload = message["payload"]
        assert payload["properties"]["type"] == {"const": name}
        envelope = resolve(document, payload["allOf"][0]["$ref"])
        assert {"id", "type", "subject", "sequence", "province", "data"} <= set(
            envelope["properties"]
        )
        schema = resolve(document, payload["properties"]["data"]["$ref"])
        model = payload_model(name)
        expected = model.model_json_schema(
            mode="serialization", ref_template="#/components/schemas/{model}"
        )
        expected.pop("$defs", None)
        assert schema == expected, name
    for ref in set(refs(document)):
        resolve(document, ref)


def test_personal_fields_are_marked_in_the_payload_schema() -> None:
    document = make_app("registry").state.asyncapi
    joined = document["components"]["schemas"]["MemberJoined"]["properties"]
    assert joined["sex"]["personal"] is True and "personal" not in joined["club_id"]


def test_reporting_publishes_nothing_and_advertises_only_what_it_consumes() -> None:
    document = make_app("reporting").state.asyncapi
    consumed = importlib.import_module("ishc_reporting.app").SPEC.subscriptions
    assert all(op["action"] != "send" for op in document["operations"].values())
    addresses = sorted(channel["address"] for channel in document["channels"].values())
    assert addresses == sorted(f"contracts.{sub.stream}" for sub in consumed)
    assert "contracts.ishc.registry" in addresses
    received = [m for op in document["operations"].values() for m in op["messages"]]
    assert len(received) == sum(
        len([t for t in known_event_types() if t.startswith(f"{sub.stream}.")]) for sub in consumed
    )


def test_the_asyncapi_document_names_no_credentials() -> None:
    document = make_app("registry").state.asyncapi
    assert "hunter2" not in json.dumps(document)
    assert document["servers"]["redis"]["host"] == "127.0.0.1:6379"
