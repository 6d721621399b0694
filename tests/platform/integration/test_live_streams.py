"""Item 16 (part): reporting's `/v1/live` caps concurrent server-sent event
streams per client address and in total, answering 429 with Retry-After, and
gives the slot back when a stream ends (the client disconnecting)."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest

from ishc_platform.migrate import upgrade
from ishc_platform.settings import Settings
from ishc_reporting.app import create_app
from tests.helpers.hardening import SECRET, Exchange, drive, drop_keys, running

pytestmark = pytest.mark.integration


async def open_stream(app: object, address: str) -> tuple[Exchange, asyncio.Task[Exchange]]:
    exchange = Exchange()
    task = asyncio.create_task(
        drive(app, "GET", "/v1/live", client=(address, 50000), exchange=exchange)
    )
    await asyncio.wait_for(exchange.started.wait(), 5)
    return exchange, task


async def test_streams_are_capped_per_address_and_in_total_and_released_on_disconnect(
    tmp_path: Path, redis_url: str
) -> None:
    url = f"sqlite:///{tmp_path}/reporting.db"
    upgrade("reporting", url)
    prefix = f"test.{uuid.uuid4().hex[:10]}."
    settings = Settings(
        database_url=url,
        redis_url=redis_url,
        jwt_secrets=SECRET,
        stream_prefix=prefix,
        live_streams_per_address=2,
        live_streams_total=3,
    )
    app = create_app(settings)
    try:
        async with running(app):
            first, first_task = await open_stream(app, "10.0.0.1")
            second, second_task = await open_stream(app, "10.0.0.1")
            assert first.status == second.status == 200

            third, third_task = await open_stream(app, "10.0.0.1")
            await asyncio.wait_for(third_task, 5)  # answered at once, not a stream
            assert third.status == 429
            assert third.headers["content-type"] == "application/problem+json"
            assert int(third.headers["retry-after"]) >= 1
            assert json.loads(third.body)["type"].endswith("/too-many-streams")

            other, other_task = await open_stream(app, "10.0.0.2")  # its own allowance
            assert other.status == 200
            over_total, over_total_task = await open_stream(app, "10.0.0.3")
            await asyncio.wait_for(over_total_task, 5)
            assert over_total.status == 429  # 3 streams in all: the process is full

            first.disconnect.set()  # the browser goes away: its slot comes back
            await asyncio.wait_for(first_task, 5)
            again, again_task = await open_stream(app, "10.0.0.1")
            assert again.status == 200

            for exchange in (second, other, again):
                exchange.disconnect.set()
            await asyncio.wait_for(asyncio.gather(second_task, other_task, again_task), 5)
            assert app.state.live_slots.in_use == 0
    finally:
        drop_keys(redis_url, prefix)


def test_a_slot_is_released_once_however_often_it_is_released() -> None:
    from ishc_platform.limits import StreamSlots

    slots = StreamSlots(per_address=1, total=2)
    slot = slots.acquire("a")
    slot.release()
    slot.release()
    assert slots.in_use == 0 and slots.held_by("a") == 0
    slots.acquire("a")
    slots.acquire("b")
    assert slots.in_use == 2
