"""HTTP routes of the health service, one module per resource (`api/health_checks.py`,
`api/exercise_sessions.py`, `api/home_care_visits.py`), each included in `router`
below. A route only translates HTTP: it parses a body from `schemas.py`, calls one use
case in `service/` or one read in `queries.py`, and answers a schema; it never commits
nor writes a table.
"""

from fastapi import APIRouter

router = APIRouter(prefix="/v1")
