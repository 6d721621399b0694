"""Cursors and calendar dates (unit: no I/O)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ishc_platform.clock import vietnam_date
from ishc_platform.errors import Problem
from ishc_platform.pagination import decode_cursor, encode_cursor


def test_a_cursor_round_trips() -> None:
    position = {"name": "Nguyễn Thị", "id": "c-9"}
    assert decode_cursor(encode_cursor(position), {"name", "id"}) == position
    assert decode_cursor(None, {"id"}) is None


@pytest.mark.parametrize("cursor", ["!!!", "bm90IGpzb24", encode_cursor({"other": 1})])
def test_a_foreign_cursor_is_a_422_naming_cursor(cursor: str) -> None:
    with pytest.raises(Problem) as caught:
        decode_cursor(cursor, {"id"})
    assert caught.value.status == 422
    assert caught.value.errors and caught.value.errors[0]["field"] == "cursor"


def test_dates_are_taken_in_vietnam() -> None:
    # 17:30 UTC on 31 December is already New Year's Day in Hà Nội (UTC+7).
    assert vietnam_date(datetime(2025, 12, 31, 17, 30, tzinfo=UTC)) == date(2026, 1, 1)
    assert vietnam_date(datetime(2025, 12, 31, 16, 59, tzinfo=UTC)) == date(2025, 12, 31)
    with pytest.raises(ValueError):
        vietnam_date(datetime(2025, 12, 31, 16, 59))
