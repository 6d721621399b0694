"""HTTP routes of the health service, one router per resource; `app.py` includes
them. A route only translates HTTP: it parses a body from `schemas.py`, calls one
use case in `service/`, and answers a schema; it never commits nor writes a table.
"""

from __future__ import annotations

from fastapi import APIRouter

from ishc_health.api import clubs, insurance, members

ROUTERS: tuple[APIRouter, ...] = (members.router, clubs.router, insurance.router)
