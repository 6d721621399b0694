"""`ishc-simulate`: draw a world plan, print its numbers, or drive it into the services.

    ishc-simulate plan --seed 7 --provinces 86,75 --commune-share 0.3 --since 2016 \\
        --until 2026-10-31 --json
    ISHC_JWT_SECRETS=... ishc-simulate run --seed 7 --provinces 86,75 --commune-share 0.3 \\
        --since 2016 --until 2026-10-31 --registry http://127.0.0.1:8001 \\
        --finance http://127.0.0.1:8002 --health http://127.0.0.1:8003

    ishc-simulate demo --plans services/reporting/plans/*.toml   # what `make run` loads

The services' per-token rate limit (`ISHC_RATE_LIMIT_PER_MINUTE`, 600 by default)
paces a run; the simulator waits out every 429, so raise or disable the limit
(`0`) on the services for a large world.
"""

from __future__ import annotations

import asyncio
import json
import tomllib
from datetime import date
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console

from ishc_platform.clock import today
from ishc_platform.settings import Settings
from ishc_simulator.adapters.http import (
    RunOptions,
    Services,
    SimulationError,
    progress_bar,
    put_plans,
    simulate,
)
from ishc_simulator.domain import (
    PlanRequestError,
    Scale,
    WorldPlan,
    WorldRequest,
    all_provinces,
    plan_world,
    summarize,
)

app = typer.Typer(no_args_is_help=True, help="Simulate a realistic national ISHC history.")
err = Console(stderr=True)

Seed = Annotated[int, typer.Option(help="the same seed and options draw the same world")]
Provinces = Annotated[
    str, typer.Option(help="current province codes, comma-separated (86,75), or all")
]
CommuneShare = Annotated[
    float, typer.Option(help="share of each province's communes with a club at the end date")
]
Since = Annotated[int, typer.Option(help="the first year of history")]
Until = Annotated[
    str | None, typer.Option(help="the end date, YYYY-MM-DD (default: today in Vietnam)")
]
ScaleOption = Annotated[
    Scale,
    typer.Option(
        help="small: day-to-day records over the last 12 months only; "
        "national: over the whole history"
    ),
]


def _request(
    provinces: str, commune_share: float, since: int, until: str | None, scale: Scale
) -> WorldRequest:
    codes = (
        all_provinces()
        if provinces.strip().lower() == "all"
        else tuple(p.strip() for p in provinces.split(",") if p.strip())
    )
    try:
        end = date.fromisoformat(until) if until else today()
    except ValueError:
        raise typer.BadParameter("a date as YYYY-MM-DD", param_hint="--until") from None
    try:
        return WorldRequest(codes, commune_share, since, end, scale)
    except PlanRequestError as exc:
        raise typer.BadParameter(str(exc)) from None


def _world(seed: int, request: WorldRequest) -> WorldPlan:
    with err.status("drawing the world plan…"):
        return plan_world(seed, request)


@app.command("plan")
def plan(
    seed: Seed = 7,
    provinces: Provinces = "86",
    commune_share: CommuneShare = 0.3,
    since: Since = 2016,
    until: Until = None,
    scale: ScaleOption = Scale.SMALL,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON only")] = False,
) -> None:
    """Print the world plan's counts and shares; no service is touched."""
    world = _world(seed, _request(provinces, commune_share, since, until, scale))
    with err.status("counting…"):
        summary = summarize(world)
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        Console().print_json(data=summary)


@app.command("run")
def run(
    seed: Seed = 7,
    provinces: Provinces = "86",
    commune_share: CommuneShare = 0.3,
    since: Since = 2016,
    until: Until = None,
    scale: ScaleOption = Scale.SMALL,
    registry: Annotated[str, typer.Option(help="registry base URL")] = "http://127.0.0.1:8001",
    finance: Annotated[str, typer.Option(help="finance base URL")] = "http://127.0.0.1:8002",
    health: Annotated[str, typer.Option(help="health base URL")] = "http://127.0.0.1:8003",
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="clubs in flight")] = 4,
    learn_seconds: Annotated[
        float, typer.Option(help="how long finance or health may take to learn a record")
    ] = 120.0,
) -> None:
    """Drive the world plan into the services over HTTP (re-runnable: nothing doubles)."""
    secrets = Settings().jwt_secret_list
    if not secrets:
        raise typer.BadParameter("ISHC_JWT_SECRETS is not set", param_hint="environment")
    world = _world(seed, _request(provinces, commune_share, since, until, scale))
    options = RunOptions(concurrency=concurrency, learn_seconds=learn_seconds)
    services = Services(registry=registry, finance=finance, health=health)
    try:
        report = asyncio.run(simulate(world, services, secrets[0], options, progress_bar()))
    except SimulationError as exc:
        err.print(f"[red]stopped:[/red] {exc}")
        raise typer.Exit(1) from None
    typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))


# The demo: Vĩnh Long and Đồng Nai (the two provincial plans) and Hà Nội, a club
# in one commune in 25, history since 2016; day-to-day records over the last 12
# months (Scale.SMALL), so it loads in minutes on a laptop.
DEMO_SEED = 2016
DEMO_PROVINCES = "86,75,01"
DEMO_COMMUNE_SHARE = 0.04


def _plan_files(paths: list[Path]) -> list[dict[str, object]]:
    plans = []
    for path in paths:
        try:
            with path.open("rb") as handle:
                plans.append(tomllib.load(handle))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise typer.BadParameter(f"{path}: {exc}", param_hint="--plans") from None
    return plans


@app.command("demo")
def demo(
    plans: Annotated[
        list[Path] | None,
        typer.Option(help="plan files (TOML) to store first, e.g. the committed ones"),
    ] = None,
    registry: Annotated[str, typer.Option(help="registry base URL")] = "http://127.0.0.1:8001",
    finance: Annotated[str, typer.Option(help="finance base URL")] = "http://127.0.0.1:8002",
    health: Annotated[str, typer.Option(help="health base URL")] = "http://127.0.0.1:8003",
    reporting: Annotated[str, typer.Option(help="reporting base URL")] = "http://127.0.0.1:8004",
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="clubs in flight")] = 8,
) -> None:
    """Store the plans, then drive the demo world into the services (re-runnable:
    an interrupted load resumes where it stopped and nothing doubles)."""
    secrets = Settings().jwt_secret_list
    if not secrets:
        raise typer.BadParameter("ISHC_JWT_SECRETS is not set", param_hint="environment")
    documents = _plan_files(plans or [])
    try:
        stored = asyncio.run(put_plans(reporting, secrets[0], documents))
    except (SimulationError, httpx.HTTPError) as exc:
        err.print(f"[red]stopped:[/red] {exc}")
        raise typer.Exit(1) from None
    err.print(f"plans stored: {', '.join(stored) or 'none'}")
    world = _world(DEMO_SEED, _request(DEMO_PROVINCES, DEMO_COMMUNE_SHARE, 2016, None, Scale.SMALL))
    services = Services(registry=registry, finance=finance, health=health)
    try:
        report = asyncio.run(
            simulate(
                world, services, secrets[0], RunOptions(concurrency=concurrency), progress_bar()
            )
        )
    except (SimulationError, httpx.HTTPError) as exc:
        err.print(f"[red]stopped:[/red] {exc}")
        raise typer.Exit(1) from None
    typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))


def main() -> None:
    app()
