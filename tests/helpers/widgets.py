"""A test aggregate, `widget`, to exercise the event machinery on its own.

The handler writes one `widget_effect` row per application (no unique key on
purpose), so an event applied twice shows as two rows.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from faststream.redis import RedisBroker
from pydantic import BaseModel
from redis.asyncio import Redis
from sqlalchemy import MetaData, func, insert
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts import Event, event_type
from ishc_platform.broker import EventPublisher
from ishc_platform.consumer import InboxConsumer
from ishc_platform.db import Database, make_sync_engine
from ishc_platform.migrate import upgrade
from ishc_platform.outbox import OutboxRelay, record_event

WIDGET_CREATED = "ishc.test.widget.created.v1"


@event_type(WIDGET_CREATED)
class WidgetCreated(BaseModel):
    widget_id: str
    n: int


class WidgetTable(SQLModel):
    metadata = MetaData()


class WidgetEffect(WidgetTable, table=True):
    __tablename__ = "widget_effect"

    id: int | None = Field(default=None, primary_key=True)
    widget_id: str = Field(index=True)
    n: int


def prepare_database(url: str) -> None:
    """Platform tables by their real migrations, plus the test table."""
    upgrade("registry", url)
    engine = make_sync_engine(url)
    WidgetTable.metadata.create_all(engine)
    engine.dispose()


@asynccontextmanager
async def widget_database(url: str) -> AsyncIterator[Database]:
    """A prepared database (`prepare_database`), open for the block."""
    await asyncio.to_thread(prepare_database, url)
    database = Database(url)
    try:
        yield database
    finally:
        await database.dispose()


class Poison:
    """Makes the handler fail for chosen `n` until cured."""

    def __init__(self, *bad: int) -> None:
        self.bad = set(bad)
        self.attempts = 0

    async def handler(self, session: AsyncSession, events: Sequence[Event[BaseModel]]) -> None:
        for event in events:
            assert isinstance(event.payload, WidgetCreated)
            if event.payload.n in self.bad:
                self.attempts += 1
                raise RuntimeError(f"cannot apply widget {event.payload.n}")
        await apply_widgets(session, events)


async def apply_widgets(session: AsyncSession, events: Sequence[Event[BaseModel]]) -> None:
    """One row per event, in one statement, as a projection writes its facts."""
    rows = []
    for event in events:
        assert isinstance(event.payload, WidgetCreated)
        rows.append({"widget_id": event.payload.widget_id, "n": event.payload.n})
    connection = await session.connection()
    await connection.execute(insert(WidgetEffect), rows)


async def write_widgets(db: Database, numbers: range | list[int], prefix: str = "w") -> None:
    """One transaction per widget, as a service would write them."""
    for n in numbers:
        async with db.sessions() as session, session.begin():
            await record_event(
                session,
                event_type=WIDGET_CREATED,
                subject=f"{prefix}-{n}",
                province="86",
                data=WidgetCreated(widget_id=f"{prefix}-{n}", n=n),
            )


async def effects(db: Database) -> dict[str, int]:
    """How many times each widget was applied."""
    async with db.sessions() as session:
        rows = await session.exec(
            select(WidgetEffect.widget_id, func.count()).group_by(WidgetEffect.widget_id)
        )
        return {w: c for w, c in rows.all()}


async def make_relay(db: Database, redis_url: str, stream: str) -> tuple[OutboxRelay, RedisBroker]:
    broker = RedisBroker(redis_url)
    await broker.connect()
    redis = Redis.from_url(redis_url)
    publisher = EventPublisher(broker, redis, stream, "test")
    return OutboxRelay(db, publisher, service=f"test-{stream}", batch_size=50), broker


def make_consumer(db: Database, redis: Redis, stream: str, **kwargs: object) -> InboxConsumer:
    options: dict[str, object] = {
        "group": "reporting",
        "handler": apply_widgets,
        "block_ms": 10,
        "claim_idle_ms": 60_000,
    }
    options.update(kwargs)
    return InboxConsumer(db, redis, stream=stream, **options)  # type: ignore[arg-type,unused-ignore]


async def drain(consumer: InboxConsumer, rounds: int = 50) -> int:
    """Poll until a round handles nothing; return how many entries were handled."""
    total = 0
    for _ in range(rounds):
        handled = await consumer.poll_once(block_ms=10)
        total += handled
        if handled == 0:
            break
    return total
