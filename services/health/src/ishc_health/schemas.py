"""Typed request and response models of the health service's routes.

Every route under `api/` takes and answers one of these (pydantic models built on
`ishc_platform.validation.StrictModel`, `CalendarDate`, `CleanText`; lists as
`ishc_platform.pagination.Page[T]`), so OpenAPI describes each body. None yet: they
come with the first routes (`api/health_checks.py`, `api/exercise_sessions.py`,
`api/home_care_visits.py`).
"""
