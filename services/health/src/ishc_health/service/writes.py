"""New ids for health records (events go through `ishc_platform.outbox.publish`)."""

from __future__ import annotations

from ishc_contracts import new_event_id


def new_id() -> str:
    return str(new_event_id())
