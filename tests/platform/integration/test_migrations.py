"""Each service's migrations create exactly what its models describe, on
SQLite and PostgreSQL, and a second run changes nothing."""

from __future__ import annotations

import pytest
from alembic import command

from ishc_platform.db import make_sync_engine
from ishc_platform.migrate import alembic_config, upgrade

pytestmark = pytest.mark.integration
SERVICES = ["registry", "finance", "health", "reporting"]


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_match_the_models(service: str, database_url: str) -> None:
    upgrade(service, database_url)
    upgrade(service, database_url)  # idempotent: a restart applies nothing new
    engine = make_sync_engine(database_url)
    try:
        with engine.connect() as connection:
            command.check(alembic_config(service, connection))  # raises on any drift
    finally:
        engine.dispose()
