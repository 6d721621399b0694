"""Projections of another service's events that tolerate late and repeated events.

Events of one aggregate may arrive out of order (a redelivery, a backfill from
the log). Each concern of a projected row (a club's placement, its status; a
member's facts, their departure) keeps the `sequence` of the event that last set
it, and an event changes that concern only when it is newer. Finance's and
health's directory and reporting's projection both follow this rule through
`set_if_newer` (reporting's batched member upserts say the same in SQL:
`WHERE member_fact.<concern>_sequence < excluded.<concern>_sequence`).
"""

from __future__ import annotations

from typing import Any


def set_if_newer(row: Any, sequence_field: str, sequence: int, **values: Any) -> bool:
    """Set `values` on `row`, and its `sequence_field` to `sequence`, when the event
    is newer than the one that last set this concern; say whether it was."""
    if sequence <= getattr(row, sequence_field):
        return False
    for name, value in values.items():
        setattr(row, name, value)
    setattr(row, sequence_field, sequence)
    return True
