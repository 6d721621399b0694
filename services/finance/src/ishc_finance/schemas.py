"""Typed request and response models of the finance service's routes.

Every route under `api/` takes and answers one of these (pydantic models built on
`ishc_platform.validation.StrictModel`, `CalendarDate`, `CleanText`; lists as
`ishc_platform.pagination.Page[T]`), so OpenAPI describes each body. None yet: they
come with the first routes (`api/funds.py`, `api/loans.py`).
"""
