"""Database engines and sessions: SQLite by default, PostgreSQL in production.

Sessions are async (SQLModel's AsyncSession). Only a service layer commits.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLATimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import create_engine
from sqlmodel.ext.asyncio.session import AsyncSession


def async_url(url: str) -> URL:
    """The URL with an async driver: aiosqlite for SQLite, psycopg for PostgreSQL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    raise ValueError(f"unsupported database {parsed.get_backend_name()!r}")


def sync_url(url: str) -> URL:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite")
    return async_url(url)


def is_sqlite(engine: AsyncEngine | Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _prepare_sqlite_file(url: URL) -> None:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(sync_engine: Engine) -> None:
    """WAL for concurrent readers; `BEGIN IMMEDIATE` so two writers queue on the
    busy timeout instead of failing when a read transaction upgrades to a write."""

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's begin event issue BEGIN
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _cache_long_statements() -> None:
    """Let psycopg keep its parse of long statements too.

    psycopg finds the placeholders of each statement with a regular expression
    and caches the result only for statements under 4,096 characters and 50
    parameters (`psycopg._queries`, no public setting). SQLAlchemy's multi-row
    INSERTs exceed both, so every batch a consumer wrote paid that parse again:
    about 1 ms per 100-row insert, 7% of a consumer's samples in a profile.
    Their text repeats (one per table and batch size), and the cache is still
    psycopg's own LRU of 128 statements, so memory stays bounded. If a psycopg
    release renames the settings, this does nothing and statements are parsed
    as before.
    """
    from psycopg import _queries

    if hasattr(_queries, "MAX_CACHED_STATEMENT_LENGTH"):
        _queries.MAX_CACHED_STATEMENT_LENGTH = _LONGEST_CACHED_STATEMENT
    if hasattr(_queries, "MAX_CACHED_STATEMENT_PARAMS"):
        _queries.MAX_CACHED_STATEMENT_PARAMS = _MOST_CACHED_PARAMETERS


_LONGEST_CACHED_STATEMENT = 256 * 1024  # characters: a 1,000-row insert of ten columns
_MOST_CACHED_PARAMETERS = 65_535  # PostgreSQL's own limit per statement


def make_async_engine(url: str, **kwargs: Any) -> AsyncEngine:
    aurl = async_url(url)
    if aurl.get_backend_name() == "sqlite":
        _prepare_sqlite_file(aurl)
        engine = create_async_engine(aurl, **kwargs)
        _sqlite_pragmas(engine.sync_engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_pre_ping", True)
    _cache_long_statements()
    engine = create_async_engine(aurl, **kwargs)
    # Many rows inserted at once go as few multi-row statements, as SQLAlchemy
    # does for psycopg2, not a statement a row in psycopg's pipeline (about
    # 25 µs of Python per row: most of a consumer's batch was spent there).
    engine.sync_engine.dialect.use_insertmanyvalues_wo_returning = True
    return engine


def make_sync_engine(url: str) -> Engine:
    surl = sync_url(url)
    if surl.get_backend_name() == "sqlite":
        _prepare_sqlite_file(surl)
        engine = create_engine(surl)
        _sqlite_pragmas(engine)
        return engine
    _cache_long_statements()
    return create_engine(surl, pool_pre_ping=True)


def is_unique_violation(exc: BaseException) -> bool:
    """Whether a database error (SQLAlchemy's, or the driver's) is a unique or
    primary key violation, on PostgreSQL (psycopg) or SQLite: how a use case
    tells a lost race for a key from other integrity errors."""
    orig = getattr(exc, "orig", exc)
    if (sqlstate := getattr(orig, "sqlstate", None)) is not None:
        return bool(sqlstate == "23505")  # unique_violation
    name = getattr(orig, "sqlite_errorname", None)  # sqlite3, Python >= 3.11
    if name is not None:
        return name in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY")
    return "UNIQUE constraint failed" in str(orig)


class Database:
    """One service's database: an engine and its session factory."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_async_engine(url, **engine_kwargs)
        self.sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        # One outbox relay at a time in this process (see OutboxRelay).
        self.relay_lock = asyncio.Lock()

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.engine)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


def is_transient(exc: BaseException) -> bool:
    """Lost connections, timeouts and locks: the request or the event is fine, the
    database is not (consumers retry; HTTP answers 503 with Retry-After)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(
        exc, OperationalError | InterfaceError | DisconnectionError | SQLATimeoutError | OSError
    )
