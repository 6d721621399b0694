"""The event backbone under faults, on a real Redis and on SQLite and PostgreSQL:
nothing accepted is lost, nothing is applied twice."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import pytest
from pydantic import BaseModel
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import OperationalError
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts import Event
from ishc_platform.broker import decode_entry
from ishc_platform.db import Database
from ishc_platform.outbox import read_log
from ishc_platform.streams import dlq_name, trim_stream
from tests.helpers.services import redis_process
from tests.helpers.widgets import (
    Poison,
    apply_widgets,
    drain,
    effects,
    make_consumer,
    make_relay,
    prepare_database,
    widget_database,
    write_widgets,
)

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
async def db(database_url: str):  # type: ignore[no-untyped-def]
    async with widget_database(database_url) as database:
        yield database


@pytest.fixture
async def projection_db(tmp_path: Path):  # type: ignore[no-untyped-def]
    """The consumer's own database (a different service owns it)."""
    async with widget_database(f"sqlite:///{tmp_path}/projection.db") as database:
        yield database


def run_crashing_process(mode: str, db_url: str, redis_url: str, stream: str, count: int) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tests.helpers.crash", mode, db_url, redis_url, stream, str(count)],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]


async def test_killed_between_commit_and_publish_publishes_on_restart(
    db: Database, database_url: str, redis_url: str, redis_client: Redis, stream_name: str
) -> None:
    await asyncio.to_thread(
        run_crashing_process, "after-commit", database_url, redis_url, stream_name, 7
    )
    assert await redis_client.xlen(stream_name) == 0

    relay, broker = await make_relay(db, redis_url, stream_name)  # the restarted process
    assert await relay.publish_batch() == 7
    assert await redis_client.xlen(stream_name) == 7
    assert await relay.publish_batch() == 0
    await broker.stop()


async def test_crash_after_publish_resends_and_consumer_applies_once(
    db: Database,
    projection_db: Database,
    database_url: str,
    redis_url: str,
    redis_client: Redis,
    stream_name: str,
) -> None:
    await asyncio.to_thread(
        run_crashing_process, "after-publish", database_url, redis_url, stream_name, 5
    )
    assert await redis_client.xlen(stream_name) == 5  # published, never marked

    relay, broker = await make_relay(db, redis_url, stream_name)
    assert await relay.publish_batch() == 5  # the restart sends them again
    assert await redis_client.xlen(stream_name) == 10

    consumer = make_consumer(projection_db, redis_client, stream_name)
    await drain(consumer)
    assert await effects(projection_db) == {f"w-{n}": 1 for n in range(5)}
    assert (await redis_client.xpending(stream_name, "reporting"))["pending"] == 0
    await broker.stop()


async def test_same_entry_delivered_twice_is_applied_once(
    db: Database, projection_db: Database, redis_url: str, redis_client: Redis, stream_name: str
) -> None:
    await write_widgets(db, range(3))
    relay, broker = await make_relay(db, redis_url, stream_name)
    await relay.publish_batch()
    entries = await redis_client.xrange(stream_name)
    consumer = make_consumer(projection_db, redis_client, stream_name)
    await consumer.process(entries)
    await consumer.process(entries)  # redelivered, e.g. after a lost XACK
    await consumer.process([entries[1], entries[1]])  # and twice within one batch
    assert await effects(projection_db) == {"w-0": 1, "w-1": 1, "w-2": 1}
    await broker.stop()


async def test_a_batch_is_acknowledged_with_the_next_read(
    db: Database, projection_db: Database, redis_url: str, redis_client: Redis, stream_name: str
) -> None:
    """No round trip of its own for an XACK: a batch's goes with the next
    XREADGROUP sent, which a full batch sends while it is applied (read ahead),
    so it rides with the read after. Until then it is pending; were the consumer
    killed meanwhile, the entries would come again and the inbox would skip
    them (above)."""
    await write_widgets(db, range(6))
    relay, broker = await make_relay(db, redis_url, stream_name)
    await relay.publish_batch()
    consumer = make_consumer(projection_db, redis_client, stream_name, batch_size=4)
    assert await consumer.poll_once(block_ms=10) == 4
    # The 4 applied wait for their acknowledgement; the other 2 were read ahead.
    assert (await redis_client.xpending(stream_name, "reporting"))["pending"] == 6
    assert await effects(projection_db) == {f"w-{n}": 1 for n in range(4)}
    assert await consumer.poll_once(block_ms=10) == 2  # read ahead: no read this round
    assert (await redis_client.xpending(stream_name, "reporting"))["pending"] == 6
    assert await consumer.poll_once(block_ms=10) == 0
    assert (await redis_client.xpending(stream_name, "reporting"))["pending"] == 0
    assert await effects(projection_db) == {f"w-{n}": 1 for n in range(6)}
    await broker.stop()


