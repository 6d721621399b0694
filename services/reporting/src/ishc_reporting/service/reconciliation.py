"""Reconciling the projections with their sources: per club and per province,
each source service's counts and sums (read over HTTP) against the same tallies
computed from reporting's projection of its events (`ishc-reporting reconcile`).

Reads only, and commits nothing. Projections are eventually consistent, so a
difference seen while events are still in flight may close by itself:
`reconcile_until_equal` checks again until the sides agree or time is up.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy.exc import SQLAlchemyError

from ishc_platform.db import Database, async_url
from ishc_reporting.adapters.tally_sources import SourceTallies, SourceUnreadable, read_source
from ishc_reporting.domain.reconciliation import Comparison, Difference, compare
from ishc_reporting.queries.reconciliation import TALLIES, projected_tallies

EQUAL, DIFFERENT, UNREADABLE = 0, 1, 2
"""The command's exit codes: every tally equal; a difference; a side unreadable."""
PROJECTION = "reporting"  # how an unreadable projection is named among the sources


@dataclass(frozen=True)
class Unreadable:
    service: str
    url: str
    reason: str


@dataclass
class Reconciliation:
    """The outcome of one check of every source named."""

    province: str | None
    comparisons: list[Comparison] = field(default_factory=list)
    as_of: dict[str, str] = field(default_factory=dict)  # per source, its clock's instant
    unreadable: list[Unreadable] = field(default_factory=list)
    seconds: float = 0.0
    attempts: int = 1

    @property
    def differences(self) -> list[Difference]:
        return [d for c in self.comparisons for d in c.differences]

    @property
    def exit_code(self) -> int:
        if self.unreadable:
            return UNREADABLE
        return DIFFERENT if self.differences else EQUAL

    def as_dict(self) -> dict[str, Any]:
        """The machine-readable result (`--json`)."""
        return {
            "result": {EQUAL: "equal", DIFFERENT: "different", UNREADABLE: "unreadable"}[
                self.exit_code
            ],
            "exit_code": self.exit_code,
            "province": self.province,
            "seconds": round(self.seconds, 3),
            "attempts": self.attempts,
            "services": {
                c.service: {
                    "as_of": self.as_of.get(c.service),
                    "clubs": c.clubs,
                    "tallies": list(c.names),
                    "source_totals": c.source_totals,
                    "projected_totals": c.projected_totals,
                    "differences": len(c.differences),
                }
                for c in self.comparisons
            },
            "differences": [d.as_dict() for d in self.differences],
            "unreadable": [vars(u) for u in self.unreadable],
        }


async def reconcile(
    db: Database,
    sources: Mapping[str, str],
    token: str,
    *,
    province: str | None = None,
    request_seconds: float = 30.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Reconciliation:
    """Read every source in `sources` (service name to base URL), then reporting's
    projection, and compare them per club and per province."""
    if unknown := sorted(set(sources) - set(TALLIES)):
        raise ValueError(f"reporting projects no events of {', '.join(unknown)}")
    started = time.monotonic()
    outcome = Reconciliation(province=province)
    read = await asyncio.gather(
        *(
            read_source(
                name,
                url,
                token,
                province=province,
                request_seconds=request_seconds,
                transport=transport,
            )
            for name, url in sources.items()
        ),
        return_exceptions=True,
    )
    readable: list[SourceTallies] = []
    for result in read:
        if isinstance(result, SourceUnreadable):
            outcome.unreadable.append(Unreadable(result.service, result.url, result.reason))
        elif isinstance(result, BaseException):
            raise result
        else:
            readable.append(result)
    # The projection is read after its sources, so events committed before they
    # counted have had the most time to arrive.
    try:
        async with db.sessions() as session:
            for source in readable:
                projected = await projected_tallies(session, source.service, province)
                outcome.as_of[source.service] = source.as_of
                outcome.comparisons.append(
                    compare(source.service, TALLIES[source.service], source.tallies, projected)
                )
    except (SQLAlchemyError, OSError) as exc:
        outcome.comparisons.clear()
        outcome.unreadable.append(
            Unreadable(PROJECTION, _shown(db.url), f"{type(exc).__name__}: {exc}"[:500])
        )
    outcome.seconds = time.monotonic() - started
    return outcome


async def reconcile_until_equal(
    db: Database,
    sources: Mapping[str, str],
    token: str,
    *,
    wait_seconds: float = 0.0,
    every: float = 2.0,
    province: str | None = None,
    request_seconds: float = 30.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Reconciliation:
    """`reconcile` again every `every` seconds until every tally is equal or
    `wait_seconds` have passed; the last outcome (a source that cannot be read is
    tried again too: it may be restarting)."""
    deadline = time.monotonic() + wait_seconds
    attempts = 0
    while True:
        attempts += 1
        outcome = await reconcile(
            db,
            sources,
            token,
            province=province,
            request_seconds=request_seconds,
            transport=transport,
        )
        outcome.attempts = attempts
        left = deadline - time.monotonic()
        if outcome.exit_code == EQUAL or left <= 0:
            return outcome
        await asyncio.sleep(min(every, left))


def _shown(url: str) -> str:
    """A database URL without its password, to name in a report."""
    return async_url(url).render_as_string(hide_password=True)
