"""`ishc-reporting`: load plan files, and rebuild the projection from the event logs.

    ishc-reporting plans load services/reporting/plans/*.toml
    ishc-reporting rebuild --into sqlite:///var/reporting-rebuilt.db \\
        --log registry=http://127.0.0.1:8001 --log finance=http://127.0.0.1:8002 \\
        --log health=http://127.0.0.1:8003 --compare-with sqlite:///var/reporting.db
    ishc-reporting reconcile --registry http://127.0.0.1:8001 \\
        --finance http://127.0.0.1:8002 --health http://127.0.0.1:8003 --token "$OPS_TOKEN"

Both read ISHC_* settings (the database, Redis, the stream prefix, the JWT secrets).
"""

from __future__ import annotations

import asyncio
import json
import tomllib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from pydantic import ValidationError
from redis.asyncio import Redis
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from ishc_platform.admin_units import Boundary
from ishc_platform.auth import Role, issue_token
from ishc_platform.broker import decode_entry
from ishc_platform.consumer import InboxConsumer
from ishc_platform.db import Database
from ishc_platform.migrate import upgrade
from ishc_platform.settings import Settings
from ishc_reporting import queries
from ishc_reporting.consumers import SUBSCRIPTIONS
from ishc_reporting.domain.plans import PlanDoc
from ishc_reporting.service import plans as plan_use_cases
from ishc_reporting.service import reconciliation
from ishc_reporting.service import snapshots as snapshot_use_cases
from ishc_reporting.service.rebuild import copy_non_events
from ishc_reporting.service.reports import dump

app = typer.Typer(no_args_is_help=True, help="ISHC reporting commands.")
plans_app = typer.Typer(no_args_is_help=True, help="Plans and targets.")
app.add_typer(plans_app, name="plans")
console = Console(stderr=True)
PLAN_FILES = "plan-files"  # who the stored plans say wrote them
PAGE = 500


def read_plan(path: Path) -> PlanDoc:
    """A plan file (TOML), checked against the plan schema."""
    try:
        with path.open("rb") as handle:
            return PlanDoc.model_validate(tomllib.load(handle))
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise typer.BadParameter(f"{path}: {exc}") from None


@plans_app.command("load")
def load_plans(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, help="plan files")],
    database_url: Annotated[str | None, typer.Option(help="default: ISHC_DATABASE_URL")] = None,
) -> None:
    """Create or replace each plan (re-running changes nothing else)."""
    plans = [read_plan(path) for path in files]  # every file is checked before any is written
    url = database_url or Settings(service_name="reporting").resolved_database_url()
    upgrade("reporting", url)

    async def load() -> None:
        db = Database(url)
        try:
            for plan in plans:
                async with db.sessions() as session:
                    created = await plan_use_cases.load_plan_file(session, plan, source=PLAN_FILES)
                console.print(f"{'created' if created else 'replaced'} {plan.id}")
        finally:
            await db.dispose()

    asyncio.run(load())


async def _log_pages(base_url: str, token: str) -> AsyncIterator[list[dict[str, Any]]]:
    after: str | None = None
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        while True:
            params: dict[str, Any] = {"limit": PAGE}
            if after:
                params["after"] = after
            reply = await client.get(
                "/v1/events", params=params, headers={"Authorization": f"Bearer {token}"}
            )
            reply.raise_for_status()
            page = reply.json()
            if page["items"]:
                yield page["items"]
            after = page["next_cursor"]
            if not after:
                return


async def rebuild(
    *,
    into: str,
    logs: dict[str, str],
    settings: Settings,
    copy_from: str | None = None,
) -> int:
    """Apply every event of the services' logs, then of the streams reporting
    consumes (`ishc.registry`, `ishc.finance`, `ishc.health`), to a fresh
    database; the inbox skips what a log already gave. `logs` names each log by
    its service, which is the source of one of those streams. Plans and issued
    reports (which are not events) are copied from `copy_from`. Returns events
    applied."""
    sources = {sub.log_source for sub in SUBSCRIPTIONS}
    if unknown := sorted(set(logs) - sources):
        raise typer.BadParameter(f"no stream of reporting's comes from {', '.join(unknown)}")
    upgrade("reporting", into)
    db = Database(into)
    redis = Redis.from_url(settings.redis_url)
    consumers = {
        sub.log_source: InboxConsumer(
            db,
            redis,
            stream=settings.stream_prefix + sub.stream,
            group="reporting",
            handler=sub.handler,
        )
        for sub in SUBSCRIPTIONS
    }
    token = issue_token(
        settings.jwt_secret_list[0],
        sub="reporting-rebuild",
        role=Role.SERVICE,
        provinces=[],
        lifetime=timedelta(hours=1),
    )
    applied = 0
    try:
        with Progress(console=console) as progress:
            for name, base_url in logs.items():
                task = progress.add_task(f"{name} log", total=None)
                async for page in _log_pages(base_url, token):
                    applied += await consumers[name].apply_log(page)
                    progress.advance(task, len(page))
            for consumer in consumers.values():
                applied += await _apply_stream(consumer, progress)
        if copy_from:
            await _copy_non_events(copy_from, db)
    finally:
        await redis.aclose()
        await db.dispose()
    return applied


