"""Errors as `application/problem+json` (RFC 9457), with the failing fields."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ishc_platform.db import is_transient
from ishc_platform.validation import FieldError

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = 5
"""What a 503 asks a client to wait when the database or Redis is not answering."""
PROBLEM_BASE = "https://ishc.vn/problems/"
log = structlog.get_logger(__name__)


class Problem(Exception):
    """An error the caller can act on. `errors` names the failing fields."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        title: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind or _slug(status)
        self.title = title or HTTPStatus(status).phrase
        self.errors = errors
        self.headers = headers
        self.extra = extra


def field_error(field: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"field": field, "message": message, **extra}


def invalid(field: str, message: str, **extra: Any) -> Problem:
    """A 422 naming one field."""
    return Problem(
        422,
        message,
        kind="validation",
        title="Invalid request",
        errors=[field_error(field, message, **extra)],
    )


def from_field_error(error: FieldError) -> Problem:
    """The 422 a domain's `FieldError` answers."""
    return invalid(error.field, error.message, **error.extra)


def not_found(what: str = "resource") -> Problem:
    return Problem(404, f"{what} not found", kind="not-found")


def conflict(field: str, message: str, **extra: Any) -> Problem:
    """A 409 naming the field whose value clashes (and, in `extra`, what it clashes with)."""
    return Problem(
        409,
        message,
        kind="conflict",
        title="Conflict",
        errors=[field_error(field, message, **extra)],
    )


def forbidden(message: str) -> Problem:
    return Problem(403, message, kind="forbidden")


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for a route: each status it can answer, as problem+json."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
        }
        for status in statuses
    }


def _slug(status: int) -> str:
    return HTTPStatus(status).phrase.lower().replace(" ", "-").replace("'", "")


def problem_response(problem: Problem, request: Request) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + problem.kind,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "instance": request.url.path,
    }
    if problem.errors is not None:
        body["errors"] = problem.errors
    body.update(problem.extra)
    return JSONResponse(
        body, status_code=problem.status, media_type=PROBLEM_JSON, headers=problem.headers
    )


def _field_path(loc: tuple[Any, ...]) -> str:
    # ("body", "members", 0, "sex") -> "members[0].sex"; ("query", "limit") -> "limit"
    parts = list(loc[1:]) if loc and loc[0] in {"body", "query", "path", "header"} else list(loc)
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or str(loc[0] if loc else "")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc, request)

    @app.exception_handler(FieldError)
    async def _field(request: Request, exc: FieldError) -> JSONResponse:
        return problem_response(from_field_error(exc), request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            field_error(_field_path(tuple(e["loc"])), e["msg"], location=str(e["loc"][0]))
            for e in exc.errors()
        ]
        fields = ", ".join(sorted({e["field"] for e in errors}))
        return problem_response(
            Problem(
                422,
                f"invalid fields: {fields}",
                kind="validation",
                title="Invalid request",
                errors=errors,
            ),
            request,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        return problem_response(
            Problem(exc.status_code, detail, headers=getattr(exc, "headers", None)), request
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        if is_transient(exc) or isinstance(exc, RedisConnectionError | RedisTimeoutError):
            # The request was fine and nothing was committed: the client may retry.
            log.warning("http.unavailable", route=request.url.path, error=type(exc).__name__)
            return problem_response(
                Problem(
                    503,
                    "a service this one depends on is not answering; retry shortly",
                    kind="unavailable",
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                ),
                request,
            )
        log.exception("http.unhandled", path=request.url.path, error=type(exc).__name__)
        return problem_response(
            Problem(500, "an unexpected error occurred; it has been logged"), request
        )
