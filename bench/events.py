"""Event backbone benchmarks, each against a raw baseline in the same run.

- relay: OutboxRelay draining N written events, against redis-py pipelined
  XADD of the same envelopes (batches of 500). Target: ratio >= 0.5.
- consumer: InboxConsumer applying N entries (handler writes a row per event,
  batch 100), against a raw XREADGROUP(100) + XACK + json.loads loop over the
  same entries in another group. Target: ratio >= 0.3.
- latency: one event per transaction at a fixed 500 events/s for 10 s (open
  loop), the relay in the writer's process and the consumer in another, as the
  services run; commit to consumer commit. Target: p99 < 50 ms.

Before each timed phase, the baselines' too, what the benchmark has built is
frozen out of the garbage collector's full collections, as a service freezes
what its startup loaded (`bench.common.freeze_setup`).

    uv run python -m bench.events --count 20000 --database both
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer
from redis.asyncio import Redis

from bench.common import REDIS, drop, freeze_setup, new_database, raw_read_rate
from ishc_platform.consumer import InboxConsumer
from ishc_platform.db import Database
from ishc_platform.outbox import install_commit_hook, record_event
from ishc_platform.streams import ensure_group
from tests.helpers.widgets import (
    WIDGET_CREATED,
    WidgetCreated,
    apply_widgets,
    make_relay,
    prepare_database,
)

app = typer.Typer(add_completion=False)


async def write_events(db: Database, count: int, per_transaction: int = 500) -> None:
    for start in range(0, count, per_transaction):
        async with db.sessions() as session, session.begin():
            for n in range(start, min(count, start + per_transaction)):
                await record_event(
                    session,
                    event_type=WIDGET_CREATED,
                    subject=f"w-{n}",
                    province="86",
                    new_aggregate=True,
                    data=WidgetCreated(widget_id=f"w-{n}", n=n),
                )


async def bench_relay_and_consumer(url: str, count: int) -> dict[str, float]:
    await asyncio.to_thread(prepare_database, url)
    db = Database(url)
    redis = Redis.from_url(REDIS)
    stream = f"bench.{uuid.uuid4().hex[:10]}"
    try:
        await write_events(db, count)
        relay, broker = await make_relay(db, REDIS, stream)
        relay.batch_size = 500

        freeze_setup()
        started = time.perf_counter()
        while await relay.publish_batch():
            pass
        relay_rate = count / (time.perf_counter() - started)

        entries: Any = await redis.xrange(stream)
        bodies = [fields[b"__data__"] for _, fields in entries]
        freeze_setup()
        started = time.perf_counter()
        for i in range(0, len(bodies), 500):
            async with redis.pipeline(transaction=False) as pipe:
                for body in bodies[i : i + 500]:
                    pipe.xadd(f"{stream}.raw", {"__data__": body})
                await pipe.execute()
        xadd_rate = count / (time.perf_counter() - started)

        freeze_setup()
        raw_rate = await raw_read_rate(redis, stream, count)

        consumer = InboxConsumer(
            db,
            redis,
            stream=stream,
            group="bench",
            handler=apply_widgets,
            batch_size=100,
            block_ms=10,
            claim_idle_ms=600_000,
        )
        freeze_setup()
        started = time.perf_counter()
        handled = 0
        while handled < count:
            handled += await consumer.poll_once(block_ms=10)
        consumer_rate = count / (time.perf_counter() - started)
        await broker.stop()
        return {
            "relay_per_s": relay_rate,
            "raw_xadd_per_s": xadd_rate,
            "relay_ratio": relay_rate / xadd_rate,
            "consumer_per_s": consumer_rate,
            "raw_read_per_s": raw_rate,
            "consumer_ratio": consumer_rate / raw_rate,
        }
    finally:
        await redis.delete(stream, f"{stream}.raw")
        await redis.aclose()
        await db.dispose()


def consume_in_process(
    projection_url: str, stream: str, total: int, deadline: float, out: Any
) -> None:
    """The consumer side of the latency run, in its own process as reporting is:
    applies events until `total` are in or the deadline passes, then sends back
    when each was applied (CLOCK_MONOTONIC, shared by the processes of a host)."""

    async def consume() -> dict[str, float]:
        projection = Database(projection_url)
        redis = Redis.from_url(REDIS)
        applied: dict[str, float] = {}
        consumer = InboxConsumer(
            projection,
            redis,
            stream=stream,
            group="bench",
            handler=apply_widgets,
            batch_size=100,
            block_ms=100,
            claim_idle_ms=600_000,
        )
        apply = consumer.apply

        async def timed_apply(events: Any) -> int:
            result = await apply(events)
            now = time.monotonic()
            for event in events:
                applied.setdefault(str(event.envelope.id), now)
            return result

        consumer.apply = timed_apply  # type: ignore[method-assign,unused-ignore]
        freeze_setup()
        while len(applied) < total and time.monotonic() < deadline:
            await consumer.poll_once()
        await redis.aclose()
        await projection.dispose()
        return applied

    out.put(asyncio.run(consume()))


async def bench_latency(
    url: str, projection_url: str, rate: int, seconds: float
) -> dict[str, float]:
    """Open loop: each write starts at its scheduled time whether or not the
    previous one has finished, as independent requests would arrive."""
    await asyncio.to_thread(prepare_database, url)
    await asyncio.to_thread(prepare_database, projection_url)
    db = Database(url)
    redis = Redis.from_url(REDIS)
    stream = f"bench.{uuid.uuid4().hex[:10]}"
    await ensure_group(redis, stream, "bench")
    committed: dict[str, float] = {}
    relay, broker = await make_relay(db, REDIS, stream)
    install_commit_hook(db, relay.wake)  # as a service wires it: each commit wakes the relay
    relay_task = asyncio.create_task(relay.run())
    total = int(rate * seconds)
    warm_up = 100  # first connections and statement caches, on both sides; not timed
    results: Any = multiprocessing.get_context("spawn").Queue()
    consumer = multiprocessing.get_context("spawn").Process(
        target=consume_in_process,
        args=(projection_url, stream, warm_up + total, time.monotonic() + seconds + 60, results),
    )
    consumer.start()
    await asyncio.sleep(3)  # let the consumer process import and connect

    async def write(n: int, timed: bool = True) -> None:
        async with db.sessions() as session, session.begin():
            envelope = await record_event(
                session,
                event_type=WIDGET_CREATED,
                subject=f"l-{n}",
                province="86",
                new_aggregate=True,
                data=WidgetCreated(widget_id=f"l-{n}", n=n),
            )
        if timed:
            committed[str(envelope.id)] = time.monotonic()

    for n in range(warm_up):
        await write(-1 - n, timed=False)
    freeze_setup()
    await asyncio.sleep(1)
    writes = []
    start = time.monotonic()
    for n in range(total):
        await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
        writes.append(asyncio.create_task(write(n)))
    await asyncio.gather(*writes)
    achieved = total / (time.monotonic() - start)
    applied: dict[str, float] = await asyncio.to_thread(results.get, True, seconds + 90)
    consumer.join(10)
    relay_task.cancel()
    await asyncio.gather(relay_task, return_exceptions=True)
    await broker.stop()
    await redis.delete(stream)
    await redis.aclose()
    await db.dispose()
    latencies = sorted((applied[i] - committed[i]) * 1000 for i in committed if i in applied)
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "events": total,
        "applied": len(latencies),
        "achieved_rate": achieved,
        "p50_ms": quantiles[49],
        "p99_ms": quantiles[98],
        "max_ms": latencies[-1],
    }


@app.command()
def main(
    count: Annotated[int, typer.Option(help="events for the throughput figures")] = 20_000,
    database: Annotated[str, typer.Option(help="sqlite, postgresql or both")] = "both",
    only: Annotated[str | None, typer.Option(help="throughput or latency")] = None,
    rate: Annotated[int, typer.Option(help="events/s for the latency figure")] = 500,
    seconds: Annotated[float, typer.Option(help="how long the latency run writes")] = 10.0,
) -> None:
    kinds = ["sqlite", "postgresql"] if database == "both" else [database]
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as scratch:
        for kind in kinds:
            if only in (None, "throughput"):
                url, name = new_database(kind, Path(scratch))
                try:
                    row = asyncio.run(bench_relay_and_consumer(url, count))
                finally:
                    drop(name)
                results.append({"database": kind, "figure": "throughput", **row})
            if only in (None, "latency"):
                url, name = new_database(kind, Path(scratch))
                projection, projection_name = new_database(kind, Path(scratch))
                try:
                    row = asyncio.run(bench_latency(url, projection, rate, seconds))
                finally:
                    drop(name)
                    drop(projection_name)
                results.append({"database": kind, "figure": "latency", **row})
    for row in results:
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}))
    out = Path("bench/out")
    out.mkdir(parents=True, exist_ok=True)
    (out / f"events-{int(time.time())}.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    app()