async def _apply_stream(consumer: InboxConsumer, progress: Progress) -> int:
    """Every entry of the consumer's stream, from its start."""
    task = progress.add_task(consumer.stream, total=None)
    applied, start = 0, "-"
    while True:
        entries: list[tuple[bytes, dict[bytes, bytes]]] = await consumer.redis.xrange(  # type: ignore[assignment,unused-ignore]
            consumer.stream, min=start, count=PAGE
        )
        if not entries:
            return applied
        applied += await consumer.apply_log(
            json.loads(decode_entry(fields)) for _, fields in entries
        )
        progress.advance(task, len(entries))
        start = f"({entries[-1][0].decode()}"


async def _copy_non_events(source_url: str, target: Database) -> None:
    source = Database(source_url)
    try:
        async with source.sessions() as read, target.sessions() as write:
            await copy_non_events(read, write)
    finally:
        await source.dispose()


async def indicators_of(url: str) -> dict[str, Any]:
    """The figures a rebuild must reproduce: every province and the nation, today,
    both maps (read unchecked: the operator compares whole databases)."""
    db = Database(url)
    try:
        async with db.sessions() as session:
            figures = {}
            for boundary in Boundary:
                q = queries.todays_query(boundary)
                figures[boundary.value] = {
                    "provinces": await queries.province_table_unchecked(session, q),
                    "nation": await queries.national_unchecked(session, q),
                }
            return json.loads(dump(figures))
    finally:
        await db.dispose()


@app.command("snapshots")
def snapshots_command(
    database_url: Annotated[str | None, typer.Option(help="default: ISHC_DATABASE_URL")] = None,
    months: Annotated[int, typer.Option(min=0, help="months to build or measure at most")] = 10_000,
) -> None:
    """Rewrite the snapshots that changes made stale, then build the months not
    built yet, newest first (ADR 0008); what the service's job does in the
    background, all at once. Safe beside running services."""
    url = database_url or Settings(service_name="reporting").resolved_database_url()
    upgrade("reporting", url)

    async def run() -> snapshot_use_cases.SnapshotWork:
        db = Database(url)
        try:
            with Progress(console=console, transient=True) as progress:
                task = progress.add_task("snapshots", total=None)
                work = await snapshot_use_cases.keep_snapshots(db, months_to_build=0)
                done = snapshot_use_cases.SnapshotWork()
                while (
                    (work.months_missing or work.trend_months_missing or work.rollup_months_missing)
                    and _months_done(done) < months
                    and not work.busy
                ):
                    left = (
                        work.months_missing + work.trend_months_missing
                        + work.rollup_months_missing
                    )  # fmt: skip
                    progress.update(
                        task, total=_months_done(done) + left, completed=_months_done(done)
                    )
                    work = await snapshot_use_cases.keep_snapshots(db, months_to_build=1)
                    done.months_built += work.months_built
                    done.club_months_rewritten += work.club_months_rewritten
                    done.trend_months_measured += work.trend_months_measured
                    done.rollup_months_stored += work.rollup_months_stored
                done.months_missing, done.busy = work.months_missing, work.busy
                done.trend_months_missing = work.trend_months_missing
                done.rollup_months_missing = work.rollup_months_missing
                return done
        finally:
            await db.dispose()

    done = asyncio.run(run())
    console.print(
        f"{len(done.months_built)} months built, {done.club_months_rewritten} club-months "
        f"rewritten, {done.trend_months_measured} months of trend shares measured, "
        f"{done.rollup_months_stored} months of roll-ups stored; {done.months_missing} months, "
        f"{done.trend_months_missing} of trend shares and {done.rollup_months_missing} of "
        "roll-ups left" + (" (another process holds the writer)" if done.busy else "")
    )


def _months_done(work: snapshot_use_cases.SnapshotWork) -> int:
    return len(work.months_built) + work.trend_months_measured + work.rollup_months_stored


