"""Background loops that stop when they are told to.

A loop that retries on `Exception` must not retry once its task is being
cancelled: a cancelled database or Redis call often surfaces as some other
error (a rollback on a connection the cancellation closed answers "the
connection is closed"), and a loop that took it for a failure would go on
forever, so the service's shutdown, which waits for its tasks, would hang.
"""

from __future__ import annotations

import asyncio


def stop_if_cancelled(exc: BaseException) -> None:
    """Raise CancelledError (from `exc`) when the current task is being cancelled;
    called first in a background loop's `except Exception`."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError() from exc
