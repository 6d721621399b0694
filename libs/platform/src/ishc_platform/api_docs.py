"""The HTTP contract every service publishes: its OpenAPI document, and the
Swagger UI (`/docs`) and ReDoc (`/redoc`) pages that read it.

What the factory adds to FastAPI's generated document, so that each router
declares only the problems that are its own (404, 409, 412, 428…, through
`errors.problems`):
- the problems that come from the platform rather than from a route: the body
  limit (413), the rate limit (429, except on the routes it exempts), an
  unexpected error (500) and a dependency not answering (503) on every route;
  on the routes that need a bearer token (those whose caller comes from
  `auth.current_caller`), 401 and 403 too, and
  on the routes that take input, 422, and on those with a body, 400 (a body
  that does not decode, e.g. JSON that is not UTF-8); a POST with a token also takes an
  `Idempotency-Key` and may answer 409 while a request with the same key runs;
- every problem as `application/problem+json` with one `Problem` schema, in
  place of FastAPI's `HTTPValidationError`, which is not what we answer.

The pages' scripts and styles are served by the service itself, from the
`fastapi-offline` package (Swagger UI and ReDoc's standalone bundle): the docs
work on a network without internet access.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from ishc_platform.auth import BEARER_SCHEME
from ishc_platform.errors import PROBLEM_JSON, PROBLEM_SCHEMA
from ishc_platform.idempotency import KEY_PATTERN
from ishc_platform.ratelimit import EXEMPT_PATHS

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
STATIC_URL = "/docs/static"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")

COMMON_PROBLEMS: dict[int, str] = {
    413: "The request body is larger than the limit (`max_bytes`).",
    429: "Too many requests: retry after `Retry-After` seconds.",
    500: "An unexpected error; it has been logged.",
    503: "The database or Redis is not answering; nothing was done: retry after `Retry-After`.",
}
AUTHENTICATED_PROBLEMS: dict[int, str] = {
    401: "No bearer token, or one that is expired, forged or malformed.",
    403: "The token's role or provinces do not allow this.",
}
INVALID_INPUT = "Invalid request: `errors` names each failing field."
UNREADABLE_BODY = "The body cannot be read as its content type says (e.g. not UTF-8)."
KEY_IN_PROGRESS = "A request with the same `Idempotency-Key` is still running."
_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}, "example": 'Bearer realm="ishc"'}},
    429: {"Retry-After": {"schema": {"type": "integer"}, "description": "whole seconds"}},
    503: {"Retry-After": {"schema": {"type": "integer"}, "description": "whole seconds"}},
}
IDEMPOTENCY_KEY_PARAMETER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "The same key with the same body replays the stored answer; "
    "with another body it answers 422.",
    "schema": {"type": "string", "pattern": f"^{KEY_PATTERN.pattern}$"},
}


def install_api_docs(app: FastAPI) -> None:
    """Give `app` the platform's OpenAPI document and self-hosted docs pages.

    The app must be created with `docs_url=None, redoc_url=None`."""
    static = files("fastapi_offline") / "static"
    app.mount(STATIC_URL, StaticFiles(directory=str(static)), name="docs-static")

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete_openapi(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{STATIC_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{STATIC_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{STATIC_URL}/favicon.png",
            # No online validator badge (it would call out), and a token typed
            # into "Authorize" survives a reload.
            swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": True},
        )

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{STATIC_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{STATIC_URL}/favicon.png",
            with_google_fonts=False,
        )


def complete_openapi(document: dict[str, Any]) -> dict[str, Any]:
    """Add the platform's problems to every operation of `document` (in place)."""
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    schemas["Problem"] = PROBLEM_SCHEMA
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            _complete_operation(path, method, operation)
    return document


def _complete_operation(path: str, method: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for code, declared in responses.items():
        # Every error the platform answers is a problem, whatever a route wrote
        # (`errors.problems` inlines the schema; FastAPI's 422 is not ours).
        if code.isdigit() and int(code) >= 400:
            _as_problem(declared)
    authenticated = any(BEARER_SCHEME in r for r in operation.get("security", ()))
    takes_input = "requestBody" in operation or bool(operation.get("parameters"))
    if authenticated and method == "post":
        _add_parameter(operation, IDEMPOTENCY_KEY_PARAMETER)
        takes_input = True
    wanted = dict(COMMON_PROBLEMS)
    if path in EXEMPT_PATHS:
        del wanted[429]
    if authenticated:
        wanted |= AUTHENTICATED_PROBLEMS
    if takes_input:
        wanted[422] = INVALID_INPUT
    if "requestBody" in operation:
        # FastAPI's own answer when a body does not decode at all (before validation).
        wanted[400] = UNREADABLE_BODY
    if authenticated and method == "post":
        wanted[409] = KEY_IN_PROGRESS
    for status, description in wanted.items():
        response = responses.setdefault(str(status), {"description": description})
        if status == 422:
            # FastAPI's own "Validation Error" says less than ours.
            response["description"] = description
        _as_problem(response)
        if status in _HEADERS:
            response.setdefault("headers", _HEADERS[status])
    operation["responses"] = dict(sorted(responses.items()))


def _as_problem(response: dict[str, Any]) -> None:
    response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}


def _add_parameter(operation: dict[str, Any], parameter: dict[str, Any]) -> None:
    parameters: list[dict[str, Any]] = operation.setdefault("parameters", [])
    if not any(p.get("name", "").lower() == parameter["name"].lower() for p in parameters):
        parameters.append(parameter)
