"""What the API fuzz tests share (no tests here): a service built by its app factory
and run in-process (schemathesis's ASGI transport, which runs the app's lifespan:
migrations, relay, consumers) on a real database and a real Redis, some real
records loaded so that generated paths reach them, and two runners over its OpenAPI
document, each under every role's token (national, province 86 with the data, ops,
service):

- stateless: every operation, with cases drawn from its documented schema and
  schemathesis's negative cases (input the schema forbids); half the path
  parameters name the loaded records (`aim_at_known_records`). Each role first
  gets `PROBE_EXAMPLES` cases; a role the operation lets in gets `max_examples` more.
- stateful: schemathesis's state machine over OpenAPI links. The services'
  documents declare none, so the links come from the route table, two ways:
  those schemathesis infers (its dependency analysis: a `201` body's `id` feeds
  the `{..._id}` of later calls), and those added here by
  `link_shared_path_parameters` (after a write to `/v1/members/{member_id}/...`
  the other operations on that `member_id` follow; a list's first item feeds the
  operations whose path names one of its fields), which health needs, since it
  creates none of the members and clubs its paths name.

Every response is checked the same way (`CHECKS`): no 5xx, and the status, the
content type and the body are the ones the operation documents; an unhandled
exception or no answer within the transport's 10 s is a failure too. Failures are
collected rather than raised at the first, so one run names every failing
operation; Hypothesis runs with a fixed seed (stateless) or derandomized
(stateful), without an example database, so a run is repeatable.
"""

from __future__ import annotations

import copy
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, cast

import hypothesis
import redis
import requests
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict
from schemathesis import Case, GenerationMode, HookContext
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Ok
from schemathesis.generation.stateful import run_state_machine_as_test
from schemathesis.generation.stateful.state_machine import APIStateMachine
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema
from sqlalchemy import insert

from ishc_platform.auth import Role, issue_token
from ishc_platform.db import make_sync_engine
from ishc_platform.directory import DirectoryClub, DirectoryMember
from ishc_platform.settings import Settings
from ishc_registry.app import create_app as create_registry

SECRET = "z" * 48
VINH_LONG = "86"  # the province with data
DONG_NAI = "75"  # a province without
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
"""What every response must pass: no 5xx; a documented status, content type and body."""


def bearer(role: Role, *provinces: str) -> dict[str, str]:
    token = issue_token(SECRET, sub=f"fuzz-{role.value}", role=role, provinces=provinces)
    return {"Authorization": f"Bearer {token}"}


def roles() -> dict[str, dict[str, str]]:
    """Each role's headers, made when called (tokens are dated by the test's clock)."""
    return {
        "national": bearer(Role.NATIONAL),
        "province": bearer(Role.PROVINCE, VINH_LONG),
        "ops": bearer(Role.OPS),
        "service": bearer(Role.SERVICE),
    }


def settings_for(database_url: str, redis_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        jwt_secrets=SECRET,
        stream_prefix=f"test.fuzz.{uuid.uuid4().hex[:10]}.",
        # Counted in Redis as in production, but high enough that the fuzzer's
        # burst is never turned away (a 429 would hide what the route answers).
        rate_limit_per_minute=1_000_000,
        rate_limit_anonymous_per_minute=1_000_000,
        relay_poll_seconds=0.2,
    )


