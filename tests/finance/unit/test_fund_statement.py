"""A fund's public statement (công khai tài chính) over a period (unit: no I/O)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ishc_finance.domain.statement import (
    CashMovement,
    EntryKind,
    StatementEntry,
    build_statement,
)
from ishc_platform.validation import FieldError

FUND = "fund-activity"

MOVEMENTS = [
    CashMovement(date(2024, 1, 20), EntryKind.CONTRIBUTION, "c-1", 2_000_000, "state_budget"),
    CashMovement(date(2024, 1, 31), EntryKind.EXPENSE, "e-1", -300_000, "culture_sports", 1),
    CashMovement(date(2024, 2, 1), EntryKind.FEE, "f-1", 5_000),
    CashMovement(date(2024, 2, 29), EntryKind.INTEREST, "r-1", 30_000, None, 2),
    CashMovement(date(2024, 2, 29), EntryKind.EXPENSE, "e-2", -150_000, "health_care", 1),
    CashMovement(
        date(2024, 2, 29), EntryKind.CONTRIBUTION_IN_KIND, "c-2", 800_000, "golden_heart_book", 3
    ),
    CashMovement(date(2024, 3, 1), EntryKind.FEE, "f-2", 3_000),
    CashMovement(date(2024, 3, 5), EntryKind.REVERSAL, "x-1", -5_000, None),
]


def test_february_of_a_leap_year() -> None:
    statement = build_statement(FUND, MOVEMENTS, date(2024, 2, 1), date(2024, 2, 29))
    # Opening: 2,000,000 − 300,000 (31/01 is before the period).
    assert statement.opening_balance_vnd == 1_700_000
    assert statement.entries == [
        StatementEntry(date(2024, 2, 1), "fee", "f-1", 5_000, 0, 1_705_000, None),
        # 29/02 in the period; the same day in the order given (expense first).
        StatementEntry(date(2024, 2, 29), "expense", "e-2", 0, 150_000, 1_555_000, "health_care"),
        StatementEntry(date(2024, 2, 29), "interest", "r-1", 30_000, 0, 1_585_000, None),
        # The rice is listed at its value but is not cash: the balance does not move.
        StatementEntry(
            date(2024, 2, 29),
            "contribution_in_kind",
            "c-2",
            0,
            0,
            1_585_000,
            "golden_heart_book",
            800_000,
        ),
    ]
    assert statement.total_inflow_vnd == 35_000
    assert statement.total_outflow_vnd == 150_000
    assert statement.closing_balance_vnd == 1_585_000
    assert statement.total_in_kind_vnd == 800_000


def test_a_period_ending_at_the_end_of_january() -> None:
    statement = build_statement(FUND, MOVEMENTS, date(2024, 1, 1), date(2024, 1, 31))
    assert statement.opening_balance_vnd == 0
    assert [e.reference_id for e in statement.entries] == ["c-1", "e-1"]
    assert (statement.total_inflow_vnd, statement.total_outflow_vnd) == (2_000_000, 300_000)
    assert statement.closing_balance_vnd == 1_700_000


def test_the_next_period_opens_with_the_last_ones_closing() -> None:
    february = build_statement(FUND, MOVEMENTS, date(2024, 2, 1), date(2024, 2, 29))
    march = build_statement(FUND, MOVEMENTS, date(2024, 3, 1), date(2024, 3, 31))
    assert march.opening_balance_vnd == february.closing_balance_vnd
    assert [(e.kind, e.inflow_vnd, e.outflow_vnd) for e in march.entries] == [
        ("fee", 3_000, 0),
        ("reversal", 0, 5_000),
    ]
    assert march.closing_balance_vnd == 1_583_000


def test_a_single_day() -> None:
    day = build_statement(FUND, MOVEMENTS, date(2024, 2, 29), date(2024, 2, 29))
    assert len(day.entries) == 3
    assert day.closing_balance_vnd - day.opening_balance_vnd == 30_000 - 150_000


def test_an_empty_period() -> None:
    quiet = build_statement(FUND, MOVEMENTS, date(2024, 6, 1), date(2024, 6, 30))
    assert quiet.entries == []
    assert quiet.opening_balance_vnd == quiet.closing_balance_vnd == 1_583_000


def test_the_period_ends_after_it_starts() -> None:
    with pytest.raises(FieldError) as refused:
        build_statement(FUND, MOVEMENTS, date(2024, 3, 1), date(2024, 2, 29))
    assert refused.value.field == "date_to"


def test_a_reversed_gift_in_kind_moves_no_cash() -> None:
    movements = [
        CashMovement(date(2024, 5, 1), "contribution_in_kind", "c-9", 900_000),
        CashMovement(date(2024, 5, 2), "reversal", "x-9", -900_000, in_kind=True),
    ]
    statement = build_statement(FUND, movements, date(2024, 5, 1), date(2024, 5, 31))
    assert statement.closing_balance_vnd == 0
    assert statement.total_in_kind_vnd == 0
    assert [e.in_kind_vnd for e in statement.entries] == [900_000, -900_000]


movement = st.builds(
    CashMovement,
    on=st.dates(date(2024, 1, 1), date(2024, 12, 31)),
    kind=st.sampled_from(EntryKind),
    reference_id=st.uuids().map(str),
    amount_vnd=st.integers(-(10**9), 10**9),
    order=st.integers(0, 5),
)


@given(
    movements=st.lists(movement, max_size=30),
    bounds=st.lists(st.dates(date(2024, 1, 1), date(2024, 12, 31)), min_size=2, max_size=2),
)
def test_statement_sums(movements: list[CashMovement], bounds: list[date]) -> None:
    start, end = sorted(bounds)
    statement = build_statement(FUND, movements, start, end)
    cash = [m for m in movements if not m.is_in_kind]
    assert statement.opening_balance_vnd == sum(m.amount_vnd for m in cash if m.on < start)
    assert statement.closing_balance_vnd == sum(m.amount_vnd for m in cash if m.on <= end)
    assert statement.closing_balance_vnd == (
        statement.opening_balance_vnd + statement.total_inflow_vnd - statement.total_outflow_vnd
    )
    assert len(statement.entries) == sum(1 for m in movements if start <= m.on <= end)
    keys = [(e.on,) for e in statement.entries]
    assert keys == sorted(keys)
    if statement.entries:
        assert statement.entries[-1].balance_vnd == statement.closing_balance_vnd
