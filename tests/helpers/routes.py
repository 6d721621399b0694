"""Every entry of an app's route table, whatever its kind: what the authorisation
matrix (tests/security/matrix.py) checks is declared, for the four services
(tests/security/test_access_matrix.py) and for health's own routes
(tests/health/integration/test_health_access_matrix.py).

FastAPI's `APIRoute`s are only part of `app.routes`: FastAPI itself adds a plain
Starlette `Route` for /openapi.json, `app.mount` adds a `Mount` (the docs pages'
/docs/static), and an app or a router may add a `Route`, a `WebSocketRoute`, a
`Host` or a route class of its own. A discovery that kept the `APIRoute`s only
would let any of those escape the matrix; this one yields every entry, routers
included by `include_router` walked into, as the method it answers (or what
stands for one: `MOUNT`, `WEBSOCKET`, `HOST`, `ANY`, or the class name of a kind
it does not know) and its full path template. A mount is one entry: what it
serves is declared, or not, with it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Host, Mount, Route, WebSocketRoute

MOUNT = "MOUNT"
"""A `Mount`: an app or a directory served under a path prefix, any method."""
WEBSOCKET = "WEBSOCKET"
"""A `WebSocketRoute` (FastAPI's `APIWebSocketRoute` too)."""
HOST = "HOST"
"""A `Host`: an app served for a host name (its path is the host pattern)."""
ANY = "ANY"
"""A `Route` whose endpoint is an ASGI app: it answers every method."""
_CONVERTER = re.compile(r"\{(\w+):[^}]*\}")


@dataclass(frozen=True, order=True)
class Entry:
    """One (method, path) of the route table, and the route that answers it."""

    method: str
    path: str
    kind: str
    """The route's class name (`APIRoute`, `Route`, `Mount`, `DashboardRoute`…)."""
    api: bool
    """A FastAPI `APIRoute` (or a subclass): one that its OpenAPI document may list."""

    @property
    def key(self) -> tuple[str, str]:
        """(method, path template), as the matrix's tables write it."""
        return self.method, self.path


def template(path: str) -> str:
    """`/dashboard/{rest:path}` as the matrix writes it: without the converter."""
    return _CONVERTER.sub(r"{\1}", path)


def _table(app: FastAPI) -> Iterator[tuple[BaseRoute, str | None, set[str] | None]]:
    """Each route of `app` with its full path and methods. FastAPI 0.165 keeps
    included routers as branches of `app.routes` (`iter_route_contexts` walks
    them, and yields every other entry as it is); older versions list every
    route in `app.routes` itself."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI < 0.165
        for route in app.routes:
            yield route, getattr(route, "path", None), getattr(route, "methods", None)
        return
    for context in iter_route_contexts(app.routes):
        yield context.original_route, context.path, context.methods


def route_entries(app: FastAPI) -> list[Entry]:
    """Every entry of `app.routes`, of every kind, sorted."""
    found: set[Entry] = set()
    for route, path, methods in _table(app):
        kind, api = type(route).__name__, isinstance(route, APIRoute)
        if isinstance(route, Host):
            found.add(Entry(HOST, route.host, kind, api))
        elif path is None:  # a kind of route this walk does not know: never declared
            found.add(Entry(f"<{kind}>", repr(route), kind, api))
        elif isinstance(route, Mount):
            found.add(Entry(MOUNT, template(path), kind, api))
        elif isinstance(route, WebSocketRoute):
            found.add(Entry(WEBSOCKET, template(path), kind, api))
        elif isinstance(route, Route):
            answered = set(methods or ())
            if "GET" in answered:  # Starlette adds HEAD to every GET route
                answered.discard("HEAD")
            found |= {Entry(m, template(path), kind, api) for m in answered or {ANY}}
        else:
            found.add(Entry(f"<{kind}>", template(path), kind, api))
    return sorted(found)
