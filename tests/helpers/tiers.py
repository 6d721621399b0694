"""The test tiers, kept honest at collection: a test under a `unit/` folder that asks
(directly or through its fixtures) for a real Redis or database fails, naming the
fixture; a test under an `integration/` folder is marked `integration`, so
`make test-fast` leaves it out even where its module forgot the mark."""

from __future__ import annotations

import pytest

# The fixtures of tests/conftest.py that reach a real server.
IO_FIXTURES = frozenset(
    {"redis_url", "redis_client", "postgres_admin_url", "fresh_postgres", "database_url"}
)


def tier_of(item: pytest.Item) -> str | None:
    parts = item.path.parts
    for tier in ("unit", "integration"):
        if tier in parts:
            return tier
    return None


def io_fixtures_of(item: pytest.Item) -> list[str]:
    return sorted(IO_FIXTURES.intersection(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if tier_of(item) == "integration":
            item.add_marker(pytest.mark.integration)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if tier_of(item) == "unit" and (used := io_fixtures_of(item)):
        pytest.fail(
            f"a unit test uses {', '.join(used)} (a real server): move it to integration/",
            pytrace=False,
        )
