"""`Annotated` dependency aliases every route uses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_platform.auth import CurrentCaller, LogReader, OpsCaller
from ishc_platform.db import Database
from ishc_platform.idempotency import request_session
from ishc_platform.pagination import Cursor, Limit
from ishc_platform.settings import Settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The route's session; under an Idempotency-Key its commit carries the answer
    (`ishc_platform.idempotency.request_session`)."""
    db: Database = request.app.state.db
    async with request_session(db) as session:
        yield session


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# Closed when the route returns, before the response is sent: on SQLite every
# transaction holds the write lock (BEGIN IMMEDIATE), and the idempotency
# middleware writes the answer before sending it, so a route that read without
# committing would otherwise hold the lock the middleware waits for (a 15 s hang).
# (A route that committed under a key keeps its session: the answer commits in it.)
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]

__all__ = [
    "CurrentCaller",
    "Cursor",
    "Limit",
    "LogReader",
    "OpsCaller",
    "SessionDep",
    "SettingsDep",
]
