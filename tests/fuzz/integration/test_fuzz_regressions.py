"""One focused test for each class of failure the fuzzing found, fixed at its root
(tests/fuzz/harness.py runs the fuzzing). Each checks a real answer with the same
schemathesis check that found the failure, and shows the check fails on the
answer as it was before the fix.

- A POST with an `Idempotency-Key` whose route answered 2xx without committing
  (erasing an already erased member) hung 15 s on SQLite, then answered 503: the
  route's session held the write lock (`BEGIN IMMEDIATE`) until after the
  response, which the idempotency middleware stores before sending. Fixed in
  `ishc_platform.deps` (the session closes when the route returns).
- A body that does not decode (not UTF-8) is FastAPI's 400, which no operation
  documented. Fixed in `ishc_platform.api_docs` (400 on every operation with a body).
- Instants read back from SQLite are naive, and were shown without an offset,
  which is not an OpenAPI `date-time` (the registry's audit, finance's
  regulations, health's accesses). Fixed by `ishc_platform.validation.UtcInstant`
  on every instant a response shows.
- Reporting's `/v1/live` was documented as JSON; it is an event stream. Fixed on
  the route (`ishc_reporting.api.live`), with the schema of one event.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ishc_platform.deps import CurrentCaller
from ishc_platform.service_app import ServiceSpec, create_service_app
from ishc_reporting.app import create_app as create_reporting
from tests.fuzz.harness import (
    CHECKS,
    Report,
    Target,
    fuzz_stateless,
    registry_with_a_member,
    roles,
    running,
    settings_for,
)

pytestmark = pytest.mark.integration


def validate(schema: Any, method: str, path: str, response: Any, checks: Any) -> None:
    """The checks of the fuzzing, on one real answer to `method path` (a template)."""
    schema[path][method].Case().validate_response(response, checks=checks)


def fails(schema: Any, method: str, path: str, response: Any, checks: Any) -> bool:
    try:
        validate(schema, method, path, response, checks)
    except FailureGroup:
        return True
    return False


def with_body(response: requests.Response, body: Any) -> requests.Response:
    """A copy of `response` with another JSON body (what the answer was before a fix)."""
    doctored = copy.copy(response)
    doctored._content = json.dumps(body).encode()
    return doctored


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Target]:
    with registry_with_a_member(tmp_path_factory.mktemp("fuzz-regressions"), redis_url) as target:
        yield target


def test_a_keyed_post_that_commits_nothing_answers_at_once_on_sqlite(registry: Target) -> None:
    province = roles()["province"]
    url = f"/v1/members/{registry.ids['member_id']}/erase"
    for key in ("erase-1", "erase-2"):  # the second erases nothing: no commit
        # Before the fix the second waited out SQLite's 15 s busy timeout.
        reply = registry.client.post(url, headers={**province, "Idempotency-Key": key}, timeout=5)
        assert reply.status_code == 200, reply.text
        validate(registry.schema, "POST", "/v1/members/{member_id}/erase", reply, CHECKS)
    again = registry.client.post(url, headers={**province, "Idempotency-Key": "erase-2"}, timeout=5)
    assert again.headers.get("idempotent-replayed") == "true"  # the answer was stored


def test_a_body_that_does_not_decode_is_a_documented_400(registry: Target) -> None:
    reply = registry.client.post(
        "/v1/clubs",
        data=b'{"name": "\xff\xfe"}',
        headers={**roles()["province"], "Content-Type": "application/json"},
    )
    assert reply.status_code == 400, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    validate(registry.schema, "POST", "/v1/clubs", reply, CHECKS)
    # Self-check: against the document without its 400, the same answer fails.
    document = copy.deepcopy(registry.app.openapi())
    del document["paths"]["/v1/clubs"]["post"]["responses"]["400"]
    before = schemathesis.openapi.from_dict(document)
    assert fails(before, "POST", "/v1/clubs", reply, [status_code_conformance])


def test_instants_read_back_from_sqlite_carry_their_offset(registry: Target) -> None:
    province = roles()["province"]
    registry.client.get(f"/v1/members/{registry.ids['member_id']}", headers=province)  # audited
    reply = registry.client.get("/v1/audit", headers=province)
    items = reply.json()["items"]
    assert items and all(item["at"].endswith(("Z", "+00:00")) for item in items), items
    validate(registry.schema, "GET", "/v1/audit", reply, [response_schema_conformance])
    # Self-check: the naive instant it showed before fails the same check.
    naive = [{**item, "at": item["at"].removesuffix("Z").removesuffix("+00:00")} for item in items]
    doctored = with_body(reply, {**reply.json(), "items": naive})
    assert fails(registry.schema, "GET", "/v1/audit", doctored, [response_schema_conformance])


def test_the_live_feed_is_documented_as_the_event_stream_it_is(
    tmp_path_factory: pytest.TempPathFactory, redis_url: str
) -> None:
    folder: Path = tmp_path_factory.mktemp("fuzz-live")
    settings = settings_for(f"sqlite:///{folder}/reporting.db", redis_url)
    with running("reporting", create_reporting(settings), settings, redis_url) as reporting:
        # Through the fuzzing's transport: read to the first event (the snapshot), then cut.
        case = reporting.schema["/v1/live"]["GET"].Case(headers=roles()["national"])
        stream = case.call()
        assert stream.status_code == 200 and stream.content.startswith(b"event: snapshot")
        checks = [not_a_server_error, content_type_conformance, response_schema_conformance]
        validate(reporting.schema, "GET", "/v1/live", stream, checks)
        # Self-check: documented as JSON, as it was, the same answer fails.
        document = copy.deepcopy(reporting.app.openapi())
        ok = document["paths"]["/v1/live"]["get"]["responses"]["200"]
        ok["content"] = {"application/json": {"schema": {}}}
        before = schemathesis.openapi.from_dict(document)
        assert fails(before, "GET", "/v1/live", stream, [content_type_conformance])


def test_the_fuzzing_reports_a_server_error_and_an_undocumented_status(
    tmp_path_factory: pytest.TempPathFactory, redis_url: str
) -> None:
    """Self-check of the harness: on a service whose routes are wrong, the same
    runs as the services' find each failure, naming the operation."""
    router = APIRouter()

    @router.get("/v1/crash")
    async def crash(caller: CurrentCaller) -> dict[str, str]:
        raise RuntimeError("a bug")

    @router.get("/v1/teapot")
    async def teapot(caller: CurrentCaller) -> JSONResponse:
        return JSONResponse({"tea": True}, status_code=418)

    folder: Path = tmp_path_factory.mktemp("fuzz-self-check")
    settings = settings_for(f"sqlite:///{folder}/registry.db", redis_url)
    spec = ServiceSpec(name="registry", description="wrong on purpose", routers=[router])
    app = create_service_app(spec, settings)
    with running("wrong", app, settings, redis_url) as target:
        report = Report()
        fuzz_stateless(target, {"ops": roles()["ops"]}, 2, report)
    found = {(f.operation, f.title) for f in report.failures.values()}
    assert ("GET /v1/crash", "Server error (unhandled RuntimeError)") in found, found
    assert ("GET /v1/teapot", "Undocumented status code") in found, found
