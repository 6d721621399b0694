"""The short fault-injection run of `make test`: the four services as processes
on PostgreSQL and a Redis with AOF, a minute of seeded writes through the
registry, finance and health while a service is SIGKILLed, Redis restarted, the
database's connections cut and Redis's data lost once; then every accepted
write is in its source exactly once, no refused write left a trace, reporting
equals the sources, and no client saw a hang, a 5xx or a 503 without
Retry-After. The long run: `python -m tests.faults.run --seconds 600`
(tests/faults/README.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.faults.run import FAULT_KINDS, fault_run

pytestmark = pytest.mark.e2e
SEED = 7
WORKLOAD_SECONDS = 60.0


@pytest.mark.timeout(420)
def test_a_minute_of_faults_loses_and_doubles_nothing(
    postgres_admin_url: str, tmp_path: Path
) -> None:
    report: dict[str, Any] = fault_run(
        SEED, WORKLOAD_SECONDS, postgres_admin_url, tmp_path, recover_seconds=90.0
    )
    summary = {k: report.get(k) for k in ("faults", "writes", "differences", "failures")}
    (tmp_path / "report.json").write_text(json.dumps(report, indent=2, default=str))
    # The figures, for `pytest -s` (or `-rP`): faults, writes, times.
    keys = ("seed", "workload_seconds", "recovery_seconds", "wall_seconds", "faults_by_kind")
    print(json.dumps({**{k: report.get(k) for k in keys}, "writes": report["writes"]}))
    # The run did what it claims: every kind of fault, and writes around them.
    assert set(report["faults_by_kind"]) == set(FAULT_KINDS), summary
    assert report["faults_by_kind"]["lose_redis"] == 1, summary
    writes = report["writes"]
    assert writes["accepted"] >= 100 and writes["refused"] >= 1, summary
    assert writes["retried"] >= 1, summary  # some answer was lost and asked for again
    # ...and nothing went wrong: no failure, no difference.
    assert report["failures"] == [], summary
    assert report["differences"] == {"sources": [], "reporting": []}, summary
    command = report["reconcile_command"]
    assert command["ran"] and command["exit"] == 0, command
    # The checks above can fail: planted differences are each named.
    assert report["self_check"]["all"], report["self_check"]
    # No write was refused as a duplicate of itself after its answer was lost
    # (the answer commits with the change: test_idempotency_gap.py).
    assert report["idempotency_gap"] == [], summary
    assert report["ok"], summary