async def test_a_batch_read_ahead_is_applied_and_acknowledged_on_stop(
    db: Database, projection_db: Database, redis_url: str, redis_client: Redis, stream_name: str
) -> None:
    await write_widgets(db, range(6))
    relay, broker = await make_relay(db, redis_url, stream_name)
    await relay.publish_batch()
    consumer = make_consumer(projection_db, redis_client, stream_name, batch_size=4)
    assert await consumer.poll_once(block_ms=10) == 4
    await consumer.acknowledge()  # as the service does when it stops
    assert (await redis_client.xpending(stream_name, "reporting"))["pending"] == 0
    assert await effects(projection_db) == {f"w-{n}": 1 for n in range(6)}
    await broker.stop()


async def test_a_backlog_is_applied_several_reads_to_a_transaction(
    db: Database, projection_db: Database, redis_url: str, redis_client: Redis, stream_name: str
) -> None:
    """While reads come back full, the reads ahead (each one XREADGROUP of the
    batch size) are applied together, up to `reads_per_transaction` of them;
    the first read after a quiet spell is applied alone, without waiting."""
    await write_widgets(db, range(23))
    relay, broker = await make_relay(db, redis_url, stream_name)
    await relay.publish_batch()
    transactions: list[int] = []

    async def handler(session: AsyncSession, events: Sequence[Event[BaseModel]]) -> None:
        transactions.append(len(events))
        await apply_widgets(session, events)

    consumer = make_consumer(
        projection_db, redis_client, stream_name, batch_size=3, reads_per_transaction=4,
        handler=handler,
    )  # fmt: skip
    assert await drain(consumer) == 23
    assert transactions == [3, 12, 8]  # 3 alone; then 4 full reads; then 2 full and 2
    assert (await redis_client.xpending(stream_name, "reporting"))["pending"] == 0
    assert await effects(projection_db) == {f"w-{n}": 1 for n in range(23)}
    await broker.stop()


async def test_consumer_killed_with_pending_entries_is_relieved(
    db: Database, projection_db: Database, redis_url: str, redis_client: Redis, stream_name: str
) -> None:
    await write_widgets(db, range(24))
    relay, broker = await make_relay(db, redis_url, stream_name)
    await relay.publish_batch()

    dead = make_consumer(
        projection_db, redis_client, stream_name, name="dead", batch_size=8,
        reads_per_transaction=1,
    )  # fmt: skip
    await dead.poll_once(block_ms=10)
    await dead.acknowledge()  # applies the 8 read ahead too (one read ahead at a time)
    # It read 8 entries and died before applying or acknowledging them.
    await redis_client.xreadgroup("reporting", "dead", {stream_name: ">"}, count=8)
    assert (await redis_client.xpending(stream_name, "reporting"))["pending"] == 8

    survivor = make_consumer(
        projection_db, redis_client, stream_name, name="survivor", claim_idle_ms=50
    )
    await asyncio.sleep(0.1)
    await drain(survivor)
    assert await effects(projection_db) == {f"w-{n}": 1 for n in range(24)}
    assert (await redis_client.xpending(stream_name, "reporting"))["pending"] == 0
    await broker.stop()


