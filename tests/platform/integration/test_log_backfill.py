"""Backfill from a source's event log (`ishc_platform.backfill`, ADR 0005), on a
real Redis and with the consumer's database on SQLite and PostgreSQL: what the
stream lost is applied once, the watermark only moves forward, a failing event
holds it and shows the gap, and an unreachable source is shown, not fatal."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from ishc_platform import ops_api
from ishc_platform.auth import Role, issue_token
from ishc_platform.backfill import BackfillHeld, LogBackfill
from ishc_platform.consumer import InboxConsumer
from ishc_platform.db import Database
from ishc_platform.errors import install_error_handlers
from ishc_platform.settings import Settings
from tests.helpers.services import free_port
from tests.helpers.widgets import (
    Poison,
    drain,
    effects,
    make_consumer,
    make_relay,
    prepare_database,
    widget_database,
    write_widgets,
)

pytestmark = pytest.mark.integration
SECRET = "b" * 48


@pytest.fixture
async def source(tmp_path: Path) -> AsyncIterator[tuple[Database, httpx.ASGITransport]]:
    """The source service: its outbox, and its ops routes served in-process."""
    url = f"sqlite:///{tmp_path}/source.db"
    await asyncio.to_thread(prepare_database, url)
    database = Database(url)
    app = FastAPI()
    app.state.db = database
    app.state.settings = Settings(service_name="registry", jwt_secrets=SECRET)
    install_error_handlers(app)
    app.include_router(ops_api.router)
    yield database, httpx.ASGITransport(app=app)
    await database.dispose()


@pytest.fixture
async def projection(database_url: str) -> AsyncIterator[Database]:
    """The consumer's database: SQLite and PostgreSQL."""
    async with widget_database(database_url) as database:
        yield database


async def publish(source_db: Database, redis_url: str, stream: str, numbers: range) -> None:
    """Write widgets in the source and let its relay publish them (the log gets positions)."""
    await write_widgets(source_db, numbers)
    relay, broker = await make_relay(source_db, redis_url, stream)
    while await relay.publish_batch():
        pass
    await broker.stop()


def backfill(
    consumer: InboxConsumer, transport: httpx.AsyncBaseTransport, **kwargs: Any
) -> LogBackfill:
    options: dict[str, Any] = {"grace_seconds": 0, "page_size": 7, "interval_seconds": 0.05}
    options.update(kwargs)
    return LogBackfill(
        consumer,
        source="registry",
        base_url="http://source",
        secret=SECRET,
        transport=transport,
        **options,
    )


def sample(name: str, consumer: InboxConsumer) -> float | None:
    return REGISTRY.get_sample_value(name, {"consumer": consumer.group, "source": "registry"})


async def test_what_the_stream_lost_is_applied_once_from_the_log(
    source: tuple[Database, httpx.ASGITransport],
    projection: Database,
    redis_url: str,
    redis_client: Redis,
    stream_name: str,
) -> None:
    source_db, transport = source
    consumer = make_consumer(projection, redis_client, stream_name, group=f"g{uuid.uuid4().hex}")
    await publish(source_db, redis_url, stream_name, range(30))
    assert await drain(consumer) == 30
    filler = backfill(consumer, transport)
    assert await filler.check() == 0  # everything came through the stream
    assert filler.status.behind == 0 and filler.status.state == "ok"

    await publish(source_db, redis_url, stream_name, range(30, 50))
    await redis_client.delete(stream_name)  # Redis loses the 20 unread entries
    before = sample("ishc_consumer_log_backfilled_events_total", consumer) or 0.0
    assert await filler.check() == 20
    assert await effects(projection) == {f"w-{n}": 1 for n in range(50)}  # each once
    assert sample("ishc_consumer_log_gap_events", consumer) == 0
    assert sample("ishc_consumer_log_backfilled_events_total", consumer) == before + 20
    row = await filler.watermark.row()
    assert row is not None and row.verified == 50 and row.backfilled == 20
    assert filler.status.as_dict()["backfilled"] == 20

    assert await filler.check() == 0  # a second pass finds nothing more
    assert await effects(projection) == {f"w-{n}": 1 for n in range(50)}


async def test_the_head_counts_what_follows_an_event(
    source: tuple[Database, httpx.ASGITransport], redis_url: str, stream_name: str
) -> None:
    source_db, transport = source
    headers = {"Authorization": f"Bearer {issue_token(SECRET, sub='t', role=Role.SERVICE)}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://source") as client:
        empty = (await client.get("/v1/events/head", headers=headers)).json()
        assert empty == {"event_id": None, "position": 0, "after_position": 0, "events_after": 0}
        await publish(source_db, redis_url, stream_name, range(12))
        log = (await client.get("/v1/events", params={"limit": 12}, headers=headers)).json()
        ids = [item["id"] for item in log["items"]]
        head = (await client.get("/v1/events/head", headers=headers)).json()
        assert head == {
            "event_id": ids[-1],
            "position": 12,
            "after_position": 0,
            "events_after": 12,
        }
        after = await client.get("/v1/events/head", params={"after": ids[4]}, headers=headers)
        assert after.json()["events_after"] == 7
        unknown = await client.get(
            "/v1/events/head", params={"after": str(uuid.uuid4())}, headers=headers
        )
        assert unknown.status_code == 422
        assert (await client.get("/v1/events/head")).status_code == 401
    await Redis.from_url(redis_url).delete(stream_name)


