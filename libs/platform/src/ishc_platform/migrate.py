"""Apply a service's Alembic migrations under a database lock.

Services run this at start (unless `ISHC_MIGRATE_ON_START=false`); a deployment
can run it as a job instead: `python -m ishc_platform.migrate <service>`.
"""

from __future__ import annotations

import fcntl
import importlib
import sys
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, MetaData, text

from ishc_platform.db import make_sync_engine, sync_url
from ishc_platform.models import platform_metadata
from ishc_platform.settings import Settings

_PLATFORM_MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(service: str, connection: Connection | None = None) -> Config:
    package = importlib.import_module(f"ishc_{service}")
    service_versions = Path(package.__file__ or "").parent / "migrations" / "versions"
    models = importlib.import_module(f"ishc_{service}.models")
    config = Config()
    config.set_main_option("script_location", str(_PLATFORM_MIGRATIONS))
    # Shared branches a service opts into (e.g. the registry directory) by name.
    shared = [_PLATFORM_MIGRATIONS / b for b in getattr(models, "MIGRATION_BRANCHES", ())]
    locations = [_PLATFORM_MIGRATIONS / "versions", *shared, service_versions]
    config.set_main_option("version_locations", " ".join(str(p) for p in locations))
    config.set_main_option("path_separator", "space")
    metadata: MetaData = models.metadata
    config.attributes["target_metadata"] = [
        platform_metadata,
        *getattr(models, "SHARED_METADATA", ()),
        metadata,
    ]
    config.attributes["connection"] = connection
    return config


@contextmanager
def _migration_lock(connection: Connection, url: str, service: str) -> Iterator[None]:
    if connection.dialect.name == "postgresql":
        key = zlib.crc32(f"ishc-migrate:{service}".encode())
        connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
        connection.commit()
        try:
            yield
        finally:
            connection.rollback()
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            connection.commit()
        return
    database = sync_url(url).database or ":memory:"
    lock_path = Path(f"{database}.migrate.lock") if database != ":memory:" else None
    if lock_path is None:
        yield
        return
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade(service: str, database_url: str) -> None:
    """Bring the database to the newest revision of the platform and the service."""
    engine = make_sync_engine(database_url)
    try:
        with engine.connect() as connection, _migration_lock(connection, database_url, service):
            command.upgrade(alembic_config(service, connection), "heads")
            connection.commit()
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        raise SystemExit("usage: python -m ishc_platform.migrate <service>")
    service = args[0]
    settings = Settings(service_name=service)
    upgrade(service, settings.resolved_database_url())
    print(f"{service}: migrations applied")


if __name__ == "__main__":
    main()
