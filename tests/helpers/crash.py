"""A service process that dies by SIGKILL at a chosen point (run as a script).

usage: python -m tests.helpers.crash (after-commit|after-publish) DB_URL REDIS_URL STREAM COUNT
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Sequence

from ishc_platform.broker import EventPublisher
from ishc_platform.db import Database
from tests.helpers.widgets import make_relay, write_widgets


class PublisherKilledOnceSent(EventPublisher):
    """Dies once Redis holds the batch, before the relay's marks can commit."""

    async def publish_many(self, envelopes: Sequence[str]) -> list[str]:
        await super().publish_many(envelopes)
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("unreachable")


async def main(mode: str, db_url: str, redis_url: str, stream: str, count: int) -> None:
    db = Database(db_url)
    await write_widgets(db, range(count))
    if mode == "after-commit":
        os.kill(os.getpid(), signal.SIGKILL)
    relay, _broker = await make_relay(db, redis_url, stream)
    relay.publisher.__class__ = PublisherKilledOnceSent
    await relay.publish_batch()


if __name__ == "__main__":
    mode, db_url, redis_url, stream, count = sys.argv[1:]
    asyncio.run(main(mode, db_url, redis_url, stream, int(count)))