@app.command("rebuild")
def rebuild_command(
    into: Annotated[str, typer.Option(help="database URL of the fresh projection")],
    log: Annotated[
        list[str], typer.Option(help="service=base URL of its event log; repeat per service")
    ],
    compare_with: Annotated[
        str | None, typer.Option(help="the live database: copy plans from it, then compare")
    ] = None,
) -> None:
    """Rebuild the projection from the services' logs and streams; with
    --compare-with, exit 1 unless the indicators equal the live ones."""
    logs = dict(item.split("=", 1) for item in log)
    settings = Settings(service_name="reporting")
    applied = asyncio.run(rebuild(into=into, logs=logs, settings=settings, copy_from=compare_with))
    console.print(f"applied {applied} events into {into}")
    if compare_with:
        live, rebuilt = asyncio.run(indicators_of(compare_with)), asyncio.run(indicators_of(into))
        if live != rebuilt:
            console.print("[red]the rebuilt indicators differ from the live ones[/red]")
            raise typer.Exit(1)
        console.print("the rebuilt indicators equal the live ones")


RECONCILE_ROWS_SHOWN = 200  # differences printed as a table; --json gives them all


@app.command("reconcile")
def reconcile_command(
    token: Annotated[
        str,
        typer.Option(
            envvar="ISHC_RECONCILE_TOKEN",
            help="an ops or service token (or ISHC_RECONCILE_TOKEN, kept off the command line)",
        ),
    ],
    registry: Annotated[str | None, typer.Option(help="base URL of the registry")] = None,
    finance: Annotated[str | None, typer.Option(help="base URL of finance")] = None,
    health: Annotated[str | None, typer.Option(help="base URL of health")] = None,
    province: Annotated[str | None, typer.Option(help="only this province (2 digits)")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print the result as JSON (machine-readable)")
    ] = False,
    wait: Annotated[
        float,
        typer.Option(min=0, help="seconds to keep checking until equal (projections lag)"),
    ] = 0.0,
    request_seconds: Annotated[
        float, typer.Option(min=0.1, help="how long a source may take to answer a page")
    ] = 30.0,
    database_url: Annotated[str | None, typer.Option(help="default: ISHC_DATABASE_URL")] = None,
) -> None:
    """Per club and per province, each source's counts and sums against reporting's
    projections. Exit 0: equal; 1: a difference (listed); 2: a source or the
    projection cannot be read (named, with why)."""
    sources = {
        name: url
        for name, url in (("registry", registry), ("finance", finance), ("health", health))
        if url
    }
    if not sources:
        raise typer.BadParameter("name at least one source: --registry, --finance or --health")
    if province is not None and not (len(province) == 2 and province.isdigit()):
        raise typer.BadParameter("a province is 2 digits, e.g. 86", param_hint="--province")
    url = database_url or Settings(service_name="reporting").resolved_database_url()

    async def check() -> reconciliation.Reconciliation:
        db = Database(url)
        try:
            return await reconciliation.reconcile_until_equal(
                db,
                sources,
                token,
                wait_seconds=wait,
                province=province,
                request_seconds=request_seconds,
            )
        finally:
            await db.dispose()

    outcome = asyncio.run(check())
    if as_json:
        typer.echo(json.dumps(outcome.as_dict(), ensure_ascii=False, indent=2))
    else:
        _print_reconciliation(outcome)
    raise typer.Exit(outcome.exit_code)


def _print_reconciliation(outcome: reconciliation.Reconciliation) -> None:
    out = Console()
    for source in outcome.unreadable:
        console.print(f"[red]cannot read {source.service} at {source.url}: {source.reason}[/red]")
    differences = outcome.differences
    if differences:
        table = Table(title=f"{len(differences)} differences: source against projection")
        for column in ("service", "level", "club", "province", "tally", "source", "projected"):
            table.add_column(
                column, justify="right" if column in ("source", "projected") else "left"
            )
        for d in differences[:RECONCILE_ROWS_SHOWN]:
            table.add_row(
                d.service, d.level, d.club_id or "", d.province or "", d.tally,
                str(d.source), str(d.projected),
            )  # fmt: skip
        out.print(table)
        if len(differences) > RECONCILE_ROWS_SHOWN:
            out.print(f"… and {len(differences) - RECONCILE_ROWS_SHOWN} more (--json lists all)")
    summary = Table(title="tallies compared (all clubs)")
    for column in ("service", "clubs", "tally", "source", "projected"):
        summary.add_column(column, justify="left" if column in ("service", "tally") else "right")
    for c in outcome.comparisons:
        for name in c.names:
            summary.add_row(
                c.service, str(c.clubs), name,
                str(c.source_totals[name]), str(c.projected_totals[name]),
            )  # fmt: skip
    if outcome.comparisons:
        out.print(summary)
    if outcome.exit_code == reconciliation.EQUAL:
        out.print(
            f"no difference: {sum(c.clubs for c in outcome.comparisons)} club tallies of "
            f"{', '.join(c.service for c in outcome.comparisons)} "
            f"({outcome.seconds:.1f}s, {outcome.attempts} checks)"
        )


def main() -> None:
    app()


if __name__ == "__main__":
    main()
