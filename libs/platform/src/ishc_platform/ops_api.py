"""Routes every service has: health, readiness, metrics, its event log, its
outbox status and, where it consumes, its dead letters."""

from __future__ import annotations

import asyncio
import re
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import func, text
from sqlmodel import select

from ishc_contracts import public_view
from ishc_platform.auth import Role
from ishc_platform.consumer import InboxConsumer, RedriveError
from ishc_platform.deps import Cursor, Limit, LogReader, OpsCaller, SessionDep
from ishc_platform.errors import Problem, invalid, problems
from ishc_platform.models import OutboxEvent
from ishc_platform.outbox import log_head, read_log
from ishc_platform.pagination import Page, decode_cursor, encode_cursor
from ishc_platform.validation import UtcInstant

router = APIRouter()
EVENT_ID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
STREAM_ENTRY_ID = re.compile(r"^[0-9]{1,20}-[0-9]{1,20}$")
"""A Redis stream entry id; anything else would be Redis's error, not a 404."""


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    checks: dict[str, str]
    backfill: dict[str, dict[str, Any]] | None = None  # per source (ADR 0005)


class EventLogPage(BaseModel):
    items: list[dict[str, Any]]  # envelopes (ishc_contracts.Envelope); see /asyncapi.json
    next_cursor: str | None = None


class LogHead(BaseModel):
    event_id: str | None
    position: int
    after_position: int
    events_after: int


class OutboxStatus(BaseModel):
    unpublished: int
    oldest_unpublished_at: UtcInstant | None
    published: int


class DeadLetterOut(BaseModel):
    entry_id: str
    source_stream: str
    source_id: str
    group: str
    deliveries: int
    error: str
    dead_at: str
    event_type: str | None
    event_id: str | None


class Redriven(BaseModel):
    entry_id: str
    applied: bool
    already_applied: bool


@router.get("/healthz", tags=["ops"], response_model=Health)
async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    tags=["ops"],
    response_model=Readiness,
    response_model_exclude_none=True,
    responses=problems(503),
)
async def readyz(request: Request) -> dict[str, Any]:
    """Readiness: the database and Redis answer."""
    checks: dict[str, str] = {}
    try:
        async with asyncio.timeout(2):
            async with request.app.state.db.sessions() as session:
                await session.scalar(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"failing: {type(exc).__name__}"
    try:
        async with asyncio.timeout(2):
            await request.app.state.redis.ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"failing: {type(exc).__name__}"
    if any(v != "ok" for v in checks.values()):
        raise Problem(503, "a dependency is not answering", kind="not-ready", checks=checks)
    ready: dict[str, Any] = {"status": "ready", "checks": checks}
    # A gap in the sources' logs is a detail, not a 503: backfill closes it (ADR 0005).
    if backfills := getattr(request.app.state, "backfills", None):
        ready["backfill"] = {b.source: b.status.as_dict() for b in backfills}
    return ready


@router.get("/metrics", tags=["ops"], include_in_schema=False)
async def prometheus_metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@router.get("/asyncapi.json", tags=["ops"])
async def asyncapi(request: Request) -> dict[str, Any]:
    """The AsyncAPI document of the streams this service publishes and consumes:
    one message per event type, with its versioned payload schema."""
    document: dict[str, Any] = request.app.state.asyncapi
    return document


@router.get("/v1/events", tags=["ops"], response_model=EventLogPage)
async def event_log(
    caller: LogReader,
    session: SessionDep,
    after: str | None = Query(
        None,
        description="an event id (a UUID); events after it",
        max_length=36,
        pattern=EVENT_ID_PATTERN,
    ),
    limit: Limit = 100,
) -> dict[str, Any]:
    """This service's published events in log order (for replays and rebuilds).

    Service tokens read the events whole; ops and national tokens read their
    public view, without a person's attributes (ADR 0004)."""
    try:
        items, more = await read_log(session, after=after, limit=limit)
    except LookupError:
        raise invalid("after", "no published event of this service has that id") from None
    next_cursor = items[-1]["id"] if more and items else None
    if caller.role is not Role.SERVICE:
        items = [public_view(item) for item in items]
    return {"items": items, "next_cursor": next_cursor}


@router.get("/v1/events/head", tags=["ops"], response_model=LogHead)
async def event_log_head(
    _caller: LogReader,
    session: SessionDep,
    after: str | None = Query(
        None,
        description="an event id (a UUID); count the events after it",
        max_length=36,
        pattern=EVENT_ID_PATTERN,
    ),
) -> dict[str, Any]:
    """The end of this service's event log and how many events follow `after`:
    how a consumer sees what it has not checked yet (ADR 0005)."""
    try:
        return await log_head(session, after=after)
    except LookupError:
        raise invalid("after", "no published event of this service has that id") from None


@router.get("/v1/outbox/status", tags=["ops"], response_model=OutboxStatus)
async def outbox_status(_caller: OpsCaller, session: SessionDep) -> dict[str, Any]:
    unsent, oldest = (
        await session.exec(
            select(func.count(), func.min(OutboxEvent.created_at)).where(
                OutboxEvent.position.is_(None)  # type: ignore[union-attr]
            )
        )
    ).one()
    published = await session.scalar(select(func.max(OutboxEvent.position))) or 0
    return {"unpublished": unsent, "oldest_unpublished_at": oldest, "published": published}


def _consumer(request: Request, stream: str) -> InboxConsumer:
    for consumer in request.app.state.consumers:
        if consumer.stream == stream:
            return consumer
    raise invalid(
        "stream",
        "this service does not consume that stream",
        allowed=[c.stream for c in request.app.state.consumers],
    )


@router.get("/v1/dead-letters", tags=["ops"], response_model=Page[DeadLetterOut])
async def dead_letters(
    request: Request,
    _caller: OpsCaller,
    stream: str = Query(..., description="the stream consumed, e.g. ishc.registry"),
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Entries this service's consumer gave up on, oldest first."""
    consumer = _consumer(request, stream)
    position = decode_cursor(cursor, {"after"})
    if position is not None and not STREAM_ENTRY_ID.fullmatch(position["after"]):
        raise invalid("cursor", "the cursor is not one this API returned")
    letters = await consumer.dead_letters(
        after=position["after"] if position else None, limit=limit
    )
    next_cursor = encode_cursor({"after": letters[-1].entry_id}) if len(letters) == limit else None
    return {"items": [asdict(d) for d in letters], "next_cursor": next_cursor}


@router.post(
    "/v1/dead-letters/{entry_id}/redrive",
    tags=["ops"],
    response_model=Redriven,
    responses=problems(404, 409),
)
async def redrive(
    request: Request,
    entry_id: Annotated[str, Path(pattern=STREAM_ENTRY_ID.pattern, description="a DLQ entry id")],
    _caller: OpsCaller,
    stream: str = Query(..., description="the stream consumed, e.g. ishc.registry"),
) -> dict[str, Any]:
    """Apply a dead letter again (once, whatever happens) and remove it from the DLQ."""
    consumer = _consumer(request, stream)
    try:
        applied = await consumer.redrive(entry_id)
    except LookupError:
        raise Problem(404, "no such dead letter for this service", kind="not-found") from None
    except RedriveError as exc:
        raise Problem(409, str(exc), kind="redrive-failed") from None
    return {"entry_id": entry_id, "applied": bool(applied), "already_applied": not applied}