async def test_poison_entry_goes_to_dlq_stream_keeps_flowing_and_redrive_applies_once(
    db: Database, projection_db: Database, redis_url: str, redis_client: Redis, stream_name: str
) -> None:
    await write_widgets(db, range(10))
    relay, broker = await make_relay(db, redis_url, stream_name)
    await relay.publish_batch()
    poison = Poison(4)
    consumer = make_consumer(
        projection_db,
        redis_client,
        stream_name,
        handler=poison.handler,
        claim_idle_ms=20,
        max_deliveries=3,
    )
    await drain(consumer)
    assert await effects(projection_db) == {f"w-{n}": 1 for n in range(10) if n != 4}

    for _ in range(10):  # retried after each idle period, until it is dead-lettered
        await asyncio.sleep(0.03)
        await consumer.poll_once(block_ms=10)
    letters = await consumer.dead_letters()
    assert [(d.deliveries, d.event_type) for d in letters] == [(4, "ishc.test.widget.created.v1")]
    assert "cannot apply widget 4" in letters[0].error
    assert poison.attempts >= 3
    assert (await redis_client.xpending(stream_name, "reporting"))["pending"] == 0

    await write_widgets(db, [10, 11])  # the stream keeps flowing
    await relay.publish_batch()
    await drain(consumer)
    assert (await effects(projection_db))["w-11"] == 1

    poison.bad.clear()  # the handler is fixed
    assert await consumer.redrive(letters[0].entry_id) == 1
    assert await redis_client.xlen(dlq_name(stream_name)) == 0
    with pytest.raises(LookupError):
        await consumer.redrive(letters[0].entry_id)
    assert (await effects(projection_db))["w-4"] == 1
    await broker.stop()


async def test_malformed_entry_is_dead_lettered_at_once(
    projection_db: Database, redis_client: Redis, stream_name: str
) -> None:
    await redis_client.xadd(stream_name, {"__data__": b'{"type": "nonsense"}'})
    consumer = make_consumer(projection_db, redis_client, stream_name)
    await drain(consumer)
    letters = await consumer.dead_letters()
    assert len(letters) == 1 and letters[0].error.startswith("contract: bad envelope")
    assert (await redis_client.xpending(stream_name, "reporting"))["pending"] == 0


async def test_redis_restart_loses_no_acknowledged_event_and_consumer_resumes(
    db: Database, projection_db: Database, tmp_path: Path, stream_name: str
) -> None:
    with redis_process(tmp_path) as server:
        redis = Redis.from_url(server.url)
        relay, broker = await make_relay(db, server.url, stream_name)
        consumer = make_consumer(projection_db, redis, stream_name, claim_idle_ms=50)
        consumer_task = asyncio.create_task(consumer.run())
        relay_task = asyncio.create_task(relay.run())

        await write_widgets(db, range(30))
        await _until(lambda: _count(projection_db), 30)

        server.kill()
        await write_widgets(db, range(30, 60))  # accepted while Redis is down
        await asyncio.sleep(0.3)
        server.start()

        await _until(lambda: _count(projection_db), 60, within=30)
        relay_task.cancel()
        consumer_task.cancel()
        await asyncio.gather(relay_task, consumer_task, return_exceptions=True)
        assert await effects(projection_db) == {f"w-{n}": 1 for n in range(60)}
        await broker.stop()
        await redis.aclose()


async def test_consumer_recreates_a_lost_group_and_applies_nothing_twice(
    db: Database, projection_db: Database, redis_url: str, redis_client: Redis, stream_name: str
) -> None:
    await write_widgets(db, range(5))
    relay, broker = await make_relay(db, redis_url, stream_name)
    await relay.publish_batch()
    consumer = make_consumer(projection_db, redis_client, stream_name)
    task = asyncio.create_task(consumer.run())
    await _until(lambda: _count(projection_db), 5)
    await redis_client.xgroup_destroy(stream_name, "reporting")  # e.g. Redis lost its state
    await write_widgets(db, range(5, 8))
    await relay.publish_batch()
    await _until(lambda: _count(projection_db), 8)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert await effects(projection_db) == {f"w-{n}": 1 for n in range(8)}
    await broker.stop()


async def test_trimming_never_drops_an_unacknowledged_entry(
    db: Database, projection_db: Database, redis_url: str, redis_client: Redis, stream_name: str
) -> None:
    await write_widgets(db, range(12))
    relay, broker = await make_relay(db, redis_url, stream_name)
    await relay.publish_batch()
    consumer = make_consumer(
        projection_db, redis_client, stream_name, batch_size=4, reads_per_transaction=1
    )
    await consumer.poll_once(block_ms=10)  # 4 applied, 4 read ahead
    await consumer.acknowledge()  # applies those too (the loop would in its next round)
    await redis_client.xreadgroup("reporting", "slow", {stream_name: ">"}, count=3)  # 3 pending
    await redis_client.xgroup_create(stream_name, "late", id="0")  # a group that read nothing

    await trim_stream(redis_client, stream_name, retention_seconds=0)
    assert await redis_client.xlen(stream_name) == 12  # "late" still needs everything

    await redis_client.xgroup_destroy(stream_name, "late")
    await trim_stream(redis_client, stream_name, retention_seconds=0)
    assert await redis_client.xlen(stream_name) == 4  # only the 8 acknowledged ones go
    await drain(make_consumer(projection_db, redis_client, stream_name, claim_idle_ms=1))
    assert await effects(projection_db) == {f"w-{n}": 1 for n in range(12)}
    await trim_stream(redis_client, stream_name, retention_seconds=3600)
    assert await redis_client.xlen(stream_name) == 4
    await broker.stop()


