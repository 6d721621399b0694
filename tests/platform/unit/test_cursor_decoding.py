"""Item 11: a forged or garbled cursor is a 422 naming the parameter, never a 500
(unit: no I/O; the routes that decode cursors are in
tests/platform/integration/test_cursor_hardening.py)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from ishc_platform.errors import Problem
from ishc_platform.pagination import decode_cursor, encode_cursor


def forge(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


FORGED = {
    "int": encode_cursor({"after": 1}),
    "float": encode_cursor({"after": 1.5}),
    "bool": encode_cursor({"after": True}),
    "null": encode_cursor({"after": None}),
    "list": encode_cursor({"after": ["a"]}),
    "object": encode_cursor({"after": {"$gt": ""}}),
    "nul": encode_cursor({"after": "a\x00b"}),
    "long-value": encode_cursor({"after": "x" * 300}),
    "extra-key": encode_cursor({"after": "a", "b": "c"}),
    "not-an-object": forge(b'["after"]'),
    "bad-utf8": forge(b'{"after":"\xff\xfe"}'),
    "not-json": forge(b"after=1"),
    "nested": forge(b"[" * 300 + b"]" * 300),
    "bad-base64": "!!!*",
    "non-ascii": "ключ",
    "empty": "",
    "too-long": "A" * 600,
}


@pytest.mark.parametrize("cursor", FORGED.values(), ids=FORGED.keys())
def test_a_forged_cursor_is_a_422_naming_cursor(cursor: str) -> None:
    with pytest.raises(Problem) as caught:
        decode_cursor(cursor, {"after"})
    assert caught.value.status == 422
    assert caught.value.errors and caught.value.errors[0]["field"] == "cursor"


def test_deep_nesting_that_exhausts_recursion_is_a_422(monkeypatch: pytest.MonkeyPatch) -> None:
    def too_deep(_: Any) -> Any:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(json, "loads", too_deep)
    with pytest.raises(Problem) as caught:
        decode_cursor(encode_cursor({"after": "a"}), {"after"})
    assert caught.value.status == 422


def test_callers_may_name_other_value_types() -> None:
    cursor = encode_cursor({"at": 12, "id": "c-9"})
    assert decode_cursor(cursor, {"at": int, "id": str}) == {"at": 12, "id": "c-9"}
    with pytest.raises(Problem):
        decode_cursor(cursor, {"at", "id"})  # by default every value is a string
    with pytest.raises(Problem):
        decode_cursor(encode_cursor({"at": True, "id": "c"}), {"at": int, "id": str})
    with pytest.raises(Problem):
        decode_cursor(encode_cursor({"at": 2**70, "id": "c"}), {"at": int, "id": str})
    assert decode_cursor(encode_cursor({"after": "Nguyễn"}), {"after"}) == {"after": "Nguyễn"}
