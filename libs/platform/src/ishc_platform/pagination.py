"""Cursor pagination: `limit` (default 50, at most 500) and an opaque `cursor`."""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel

from ishc_platform.errors import invalid

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_CURSOR_LENGTH = 500
MAX_VALUE_LENGTH = 200
"""The longest string a cursor position may hold (ids are at most 100 characters)."""
_MAX_INT = 2**63 - 1

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")]
Cursor = Annotated[str | None, Query(max_length=MAX_CURSOR_LENGTH, description="from next_cursor")]

CursorKeys = Iterable[str] | Mapping[str, type | tuple[type, ...]]
"""The keys a cursor holds: a set of names (each value a string), or a mapping of
each name to the type(s) its value must have (`str`, `int`, `float`)."""


class Page[T](BaseModel):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _not_ours() -> Exception:
    return invalid("cursor", "the cursor is not one this API returned")


def _value_fits(value: Any, expected: type | tuple[type, ...]) -> bool:
    types = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool):  # JSON true/false is not a number here
        return bool in types
    if isinstance(value, str):
        return str in types and len(value) <= MAX_VALUE_LENGTH and "\x00" not in value
    if isinstance(value, int):
        return int in types and -_MAX_INT <= value <= _MAX_INT
    if isinstance(value, float):
        return float in types and math.isfinite(value)
    return False


def decode_cursor(cursor: str | None, keys: CursorKeys) -> dict[str, Any] | None:
    """The position a cursor holds; a 422 naming `cursor` when it is not ours.

    Checks the keys and each value's type (a string unless `keys` maps a key to
    other types), a bounded length and no NUL; anything that does not decode
    (bad base64, bad UTF-8, bad or deeply nested JSON) is the same 422.
    """
    if cursor is None:
        return None
    expected: dict[str, type | tuple[type, ...]] = (
        dict(keys) if isinstance(keys, Mapping) else dict.fromkeys(keys, str)
    )
    if not isinstance(cursor, str) or not 0 < len(cursor) <= MAX_CURSOR_LENGTH:
        raise _not_ours()
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        position = json.loads(raw.decode("utf-8"))
    except (ValueError, TypeError, binascii.Error, RecursionError):
        # binascii.Error, UnicodeDecodeError and JSONDecodeError are ValueErrors.
        raise _not_ours() from None
    if not isinstance(position, dict) or set(position) != set(expected):
        raise _not_ours()
    if not all(_value_fits(position[k], t) for k, t in expected.items()):
        raise _not_ours()
    return position


def keyset[T](
    rows: Sequence[T], limit: int, position_of: Callable[[T], dict[str, Any]]
) -> tuple[list[T], str | None]:
    """A page from `limit + 1` rows read in key order: the first `limit`, and the
    cursor of the last one when more follow (the extra row only says so)."""
    page = list(rows[:limit])
    more = len(rows) > limit
    return page, encode_cursor(position_of(page[-1])) if more and page else None
