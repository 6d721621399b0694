"""Startup benchmark: each service as a real uvicorn process (as the tests start
them), on a fresh database of its own, against a raw baseline in the same run.

- ready_s: from just before `subprocess.Popen` to the first 200 from `/readyz`
  (the database and Redis answer); on a fresh database this includes the
  migrations run on start. Baseline: a process running
  `python -c "import fastapi, sqlalchemy, redis"`; the ratio is of the medians.
- rss_mib: VmRSS of the uvicorn process once ready and after 200 GETs of one
  cheap authenticated read (a national token, for health a province one; the
  rate limit is off).

Each figure is measured `--runs` times (interleaved with the baseline); every
run and the median are reported.

    uv run python -m bench.startup --runs 3
    uv run python -m bench.startup --runs 3 --database sqlite
"""

from __future__ import annotations

import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from bench.common import REDIS, drop, new_database, rss_mib
from ishc_platform.auth import Role, issue_token
from tests.helpers.services import ServiceProcess

app = typer.Typer(add_completion=False)
SECRET = "b" * 48
# One cheap authenticated read per service (a list, empty on a fresh database)
# and the token's provinces: health's audit list is for province tokens only.
READS: dict[str, tuple[str, list[str]]] = {
    "registry": ("/v1/clubs", []),
    "finance": ("/v1/funds", []),
    "health": ("/v1/health-book-accesses", ["86"]),
    "reporting": ("/v1/indicators/provinces", []),
}


def baseline_s() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import fastapi, sqlalchemy, redis"], check=True)
    return time.perf_counter() - started


def measure(name: str, database: str, scratch: Path, reads: int) -> dict[str, float]:
    url, db_name = new_database(database, scratch)
    env = {
        "ISHC_DATABASE_URL": url,
        "ISHC_REDIS_URL": REDIS,
        "ISHC_JWT_SECRETS": SECRET,
        "ISHC_STREAM_PREFIX": f"bench.{uuid.uuid4().hex[:8]}.",
        "ISHC_LOG_JSON": "false",
        "ISHC_LOG_LEVEL": "WARNING",
        "ISHC_RATE_LIMIT_PER_MINUTE": "0",
        "ISHC_HEALTH_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
    }
    service = ServiceProcess(name, env, scratch / f"{name}.log")
    service.poll_seconds = 0.005  # the time to ready to 5 ms, not the tests' 100
    path, provinces = READS[name]
    role = Role.PROVINCE if provinces else Role.NATIONAL
    token = issue_token(SECRET, sub="bench", role=role, provinces=provinces)
    try:
        service.start()
        assert service.process is not None
        ready = rss_mib(service.process.pid)
        with httpx.Client(
            base_url=service.url, headers={"Authorization": f"Bearer {token}"}, timeout=10
        ) as client:
            for _ in range(reads):
                reply = client.get(path)
                assert reply.status_code == 200, (name, reply.status_code, reply.text[:300])
        return {
            "ready_s": service.ready_seconds,
            "rss_ready_mib": ready,
            "rss_after_reads_mib": rss_mib(service.process.pid),
        }
    finally:
        service.stop()
        drop(db_name)


def summary(values: list[float]) -> dict[str, Any]:
    return {"runs": [round(v, 3) for v in values], "median": round(statistics.median(values), 3)}


@app.command()
def main(
    runs: Annotated[int, typer.Option(help="starts per service; every run and the median")] = 3,
    database: Annotated[str, typer.Option(help="postgresql or sqlite (a fresh one each start)")] = (
        "postgresql"
    ),
    reads: Annotated[int, typer.Option(help="GETs before the second RSS reading")] = 200,
    only: Annotated[
        list[str] | None, typer.Option(help="these services (default: all four)")
    ] = None,
) -> None:
    if database not in ("postgresql", "sqlite"):
        raise typer.BadParameter("postgresql or sqlite", param_hint="--database")
    names = only or list(READS)
    if unknown := set(names) - set(READS):
        raise typer.BadParameter(
            f"unknown {sorted(unknown)}; {', '.join(READS)}", param_hint="--only"
        )
    baseline: list[float] = []
    figures: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(runs):
            baseline.append(baseline_s())
            for name in names:
                figures[name].append(measure(name, database, Path(scratch), reads))
    results: list[dict[str, Any]] = [
        {
            "figure": "baseline: python -c 'import fastapi, sqlalchemy, redis'",
            "seconds": summary(baseline),
        }
    ]
    for name in names:
        row: dict[str, Any] = {"figure": "startup", "service": name, "database": database}
        for key in ("ready_s", "rss_ready_mib", "rss_after_reads_mib"):
            row[key] = summary([run[key] for run in figures[name]])
        row["ratio_ready_to_baseline"] = round(
            row["ready_s"]["median"] / statistics.median(baseline), 2
        )
        results.append(row)
    for row in results:
        print(json.dumps(row))
    out = Path("bench/out")
    out.mkdir(parents=True, exist_ok=True)
    (out / f"startup-{int(time.time())}.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    app()