async def test_consumer_fed_from_the_event_log_ends_where_the_stream_consumer_does(
    db: Database,
    projection_db: Database,
    tmp_path: Path,
    redis_url: str,
    redis_client: Redis,
    stream_name: str,
) -> None:
    await write_widgets(db, range(25))
    relay, broker = await make_relay(db, redis_url, stream_name)
    while await relay.publish_batch():
        pass
    await drain(make_consumer(projection_db, redis_client, stream_name))

    replay_url = f"sqlite:///{tmp_path}/replay.db"
    await asyncio.to_thread(prepare_database, replay_url)
    replay_db = Database(replay_url)
    replayer = make_consumer(replay_db, redis_client, stream_name, batch_size=7)
    after = None
    while True:  # page through the log as GET /v1/events does
        async with db.sessions() as session:
            page, more = await read_log(session, after=after, limit=10)
        await replayer.apply_log(page)
        if not more:
            break
        after = page[-1]["id"]
    assert await effects(replay_db) == await effects(projection_db)
    assert len(await effects(replay_db)) == 25
    await replay_db.dispose()
    await broker.stop()


async def test_two_relays_publish_each_event_once_in_order(
    db: Database, redis_url: str, redis_client: Redis, stream_name: str
) -> None:
    await write_widgets(db, range(200))
    first, broker1 = await make_relay(db, redis_url, stream_name)
    second, broker2 = await make_relay(db, redis_url, stream_name)
    first.batch_size = second.batch_size = 20

    async def pump(relay):  # type: ignore[no-untyped-def]
        while True:
            if await relay.publish_batch() == 0:
                async with db.sessions() as session:
                    _, more = await read_log(session, after=None, limit=200)
                if not more and await redis_client.xlen(stream_name) >= 200:
                    return

    await asyncio.wait_for(asyncio.gather(pump(first), pump(second)), 60)
    entries = await redis_client.xrange(stream_name)
    import json

    from ishc_platform.broker import decode_entry

    numbers = [json.loads(decode_entry(f))["data"]["n"] for _, f in entries]
    assert numbers == list(range(200))
    await broker1.stop()
    await broker2.stop()


async def test_a_relay_sends_a_backlog_several_batches_a_call_in_order(
    db: Database, redis_url: str, redis_client: Redis, stream_name: str
) -> None:
    await write_widgets(db, range(90))
    relay, broker = await make_relay(db, redis_url, stream_name)
    relay.batch_size = 20  # four batches a call at most
    assert [await relay.publish_batch() for _ in range(3)] == [80, 10, 0]
    entries = await redis_client.xrange(stream_name)
    assert [json.loads(decode_entry(f))["data"]["n"] for _, f in entries] == list(range(90))
    async with db.sessions() as session:
        logged, _ = await read_log(session, after=None, limit=100)
    assert [e["data"]["n"] for e in logged] == list(range(90))
    await broker.stop()


async def test_a_relay_publishes_full_batches_in_one_transaction_and_a_failure_resends_them(
    fresh_postgres: str,
    projection_db: Database,
    redis_url: str,
    redis_client: Redis,
    stream_name: str,
) -> None:
    async with widget_database(fresh_postgres) as db:
        await write_widgets(db, range(50))
        relay, broker = await make_relay(db, redis_url, stream_name)
        relay.batch_size = 20  # three batches, which one transaction publishes
        publish_many = relay.publisher.publish_many
        calls = 0

        async def second_publish_fails(envelopes: list[str]) -> list[str]:
            nonlocal calls
            calls += 1
            if calls == 2:
                raise RedisConnectionError("Redis went away")
            return await publish_many(envelopes)

        relay.publisher.publish_many = second_publish_fails  # type: ignore[method-assign,assignment]
        with pytest.raises(RedisConnectionError):
            await relay.publish_batch()
        async with db.sessions() as session:
            assert await read_log(session, after=None, limit=100) == ([], False)  # marks undone
        assert await redis_client.xlen(stream_name) == 20  # the first batch was sent

        assert await relay.publish_batch() == 50  # all three, one transaction
        assert await relay.publish_batch() == 0
        async with db.sessions() as session:
            logged, more = await read_log(session, after=None, limit=100)
        assert [e["data"]["n"] for e in logged] == list(range(50)) and not more
        assert await redis_client.xlen(stream_name) == 70  # the first batch twice
        await drain(make_consumer(projection_db, redis_client, stream_name))
        assert await effects(projection_db) == {f"w-{n}": 1 for n in range(50)}
        await broker.stop()


