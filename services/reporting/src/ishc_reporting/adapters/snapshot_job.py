"""The reporting process's snapshot job (ADR 0008): rewrite stale snapshots,
build missing months and measure their trend shares in the background, a
month at a time."""

from __future__ import annotations

import asyncio

import structlog
from fastapi import FastAPI

from ishc_platform.tasks import stop_if_cancelled
from ishc_reporting.service.snapshots import keep_snapshots
from ishc_reporting.settings import ReportingSettings

log = structlog.get_logger(__name__)

CATCHING_UP_SECONDS = 1.0  # between months while some are not built yet


async def keep_snapshots_fresh(app: FastAPI) -> None:
    every = ReportingSettings().snapshot_seconds
    if every == 0:
        return  # turned off: past dates are computed from the facts
    await asyncio.sleep(every)  # the process's start belongs to its requests
    while True:
        pause = every
        try:
            work = await keep_snapshots(app.state.db)
            if work.months_built:
                log.info(
                    "reporting.snapshots_built",
                    months=[f"{m:%m/%Y} ({age})" for m, age in work.months_built],
                    missing=work.months_missing,
                )
            if (work.months_missing or work.trend_months_missing) and not work.busy:
                pause = min(CATCHING_UP_SECONDS, every)
        except Exception as exc:  # a lost connection, say: the next round starts over
            stop_if_cancelled(exc)
            log.warning("reporting.snapshots_failed", error=repr(exc)[:200])
        await asyncio.sleep(pause)
