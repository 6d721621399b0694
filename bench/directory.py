"""The directory that finance and health keep from registry events, against a
raw baseline in the same run.

- directory: `ishc_platform.directory.apply_registry_events` applying N member
  joins in batches of 100 (the consumer's batch), a transaction per batch;
- baseline: the same rows written by a Core `executemany` INSERT per batch, a
  transaction per batch: the least any handler that stores them must do.

    uv run python -m bench.directory --count 20000 --database postgresql
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from pydantic import BaseModel
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bench.common import drop, new_database
from ishc_contracts import Envelope, new_event_id
from ishc_contracts.registry import Event
from ishc_contracts.registry_events import MemberJoined
from ishc_platform.clock import utcnow
from ishc_platform.db import make_async_engine
from ishc_platform.directory import DirectoryMember, apply_registry_events, directory_metadata

app = typer.Typer(add_completion=False)
BATCH = 100


def joins(count: int) -> list[Event[BaseModel]]:
    events: list[Event[BaseModel]] = []
    for n in range(count):
        member_id = str(uuid.uuid4())
        payload = MemberJoined(
            member_id=member_id, club_id=f"c-{n // 60}", joined_on=date(2020, 1, 1),
            sex="female", birth_year=1955, poverty_status="poor",
        )  # fmt: skip
        envelope = Envelope(
            id=new_event_id(), type="ishc.registry.member.joined.v1", source="/ishc/registry",
            time=utcnow(), subject=member_id, sequence=1, province="86", data={},
        )  # fmt: skip
        events.append(Event(envelope=envelope, payload=payload))
    return events


async def measure(url: str, events: list[Event[BaseModel]]) -> tuple[float, float]:
    engine = make_async_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(directory_metadata.create_all)
    sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    started = time.perf_counter()
    for start in range(0, len(events), BATCH):
        async with sessions() as session:
            await apply_registry_events(session, events[start : start + BATCH])
            await session.commit()
    handler = len(events) / (time.perf_counter() - started)
    async with engine.begin() as connection:
        await connection.run_sync(directory_metadata.drop_all)
        await connection.run_sync(directory_metadata.create_all)
    rows = [
        {"member_id": p.member_id, "club_id": p.club_id,
         "province": "86", "joined_on": date(2020, 1, 1), "is_volunteer": False,
         "facts_sequence": 1, "status_sequence": 0}
        for p in (e.payload for e in events) if isinstance(p, MemberJoined)
    ]  # fmt: skip
    started = time.perf_counter()
    for start in range(0, len(rows), BATCH):
        async with engine.begin() as connection:
            await connection.execute(insert(DirectoryMember), rows[start : start + BATCH])
    raw = len(rows) / (time.perf_counter() - started)
    await engine.dispose()
    return handler, raw


@app.command()
def main(
    count: Annotated[int, typer.Option(help="member joins to apply")] = 20_000,
    database: Annotated[str, typer.Option(help="sqlite, postgresql or both")] = "postgresql",
) -> None:
    events = joins(count)
    kinds = ["sqlite", "postgresql"] if database == "both" else [database]
    with tempfile.TemporaryDirectory() as scratch:
        for kind in kinds:
            url, name = new_database(kind, Path(scratch))
            try:
                handler, raw = asyncio.run(measure(url, events))
            finally:
                drop(name)
            print(
                f"directory ({kind}): {handler:,.0f} events/s; raw Core INSERT per batch "
                f"{raw:,.0f} rows/s; ratio {handler / raw:.2f}"
            )


if __name__ == "__main__":
    app()