async def _count(db: Database) -> int:
    return sum((await effects(db)).values())


async def _until(probe: Callable[[], Awaitable[int]], expected: int, within: float = 15) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await probe() >= expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected {expected}, have {await probe()} after {within}s")


async def test_a_lost_database_connection_sends_nothing_to_the_dlq(
    db: Database, fresh_postgres: str, redis_url: str, redis_client: Redis, stream_name: str
) -> None:
    from sqlalchemy.engine import make_url

    from ishc_platform.consumer import DatabaseUnavailable
    from tests.helpers.services import TcpProxy

    real = make_url(fresh_postgres)
    await asyncio.to_thread(prepare_database, fresh_postgres)
    proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432)
    await proxy.start()
    projection = Database(str(real.set(host="127.0.0.1", port=proxy.port)))
    await write_widgets(db, range(6))
    relay, broker = await make_relay(db, redis_url, stream_name)
    await relay.publish_batch()
    consumer = make_consumer(
        projection, redis_client, stream_name, claim_idle_ms=10, max_deliveries=1
    )

    await proxy.cut()  # the database's network goes away
    for _ in range(6):
        with pytest.raises(DatabaseUnavailable):
            await consumer.poll_once(block_ms=10)
        await asyncio.sleep(0.02)
    await proxy.start()  # and comes back

    await asyncio.sleep(0.02)
    await drain(consumer)
    assert await effects(projection) == {f"w-{n}": 1 for n in range(6)}
    assert await redis_client.xlen(dlq_name(stream_name)) == 0
    assert (await redis_client.xpending(stream_name, "reporting"))["pending"] == 0
    await proxy.cut()
    await projection.dispose()
    await broker.stop()


class _CancellationBecomesAnError:
    """A call that, cancelled, raises another error, as a rollback on a connection
    the cancellation closed does ("the connection is closed")."""

    def __init__(self) -> None:
        self.started = asyncio.Event()

    async def wait_then_fail_when_cancelled(self) -> None:
        self.started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            error = OperationalError("ROLLBACK", None, Exception("the connection is closed"))
            raise error from None


async def test_a_relay_stops_when_its_cancelled_publish_surfaces_as_another_error(
    db: Database, redis_url: str, stream_name: str
) -> None:
    await write_widgets(db, range(3))
    relay, broker = await make_relay(db, redis_url, stream_name)
    call = _CancellationBecomesAnError()

    async def publish_many(envelopes: object) -> list[str]:
        await call.wait_then_fail_when_cancelled()
        return []

    relay.publisher.publish_many = publish_many  # type: ignore[method-assign,assignment]
    running = asyncio.create_task(relay.run())
    await asyncio.wait_for(call.started.wait(), 10)
    running.cancel()
    # Taken for a failure, the error would be retried for ever: the service's
    # shutdown, which waits for this task, would hang (CI saw it).
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(running, 5)
    await broker.stop()


async def test_a_consumer_stops_when_its_cancelled_batch_surfaces_as_a_database_error(
    db: Database, projection_db: Database, redis_url: str, redis_client: Redis, stream_name: str
) -> None:
    await write_widgets(db, range(3))
    relay, broker = await make_relay(db, redis_url, stream_name)
    await relay.publish_batch()
    call = _CancellationBecomesAnError()

    async def handler(session: object, events: object) -> None:
        await call.wait_then_fail_when_cancelled()

    consumer = make_consumer(projection_db, redis_client, stream_name, handler=handler)
    running = asyncio.create_task(consumer.run())
    await asyncio.wait_for(call.started.wait(), 10)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(running, 5)
    await broker.stop()