@dataclass
class Target:
    """A running service: its schema, a client for loading records, and the ids of
    the records loaded (by path parameter name)."""

    name: str
    app: FastAPI
    schema: OpenApiSchema
    client: asgi.ASGIClient
    ids: dict[str, str] = field(default_factory=dict)

    def created(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        """POST a record through the API, which must take it (201)."""
        reply = self.client.post(path, json=body, headers=headers)
        assert reply.status_code in (200, 201), f"{path}: {reply.status_code} {reply.text}"
        return dict(reply.json())

    def put(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        reply = self.client.put(path, json=body, headers=headers)
        assert reply.status_code in (200, 201), f"{path}: {reply.status_code} {reply.text}"
        return dict(reply.json())


@contextmanager
def running(name: str, app: FastAPI, settings: Settings, redis_url: str) -> Iterator[Target]:
    """`app` started (its lifespan: migrations, relay, consumers) for schemathesis's
    in-process transport, and stopped with its streams removed afterwards."""
    try:
        schema = schemathesis.openapi.from_dict(link_shared_path_parameters(app.openapi()))
        schema.app = app  # called in-process, as `from_asgi` would
        # An event stream (reporting's /v1/live) is read to its first event, not
        # until the transport's timeout.
        schema.config.max_stream_events = 1
        with asgi.get_client(cast(Any, app)) as client:
            target = Target(name, app, schema, client)
            # The ids are read when cases are drawn, after the caller loads its records.
            aim_at_known_records(schema, target.ids)
            yield target
    finally:
        # The transport keeps an app's lifespan running until told otherwise.
        asgi.shutdown_lifespans()
        r = redis.Redis.from_url(redis_url)
        keys = list(r.scan_iter(f"{settings.stream_prefix}*"))
        if keys:
            r.delete(*keys)
        r.close()


@contextmanager
def registry_with_a_member(folder: Path, redis_url: str) -> Iterator[Target]:
    """The registry running on SQLite in `folder`, with a club of Vĩnh Long and a
    member loaded through its API (their ids in `target.ids`)."""
    settings = settings_for(f"sqlite:///{folder}/registry.db", redis_url)
    with running("registry", create_registry(settings), settings, redis_url) as target:
        province = roles()["province"]
        club = target.created(
            "/v1/clubs",
            {"name": "CLB Nhơn Phú", "commune_code": "29623", "founded_on": "2018-03-15"},
            province,
        )
        member = target.created(
            f"/v1/clubs/{club['id']}/members",
            {
                "full_name": "Nguyễn Thị Lan",
                "sex": "female",
                "birth_year": 1952,
                "poverty_status": "near_poor",
                "joined_on": "2019-01-10",
            },
            province,
        )
        target.ids.update(club_id=club["id"], member_id=member["id"])
        yield target


def directory_rows(database_url: str, province: str = VINH_LONG) -> tuple[str, str]:
    """A club and its member in a finance or health directory, as the consumer of
    registry events puts them (tests/helpers/directory_service.py does the same)."""
    club_id, member_id = str(uuid.uuid4()), str(uuid.uuid4())
    engine = make_sync_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(DirectoryClub.__table__),
                [
                    {
                        "club_id": club_id,
                        "province": province,
                        "commune_code": "29623",
                        "founded_on": date(2018, 3, 15),
                        "placement_sequence": 1,
                        "status_sequence": 0,
                    }
                ],
            )
            connection.execute(
                insert(DirectoryMember.__table__),
                [
                    {
                        "member_id": member_id,
                        "club_id": club_id,
                        "province": province,
                        "joined_on": date(2019, 1, 10),
                        "is_volunteer": False,
                        "facts_sequence": 1,
                        "status_sequence": 0,
                    }
                ],
            )
    finally:
        engine.dispose()
    return club_id, member_id


def link_shared_path_parameters(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of `document` with OpenAPI links added from its route table: after a
    POST or PUT on a record's path answers 2xx, every operation whose path names the
    same parameter (`member_id`, `club_id`, `fund_id`...) may follow with that value,
    so a sequence keeps working on the record it just wrote to. (Links from a
    created body's `id` to the paths that take it are inferred by schemathesis.)"""
    document = copy.deepcopy(document)
    operations = [
        (path, method, operation, set(re.findall(r"{(\w+)}", path)))
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]
    for _path, method, source, names in operations:
        if method not in ("post", "put") or not names:
            continue
        for status, response in source["responses"].items():
            if not status.startswith("2"):
                continue
            links = response.setdefault("links", {})
            for _other, _method, target, shared in operations:
                if target is not source and (common := sorted(names & shared)):
                    links[target["operationId"]] = {
                        "operationId": target["operationId"],
                        "parameters": {name: f"$request.path.{name}" for name in common},
                    }
    # A list's first item names records too (`/v1/audit` -> its `member_id`): the
    # lists without path parameters are where a sequence can start on real data.
    for _path, method, source, names in operations:
        if method != "get" or names or not (fields := _item_fields(document, source)):
            continue
        links = source["responses"]["200"].setdefault("links", {})
        for _other, _method, target, wanted in operations:
            if common := sorted(wanted & fields):
                links[target["operationId"]] = {
                    "operationId": target["operationId"],
                    "parameters": {name: f"$response.body#/items/0/{name}" for name in common},
                }
    return document


def _item_fields(document: dict[str, Any], operation: dict[str, Any]) -> set[str]:
    """The fields of the items of a `{"items": [...]}` page a GET answers, if it does."""

    def resolved(schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    content = operation["responses"].get("200", {}).get("content", {})
    page = resolved(content.get("application/json", {}).get("schema", {}))
    items = resolved(page.get("properties", {}).get("items", {}).get("items", {}))
    return set(items.get("properties", {}))


@dataclass
class Found:
    """One failure class: where, under which role, and what it said (first seen)."""

    operation: str
    role: str
    title: str
    status: int | None
    message: str


@dataclass
class Report:
    """What a run did: cases sent per operation and the failure classes found."""

    cases: dict[str, int] = field(default_factory=dict)
    failures: dict[tuple[str, str, int | None], Found] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.cases.values())

    def count(self, label: str) -> None:
        self.cases[label] = self.cases.get(label, 0) + 1

    def record(self, case: Case, role: str, error: FailureGroup) -> None:
        for failure in error.exceptions:
            assert isinstance(failure, Failure)
            status = getattr(failure, "status_code", None)
            key = (case.operation.label, failure.title, status)
            if key not in self.failures:
                text = f"{failure.message}\n  {case.as_curl_command()}"
                self.failures[key] = Found(case.operation.label, role, failure.title, status, text)

    def record_error(self, case: Case, role: str, error: Exception) -> None:
        """A case that got no answer: a hang, or an unhandled exception (a 500)."""
        if isinstance(error, requests.RequestException):
            title = f"No answer ({type(error).__name__})"
        else:
            title = f"Server error (unhandled {type(error).__name__})"
        key = (case.operation.label, title, None)
        if key not in self.failures:
            text = f"{error}\n  {case.as_curl_command()}"
            self.failures[key] = Found(case.operation.label, role, title, None, text)

    def describe(self) -> str:
        return "\n".join(
            f"- {f.operation} as {f.role}: {f.title} ({f.status})\n  {f.message[:1500]}"
            for f in self.failures.values()
        )


def hypothesis_settings(max_examples: int) -> hypothesis.settings:
    """Repeatable (a fixed seed, no example database) and bounded."""
    return hypothesis.settings(
        max_examples=max_examples,
        database=None,
        deadline=None,
        # Failures are collected, not raised, so there is nothing to shrink.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )


def aim_at_known_records(schema: OpenApiSchema, ids: dict[str, str]) -> None:
    """Half the generated path parameters name the loaded records (by parameter
    name, e.g. `club_id`), so cases reach real data and not only 404s; in the
    stateful runs too, where a service creates none of the records its paths name
    (health's members and clubs come from the registry)."""

    def flatmap_path_parameters(
        context: HookContext, path_parameters: dict[str, Any] | None
    ) -> st.SearchStrategy[dict[str, Any] | None]:
        if not path_parameters:  # an operation without any
            return st.just(path_parameters)
        aimed = {name: ids.get(name, value) for name, value in path_parameters.items()}
        return st.sampled_from([aimed, path_parameters])

    schema.hook(flatmap_path_parameters)


def case_strategy(operation: Any) -> st.SearchStrategy[Case]:
    """Cases for one operation: valid by its schema, and negative (what it forbids)."""
    return st.one_of(
        operation.as_strategy(),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )


PROBE_EXAMPLES = 2
"""Cases each role first gets on an operation: one that refuses the role (401/403,
whatever the input) gets no more, so the budget goes where the route runs."""
REFUSED = frozenset({401, 403})


def fuzz_stateless(
    target: Target,
    headers_by_role: dict[str, dict[str, str]],
    max_examples: int,
    report: Report,
) -> None:
    """Every operation of `target` under each role: `PROBE_EXAMPLES` cases, then
    `max_examples` more where the role is let in."""
    for result in target.schema.get_all_operations():
        assert isinstance(result, Ok), f"{target.name}: an operation schemathesis cannot read"
        operation = result.ok()
        for role, headers in headers_by_role.items():
            answered = _fuzz_operation(operation, role, headers, PROBE_EXAMPLES, report, seed=1)
            if answered - REFUSED:
                _fuzz_operation(operation, role, headers, max_examples, report, seed=2)


def _fuzz_operation(
    operation: Any,
    role: str,
    headers: dict[str, str],
    max_examples: int,
    report: Report,
    seed: int,
) -> set[int]:
    """Run the cases; the statuses they were answered with."""
    answered: set[int] = set()

    @hypothesis.seed(seed)
    @hypothesis_settings(max_examples)
    @given(case=case_strategy(operation))
    def run(case: Case) -> None:
        if case.headers is None:
            case.headers = CaseInsensitiveDict()
        case.headers.update(headers)
        report.count(f"{operation.label} [{role}]")
        try:
            response = case.call()
        except Exception as error:
            # In-process, an unhandled exception is re-raised past its 500 (Starlette's
            # ServerErrorMiddleware), and a hang ends at the transport's read timeout.
            report.record_error(case, role, error)
            return
        answered.add(response.status_code)
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as error:
            report.record(case, role, error)

    run()
    return answered


def fuzz_stateful(
    target: Target,
    headers_by_role: dict[str, dict[str, str]],
    max_examples: int,
    report: Report,
    step_count: int = 10,
) -> int:
    """Schemathesis's state machine under each role; returns the links it follows."""
    machine = target.schema.as_state_machine()
    transitions = machine._transitions.operations  # type: ignore[attr-defined]
    links = sum(len(t.outgoing) for t in transitions.values())
    for role, headers in headers_by_role.items():
        # A state machine takes no `@seed`: derandomized, its seed comes from its code.
        settings = hypothesis.settings(
            hypothesis_settings(max_examples), derandomize=True, stateful_step_count=step_count
        )
        run_state_machine_as_test(_as_role(machine, role, headers, report), settings=settings)
    return links


def _as_role(
    machine: type[APIStateMachine], role: str, headers: dict[str, str], report: Report
) -> type[APIStateMachine]:
    """`machine` calling with `role`'s token, collecting failures into `report`."""

    class Machine(machine):  # type: ignore[valid-type, misc]
        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(
            self, response: Any, case: Case, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            report.count(f"stateful {case.operation.label} [{role}]")
            try:
                case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)
            except FailureGroup as error:
                report.record(case, role, error)

    return Machine


def assert_clean(report: Report, what: str, started: float) -> None:
    """Print what ran (`pytest -s` shows it) and fail naming every failure class."""
    elapsed = time.monotonic() - started
    print(
        f"\n{what}: {report.total} cases over {len(report.cases)} operation×role in {elapsed:.1f} s"
    )
    assert report.total > 0, f"{what}: no case ran"
    assert not report.failures, (
        f"{what}: {len(report.failures)} failure classes\n" + report.describe()
    )


EXAMPLES = 4
"""Cases per operation and role where the role is let in, and state-machine runs
per role: the budget that keeps the four services' fuzzing near a minute."""


def check_every_operation(target: Target) -> None:
    """Every operation under every role, stateless: no failure."""
    report, started = Report(), time.monotonic()
    fuzz_stateless(target, roles(), EXAMPLES, report)
    assert_clean(report, f"{target.name} stateless", started)


def check_sequences(target: Target) -> None:
    """Sequences that follow the links between operations, under every role."""
    report, started = Report(), time.monotonic()
    links = fuzz_stateful(target, roles(), EXAMPLES, report)
    assert links > 0, f"schemathesis inferred no links between {target.name}'s operations"
    assert_clean(report, f"{target.name} stateful ({links} links)", started)
