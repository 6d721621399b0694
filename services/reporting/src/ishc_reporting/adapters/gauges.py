"""The reporting service's own gauges: how fresh the projection is, and a few
national indicators per province, refreshed in the background."""

from __future__ import annotations

import asyncio

import structlog
from fastapi import FastAPI
from prometheus_client import Gauge

from ishc_contracts.finance_events import STREAM as FINANCE_STREAM
from ishc_contracts.health_events import STREAM as HEALTH_STREAM
from ishc_contracts.registry_events import STREAM as REGISTRY_STREAM
from ishc_platform.clock import as_utc, utcnow
from ishc_platform.db import Database
from ishc_platform.tasks import stop_if_cancelled
from ishc_reporting import queries

log = structlog.get_logger(__name__)

REFRESH_SECONDS = 15.0

PROJECTION_REVISION = Gauge(
    "ishc_reporting_projection_revision", "Batches applied to the projection"
)
PROJECTION_STALENESS = Gauge(
    "ishc_reporting_projection_staleness_seconds",
    "How long the projection has been behind its streams (0 when caught up)",
)
COVERAGE = Gauge(
    "ishc_reporting_coverage_percent", "Communes with an active club, today", ["province"]
)
CLUBS = Gauge("ishc_reporting_active_clubs", "Active clubs, today", ["province"])
MEMBERS = Gauge("ishc_reporting_members", "Members of active clubs, today", ["province"])


async def refresh(db: Database, lag: int) -> None:
    async with db.sessions() as session:
        state = await queries.projection_state(session)
        # The gauges are every province's, whoever scrapes them: read unchecked.
        table = await queries.province_table_unchecked(session, queries.todays_query())
    if state is not None:
        PROJECTION_REVISION.set(state.revision)
        age = 0.0
        if lag > 0 and state.applied_at is not None:
            age = (utcnow() - as_utc(state.applied_at)).total_seconds()
        PROJECTION_STALENESS.set(max(age, 0.0))
    for row in table["provinces"]:
        indicators = row["indicators"]
        COVERAGE.labels(row["code"]).set(float(indicators["coverage"] or 0))
        CLUBS.labels(row["code"]).set(indicators["clubs"])
        MEMBERS.labels(row["code"]).set(indicators["members"])


async def _lag(app: FastAPI) -> int:
    """Entries of the streams reporting consumes not yet applied (read or not)."""
    behind = 0
    for stream in (REGISTRY_STREAM, FINANCE_STREAM, HEALTH_STREAM):
        try:
            groups = await app.state.redis.xinfo_groups(app.state.settings.stream_prefix + stream)
        except Exception:  # no stream yet, or Redis away: nothing known to be behind
            continue
        for group in groups:
            name = group["name"].decode() if isinstance(group["name"], bytes) else group["name"]
            if name == "reporting":
                behind += int(group.get("lag") or 0) + int(group.get("pending") or 0)
    return behind


async def keep_gauges_fresh(app: FastAPI) -> None:
    while True:
        try:
            await refresh(app.state.db, await _lag(app))
        except Exception as exc:
            stop_if_cancelled(exc)
            log.warning("reporting.gauges_failed", error=repr(exc)[:200])
        await asyncio.sleep(REFRESH_SECONDS)
