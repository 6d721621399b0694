"""Cursor pagination: `limit` (default 50, at most 500) and an opaque `cursor`."""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel

from ishc_platform.errors import invalid

DEFAULT_LIMIT = 50
MAX_LIMIT = 500

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")]
Cursor = Annotated[str | None, Query(max_length=500, description="from next_cursor")]


class Page[T](BaseModel):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, keys: set[str]) -> dict[str, Any] | None:
    """The position a cursor holds; a 422 naming `cursor` when it is not ours."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw)
    except ValueError:
        raise invalid("cursor", "the cursor is not one this API returned") from None
    if not isinstance(position, dict) or set(position) != keys:
        raise invalid("cursor", "the cursor is not one this API returned")
    return position
