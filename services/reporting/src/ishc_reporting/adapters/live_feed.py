"""Live indicator changes for `/v1/live` (server-sent events) and the dashboard.

One watcher per process polls the projection's revision (a single-row read)
every quarter second; when a batch of events has moved it, the watcher
recomputes today's province table once and hands it to every subscriber, who
receives only the provinces it may see and only those that changed. Polling the
database, rather than listening to this process's consumer, means every replica
sees every change, whichever replica applied it.

Each row is kept twice: exact, for signed-in viewers, and with small cells
suppressed (`domain/small_cells.py`), for the public. A subscriber gets the
public rows unless it asks for exact ones (`subscribe(exact=True)`,
`snapshot(..., exact=True)`), so a caller that forgets to ask leaks nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import date
from typing import Any

import structlog

from ishc_platform.admin_units import Boundary
from ishc_platform.clock import vietnam_now
from ishc_platform.db import Database
from ishc_platform.tasks import stop_if_cancelled
from ishc_reporting import queries
from ishc_reporting.domain.indicators import percent
from ishc_reporting.domain.plans import rollout_status
from ishc_reporting.domain.small_cells import suppress_small_cells
from ishc_reporting.schemas import jsonable
from ishc_reporting.settings import ReportingSettings

log = structlog.get_logger(__name__)


# Statuses of a target whose window is still open on the day asked for.
OPEN = frozenset({"not_started", "reached", "on_track", "behind", "running"})


def coverage_target(plans: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The coverage target the province table sets a province's coverage beside:
    of the first plan in force that has one, the first still open (else its
    first), over all its communes (not one kind of commune). With its plan."""
    for plan in plans:
        found = [
            t
            for t in plan.get("targets") or []
            if t.get("indicator") == "coverage" and t.get("commune_category") is None
        ]
        if found:
            return plan, next((t for t in found if t.get("status") in OPEN), found[0])
    return None


def summary(row: dict[str, Any]) -> dict[str, Any]:
    """What the dashboard's province table shows of one province: its own
    coverage on the page's map, and beside it the coverage target of its first
    plan in force that has one, with the value that plan measures it by (over
    the plan's own territory, which may be the old province)."""
    ind = row["indicators"]
    found = coverage_target(row.get("plans") or [])
    plan, target = found if found else ({}, {})
    return {
        "code": row["code"],
        "name": row["name"],
        "coverage": ind["coverage"],
        "communes_note": row.get("communes_note"),
        "coverage_plan": plan.get("id"),
        "coverage_target": target.get("target"),
        "coverage_target_max": target.get("target_max"),
        "coverage_target_by": target.get("by"),
        "coverage_measured": target.get("value"),
        "coverage_gap": target.get("gap"),
        "coverage_expected": target.get("expected"),
        "coverage_status": target.get("status"),
        "coverage_plan_title": plan.get("title"),
        "status": rollout_status(row.get("plans") or []),
        "communes_with_club": ind["communes_with_club"],
        "communes": ind["communes"],
        "clubs": ind["clubs"],
        "members": ind["members"],
        "shares": ind["shares"],
        "borrowers": ind["borrowers"],
        "borrowers_share": ind["borrowers_share"],
        "loans_outstanding": ind["loans_outstanding"],
        "outstanding_principal_vnd": ind["outstanding_principal_vnd"],
        "par30": ind["par30"],
        "fund_balance_vnd": ind["fund_balance_vnd"],
        # each share of members beside its count, so the public sees neither when few
        "members_checked_twice": ind["members_checked_twice"],
        "health_checks_ok": ind["health_checks_ok"],
        "members_insured": ind["members_insured"],
        "insurance_coverage": ind["insurance_coverage"],
        "people_cared_for": ind["people_cared_for"],
    }


def totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The sum of some provinces' lines (exact figures): counts added up, and
    coverage recomputed as communes with a club over communes, never a sum or
    a mean of the provinces' shares."""
    if not rows:
        return {"coverage": None, "communes": None, "communes_with_club": None}

    def whole(key: str) -> int:
        return sum(int(r.get(key) or 0) for r in rows)

    communes, with_club = whole("communes"), whole("communes_with_club")
    return {
        "coverage": percent(with_club, communes),
        "communes": communes,
        "communes_with_club": with_club,
        "clubs": whole("clubs"),
        "members": whole("members"),
    }


class LiveFeed:
    def __init__(
        self, db: Database, interval: float = 0.25, small_cell_threshold: int | None = None
    ) -> None:
        self.db = db
        self.interval = interval
        self.threshold = small_cell_threshold or ReportingSettings().small_cell_threshold
        self.revision = -1
        self.day: date | None = None  # the date the figures were computed for
        self.at = ""  # when they were last read, Vietnam's time ("01:30:00")
        self.rows: dict[str, dict[str, Any]] = {}  # exact
        self.public_rows: dict[str, dict[str, Any]] = {}
        self._subscribers: dict[asyncio.Queue[dict[str, Any]], bool] = {}  # queue: exact?
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    def subscribe(self, exact: bool = False) -> asyncio.Queue[dict[str, Any]]:
        """A queue of changes; public figures unless `exact` (a signed-in viewer)."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=100)
        self._subscribers[queue] = exact
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._watch(), name="reporting-live")
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._subscribers.pop(queue, None)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _watch(self) -> None:
        while self._subscribers:
            try:
                await self._poll()
            except Exception as exc:  # a database hiccup must not end the feed
                stop_if_cancelled(exc)
                log.warning("live.poll_failed", error=repr(exc)[:200])
            await asyncio.sleep(self.interval)
        self._task = None

    async def _poll(self) -> None:
        async with self.db.sessions() as session:
            state = await queries.projection_state(session)
            revision = state.revision if state else 0
            q = queries.todays_query()
            self.at = vietnam_now().strftime("%H:%M:%S")
            # Nothing new, and still the same day: after midnight the figures are
            # recomputed even without new events (ages and periods move with the date).
            if revision == self.revision and q.as_of == self.day:
                return
            # Every province, read unchecked: each subscriber gets only the ones it may see.
            table = await queries.province_table_unchecked(session, q)
        rows = {r["code"]: jsonable(summary(r)) for r in table["provinces"]}
        public = {code: suppress_small_cells(row, self.threshold) for code, row in rows.items()}
        messages = {
            exact: {
                "revision": revision,
                "as_of": str(q.as_of),
                "boundary": q.boundary.value,
                "at": self.at,
                "provinces": [row for code, row in new.items() if old.get(code) != row],
            }
            for exact, new, old in ((True, rows, self.rows), (False, public, self.public_rows))
        }
        self.rows, self.public_rows, self.revision = rows, public, revision
        self.day = q.as_of
        for queue, exact in list(self._subscribers.items()):
            with contextlib.suppress(asyncio.QueueFull):  # a stalled reader misses a beat
                queue.put_nowait(messages[exact])

    def total(self, visible: Callable[[str], bool], exact: bool = False) -> dict[str, Any]:
        """The provinces a viewer sees, added up (`totals`); small cells hidden unless exact."""
        summed = jsonable(totals([row for code, row in self.rows.items() if visible(code)]))
        return summed if exact else suppress_small_cells(summed, self.threshold)

    def snapshot(self, visible: Callable[[str], bool], exact: bool = False) -> dict[str, Any]:
        rows = self.rows if exact else self.public_rows
        return {
            "revision": self.revision,
            # The day and map of the figures: a page of another day or map ignores them.
            "as_of": str(self.day) if self.day else None,
            "boundary": Boundary.CURRENT.value,
            "at": self.at,
            "provinces": [row for code, row in rows.items() if visible(code)],
        }