async def test_a_failing_event_holds_the_watermark_and_the_gap_shows(
    source: tuple[Database, httpx.ASGITransport],
    projection: Database,
    redis_url: str,
    redis_client: Redis,
    stream_name: str,
) -> None:
    source_db, transport = source
    poison = Poison(12)
    consumer = make_consumer(
        projection, redis_client, stream_name, group=f"g{uuid.uuid4().hex}", handler=poison.handler
    )
    await publish(source_db, redis_url, stream_name, range(20))
    await redis_client.delete(stream_name)  # nothing came through the stream
    filler = backfill(consumer, transport)
    with pytest.raises(BackfillHeld, match="cannot apply widget 12"):
        await filler.check()
    assert await effects(projection) == {f"w-{n}": 1 for n in range(12)}
    assert filler.status.behind == 8  # 12 to 19: not applied
    assert sample("ishc_consumer_log_gap_events", consumer) == 8

    # As a service runs it: failing passes are retried, never raised; then cured.
    task = asyncio.create_task(filler.run())
    await asyncio.sleep(0.3)
    assert not task.done()
    assert filler.status.state == "failing" and "widget 12" in (filler.status.error or "")
    poison.bad.clear()
    for _ in range(100):
        if filler.status.state == "ok":
            break
        await asyncio.sleep(0.05)
    task.cancel()
    assert filler.status.as_dict()["behind"] == 0 and filler.status.error is None
    assert await effects(projection) == {f"w-{n}": 1 for n in range(20)}


async def test_two_replicas_backfilling_at_once_apply_each_event_once(
    source: tuple[Database, httpx.ASGITransport],
    projection: Database,
    redis_url: str,
    redis_client: Redis,
    stream_name: str,
) -> None:
    source_db, transport = source
    group = f"g{uuid.uuid4().hex}"
    await publish(source_db, redis_url, stream_name, range(60))
    await redis_client.delete(stream_name)
    replicas = [
        backfill(make_consumer(projection, redis_client, stream_name, group=group), transport)
        for _ in range(2)
    ]
    applied = await asyncio.gather(*(r.check() for r in replicas))
    assert sum(applied) == 60
    assert await effects(projection) == {f"w-{n}": 1 for n in range(60)}
    await replicas[0].check()  # whoever lost a race reaches the end on its next pass
    await replicas[1].check()
    row = await replicas[0].watermark.row()
    assert row is not None and row.verified == 60 and row.backfilled == 60


async def test_a_source_that_forgot_the_watermark_is_read_again_from_its_start(
    source: tuple[Database, httpx.ASGITransport],
    projection: Database,
    redis_url: str,
    redis_client: Redis,
    stream_name: str,
) -> None:
    source_db, transport = source
    consumer = make_consumer(projection, redis_client, stream_name, group=f"g{uuid.uuid4().hex}")
    await publish(source_db, redis_url, stream_name, range(10))
    assert await drain(consumer) == 10
    filler = backfill(consumer, transport)
    await filler.watermark.read()
    assert await filler.watermark.advance(None, str(uuid.uuid4()), 0, 0)  # e.g. a restored source
    assert await filler.check() == 0
    assert await effects(projection) == {f"w-{n}": 1 for n in range(10)}
    row = await filler.watermark.row()
    assert row is not None and row.verified == 10


async def test_young_events_are_left_to_the_stream(
    source: tuple[Database, httpx.ASGITransport],
    projection: Database,
    redis_url: str,
    redis_client: Redis,
    stream_name: str,
) -> None:
    source_db, transport = source
    consumer = make_consumer(projection, redis_client, stream_name, group=f"g{uuid.uuid4().hex}")
    await publish(source_db, redis_url, stream_name, range(5))
    filler = backfill(consumer, transport, grace_seconds=3600)
    assert await filler.check() == 0
    assert filler.status.behind == 0  # not overdue yet
    assert await filler.watermark.read() is None
    assert await drain(consumer) == 5  # the stream applies them
    assert await effects(projection) == {f"w-{n}": 1 for n in range(5)}


async def test_an_unreachable_source_is_shown_and_not_fatal(
    projection: Database, redis_client: Redis, stream_name: str
) -> None:
    consumer = make_consumer(projection, redis_client, stream_name, group=f"g{uuid.uuid4().hex}")
    filler = LogBackfill(
        consumer,
        source="registry",
        base_url=f"http://127.0.0.1:{free_port()}",  # nothing listens there
        secret=SECRET,
        interval_seconds=0.05,
        timeout_seconds=0.5,
        attempts=1,
    )
    task = asyncio.create_task(filler.run())
    for _ in range(100):
        if filler.status.error:
            break
        await asyncio.sleep(0.05)
    assert not task.done()
    task.cancel()
    detail = filler.status.as_dict()
    assert detail["state"] == "failing" and "ConnectError" in detail["error"]
    assert detail["behind"] is None and detail["last_checked"] is None
