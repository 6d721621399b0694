"""What every benchmark needs: scratch databases and the raw read baseline."""

from __future__ import annotations

import gc
import json
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
from redis.asyncio import Redis

from ishc_platform.broker import decode_entry

REDIS = "redis://127.0.0.1:6379/0"
ADMIN_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def freeze_setup() -> None:
    """Before a timed phase, freeze what the benchmark has built so far, as a
    service freezes what its startup loaded (`service_app`): a full garbage
    collection then walks only what the phase itself makes. Unfrozen, the
    benchmark's imports and data (about 150,000 objects) were walked by each
    full collection, which a service never does: 19% of a consumer's time
    here. Called before each phase, the raw baselines' included."""
    gc.collect()
    gc.freeze()


def new_database(kind: str, scratch: Path) -> tuple[str, str | None]:
    """A fresh SQLite file or PostgreSQL database: (url, name to drop or None)."""
    if kind == "sqlite":
        return f"sqlite:///{scratch}/{uuid.uuid4().hex[:8]}.db", None
    name = f"ishc_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_PG, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql://postgres@127.0.0.1:5432/{name}", name


def drop(name: str | None) -> None:
    if name:
        with psycopg.connect(ADMIN_PG, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def raw_read_rate(redis: Redis, stream: str, count: int) -> float:
    """Entries per second through XREADGROUP(100) + XACK + json.loads, in group `raw`."""
    await redis.xgroup_create(stream, "raw", id="0")
    started = time.perf_counter()
    seen = 0
    while seen < count:
        reply: Any = await redis.xreadgroup("raw", "raw-1", {stream: ">"}, count=100)
        for _, batch in reply:
            for _, fields in batch:
                json.loads(decode_entry(fields))
            await redis.xack(stream, "raw", *[i for i, _ in batch])
            seen += len(batch)
    return count / (time.perf_counter() - started)


def rss_mib(pid: int | str = "self") -> float:
    """A process's resident memory (VmRSS of /proc/<pid>/status), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")
