"""Redis Streams mechanisms FastStream does not offer, done once here with
redis-py: consumer-group creation from the start of a stream, claiming idle
entries, dead letters and retention trimming."""

from __future__ import annotations

import time
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError


def dlq_name(stream: str) -> str:
    return f"{stream}.dlq"


async def ensure_group(redis: Redis, stream: str, group: str) -> bool:
    """Create `group` at the start of `stream` (so a new group reads history).

    Returns True when it was created, False when it already existed.
    """
    try:
        await redis.xgroup_create(stream, group, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" in str(exc):
            return False
        raise
    return True


def _id_tuple(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def _next_id(entry_id: str) -> str:
    ms, seq = _id_tuple(entry_id)
    return f"{ms}-{seq + 1}"


async def safe_trim_floor(redis: Redis, stream: str) -> str | None:
    """The lowest entry id some group still needs (pending or not yet delivered).

    None when no group exists. Entries below the floor were acknowledged by
    every group.
    """
    groups: list[dict[str, Any]] = await redis.xinfo_groups(stream)
    if not groups:
        return None
    floors = []
    for group in groups:
        name = _text(group["name"])
        pending = await redis.xpending(stream, name)
        if pending and pending["pending"]:
            floors.append(_text(pending["min"]))
        else:
            floors.append(_next_id(_text(group["last-delivered-id"])))
    return min(floors, key=_id_tuple)


async def trim_stream(redis: Redis, stream: str, retention_seconds: float) -> int:
    """Drop entries older than the retention window, never one a group still needs."""
    if not await redis.exists(stream):
        return 0
    cutoff = f"{int((time.time() - retention_seconds) * 1000)}-0"
    floor = await safe_trim_floor(redis, stream)
    minid = cutoff if floor is None else min(cutoff, floor, key=_id_tuple)
    return int(await redis.xtrim(stream, minid=minid, approximate=False))


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
