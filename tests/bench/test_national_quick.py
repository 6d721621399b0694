"""The national bench at a tiny size: every figure it reports is measured (present
and positive), and its markdown table and plot are written where it is told,
never into bench/RESULTS.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bench.national import app

# Four services, a load and every figure: minutes, not the suite's two-minute default.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

SERVICES = ("registry", "finance", "health", "reporting")
CASES = [
    f"read.{page}.{when}.{boundary}.{q}"
    for page in ("national", "provinces", "86", "dashboard", "dashboard_86")
    for when in ("today", "a_year_ago")
    for boundary in ("current", "legacy")
    for q in ("p50_ms", "p95_ms")
]
EXPECTED = [
    "events.relay.per_s",
    "events.consumer.per_s",
    "import.clubs.per_s",
    "import.members.per_s",
    "load.members",
    "load.registry_events",
    "pipeline.reporting.per_s",
    "pipeline.finance.per_s",
    "pipeline.health.per_s",
    *(f"writes.{s}.{f}" for s in SERVICES[:3] for f in ("per_s", "p50_ms", "p99_ms")),
    "latency.p50_ms",
    "latency.p99_ms",
    *CASES,
    "rebuild.s",
    "rebuild.per_s",
    *(f"memory.{s}.{f}" for s in SERVICES for f in ("rss_mb", "peak_mb", "peak_mb_end")),
    *(f"database.{s}.mb" for s in SERVICES),
    "redis.used_mb",
    *(f"redis.{s}.{f}" for s in SERVICES[:3] for f in ("entries", "mb")),
]
# Figures measured against a raw baseline of the same run.
WITH_BASELINE = [
    "events.relay.per_s",
    "events.consumer.per_s",
    "import.members.per_s",
    "pipeline.reporting.per_s",
    "rebuild.per_s",
    "read.national.today.current.p50_ms",
]


def test_quick_bench_measures_every_figure(
    tmp_path: Path, redis_url: str, postgres_admin_url: str
) -> None:
    results = Path("bench/RESULTS.md")
    before = results.read_text()
    reply = CliRunner().invoke(
        app,
        ["--quick", "--clubs", "30", "--members-per-club", "10", "--seconds", "3",
         "--repeat", "5", "--writes", "20", "--events", "2000", "--out", str(tmp_path)],
    )  # fmt: skip
    assert reply.exit_code == 0, reply.output
    (report,) = tmp_path.glob("national-*.json")
    rows = {row["key"]: row for row in json.loads(report.read_text())["rows"]}
    missing = [key for key in EXPECTED if key not in rows]
    assert not missing
    assert all(rows[key]["value"] > 0 for key in EXPECTED), {k: rows[k]["value"] for k in EXPECTED}
    assert rows["load.members"]["value"] >= 30 * 5
    for key in WITH_BASELINE:
        assert rows[key]["baseline_value"] > 0 and rows[key]["ratio"] > 0, rows[key]
    (table,) = tmp_path.glob("national-*.md")
    assert table.read_text().count("\n|") >= len(EXPECTED)
    (png,) = tmp_path.glob("national-*.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert results.read_text() == before
