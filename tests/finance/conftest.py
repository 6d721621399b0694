"""The finance service over HTTP in-process, on a real database and a real Redis.

Finance learns its clubs and members from registry events (its directory). These
tests put directory rows in its database directly, as the consumer would, so each
test states the clubs and members it needs; `tests/finance/integration/test_directory.py`
and the end-to-end test show the same rows arriving as events.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from ishc_finance.app import create_app
from ishc_platform.auth import Role, issue_token
from ishc_platform.settings import Settings
from tests.helpers.directory_service import (
    DONG_NAI,
    VINH_LONG,
    DirectoryService,
    open_service,
    stream_prefix,
)

SECRET = "f" * 48


def bearer(role: Role, *provinces: str, sub: str = "vinh-long-staff") -> dict[str, str]:
    token = issue_token(SECRET, sub=sub, role=role, provinces=provinces)
    return {"Authorization": f"Bearer {token}"}


VL = bearer(Role.PROVINCE, VINH_LONG)
DN = bearer(Role.PROVINCE, DONG_NAI, sub="dong-nai-staff")
NATIONAL = bearer(Role.NATIONAL, sub="vae")
OPS = bearer(Role.OPS, sub="ops")

Finance = DirectoryService
"""The finance service under test (`tests.helpers.directory_service`)."""


@contextmanager
def open_finance(database_url: str, redis_url: str) -> Iterator[Finance]:
    """The finance app on this database, with its own streams (removed afterwards)."""
    prefix = stream_prefix()
    settings = Settings(
        database_url=database_url, redis_url=redis_url, jwt_secrets=SECRET, stream_prefix=prefix
    )
    app = create_app(settings)
    with open_service(app, database_url, redis_url, "ishc.finance", prefix, SECRET) as opened:
        yield opened


@pytest.fixture
def finance(database_url: str, redis_url: str) -> Iterator[Finance]:
    with open_finance(database_url, redis_url) as opened:
        yield opened


@pytest.fixture
def pg_finance(fresh_postgres: str, redis_url: str) -> Iterator[Finance]:
    """Finance on PostgreSQL only: races need real concurrent transactions."""
    with open_finance(fresh_postgres, redis_url) as opened:
        yield opened
