"""Repayment schedules (lịch trả nợ) worked by hand, and their properties (unit: no I/O)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ishc_contracts.finance_events import InterestMethod
from ishc_contracts.loans import Instalment
from ishc_finance.domain.money import ROUNDING_UNITS, add_months
from ishc_finance.domain.schedules import annuity_payment, schedule
from ishc_platform.validation import FieldError

FLAT = InterestMethod.FLAT
EQUAL_PRINCIPAL = InterestMethod.DECLINING_EQUAL_PRINCIPAL
ANNUITY = InterestMethod.DECLINING_EQUAL_INSTALMENTS
INTEREST_ONLY = InterestMethod.INTEREST_ONLY

Row = tuple[int, int]  # (principal, interest) of one instalment


def rows(
    method: InterestMethod,
    principal: int,
    rate: str,
    months: int,
    unit: int,
    disbursed_on: date = date(2025, 3, 10),
) -> list[Row]:
    instalments = schedule(
        principal_vnd=principal,
        monthly_rate=Decimal(rate),
        term_months=months,
        method=method,
        disbursed_on=disbursed_on,
        rounding_unit_vnd=unit,
    )
    return [(i.principal_vnd, i.interest_vnd) for i in instalments]


# 10,000,000 VND at 0.8% a month over 12 months, flat (lãi phẳng):
#   principal 10,000,000 / 12 = 833,333.33 → 833,333 × 11 = 9,166,663, last 833,337;
#   interest 10,000,000 × 0.008 × 12 = 960,000 in all, 960,000 / 12 = 80,000 each.
#   At 1,000 VND: 833,000 × 11 = 9,163,000, last 10,000,000 − 9,163,000 = 837,000;
#   interest 80,000 is already on the unit.
def test_flat_ten_million_at_unit_1() -> None:
    assert rows(FLAT, 10_000_000, "0.008", 12, 1) == [(833_333, 80_000)] * 11 + [(833_337, 80_000)]


def test_flat_ten_million_at_unit_1000() -> None:
    assert rows(FLAT, 10_000_000, "0.008", 12, 1000) == [(833_000, 80_000)] * 11 + [
        (837_000, 80_000)
    ]


# 7,777,777 VND at 0.8% over 6 months, flat, unit 1,000:
#   principal 7,777,777 / 6 = 1,296,296.17 → 1,296,000 × 5 = 6,480,000, last 1,297,777;
#   interest 7,777,777 × 0.008 × 6 = 373,333.296 → 373,333 in all;
#   373,333 / 6 = 62,222.17 → 62,000 × 5 = 310,000, last 63,333.
def test_flat_odd_principal_at_unit_1000() -> None:
    assert rows(FLAT, 7_777_777, "0.008", 6, 1000) == [(1_296_000, 62_000)] * 5 + [
        (1_297_777, 63_333)
    ]


# 10,000,000 at 0.8% over 12 months, declining balance with equal principal (dư nợ
# giảm dần): principal as flat; interest on the balance before each instalment,
#   k=1: 10,000,000 × 0.008 = 80,000        k=2: 9,166,667 × 0.008 = 73,333.34 → 73,333
#   k=3: 8,333,334 × 0.008 = 66,666.67 → 66,667   ...   k=12: 833,337 × 0.008 = 6,666.70
#   → 6,667.
def test_equal_principal_ten_million_at_unit_1() -> None:
    interest = [80_000, 73_333, 66_667, 60_000, 53_333, 46_667]
    interest += [40_000, 33_333, 26_667, 20_000, 13_333, 6_667]
    principal = [833_333] * 11 + [833_337]
    assert rows(EQUAL_PRINCIPAL, 10_000_000, "0.008", 12, 1) == list(
        zip(principal, interest, strict=True)
    )


# At 1,000 VND: balances 10,000,000, 9,167,000, 8,334,000, ..., 837,000;
#   interest 80,000; 73,336 → 73,000; 66,672 → 67,000; 60,008 → 60,000; 53,344 → 53,000;
#   46,680 → 47,000; 40,016 → 40,000; 33,352 → 33,000; 26,688 → 27,000; 20,024 → 20,000;
#   13,360 → 13,000; 6,696 → 7,000.
def test_equal_principal_ten_million_at_unit_1000() -> None:
    interest = [80_000, 73_000, 67_000, 60_000, 53_000, 47_000]
    interest += [40_000, 33_000, 27_000, 20_000, 13_000, 7_000]
    principal = [833_000] * 11 + [837_000]
    assert rows(EQUAL_PRINCIPAL, 10_000_000, "0.008", 12, 1000) == list(
        zip(principal, interest, strict=True)
    )


# 7,777,777 at 0.8% over 6 months, declining equal principal, unit 1,000:
#   balances 7,777,777 / 6,481,777 / 5,185,777 / 3,889,777 / 2,593,777 / 1,297,777;
#   × 0.008 = 62,222.2 / 51,854.2 / 41,486.2 / 31,118.2 / 20,750.2 / 10,382.2
#   → 62,000 / 52,000 / 41,000 / 31,000 / 21,000 / 10,000.
def test_equal_principal_odd_principal_at_unit_1000() -> None:
    assert rows(EQUAL_PRINCIPAL, 7_777_777, "0.008", 6, 1000) == [
        (1_296_000, 62_000),
        (1_296_000, 52_000),
        (1_296_000, 41_000),
        (1_296_000, 31_000),
        (1_296_000, 21_000),
        (1_297_777, 10_000),
    ]


# 3,000,000 at 1% over 3 months, annuity (trả đều):
#   (1.01)^3 = 1.030301; A = 3,000,000 × 0.01 × 1.030301 / 0.030301
#     = 30,909.03 / 0.030301 = 1,020,066.44 → 1,020,066.
#   k=1: interest 3,000,000 × 0.01 = 30,000, principal 990,066, balance 2,009,934
#   k=2: interest 20,099.34 → 20,099, principal 999,967, balance 1,009,967
#   k=3: principal the balance 1,009,967, interest 10,099.67 → 10,100 (1,020,067 in all).
def test_annuity_small_case_by_the_formula() -> None:
    assert annuity_payment(3_000_000, Decimal("0.01"), 3, 1) == 1_020_066
    assert rows(ANNUITY, 3_000_000, "0.01", 3, 1) == [
        (990_066, 30_000),
        (999_967, 20_099),
        (1_009_967, 10_100),
    ]


# At 1,000 VND: A = 1,020,066.44 → 1,020,000;
#   k=1: interest 30,000, principal 990,000, balance 2,010,000
#   k=2: interest 20,100 → 20,000, principal 1,000,000, balance 1,010,000
#   k=3: principal 1,010,000, interest 10,100 → 10,000.
def test_annuity_small_case_at_unit_1000() -> None:
    assert rows(ANNUITY, 3_000_000, "0.01", 3, 1000) == [
        (990_000, 30_000),
        (1_000_000, 20_000),
        (1_010_000, 10_000),
    ]


# 10,000,000 at 0.8% over 12 months: A = 80,000 × 1.008^12 / (1.008^12 − 1)
#   = 80,000 × 1.100339 / 0.100339 = 877,296.6… → 877,300 at 1 VND;
#   every instalment but the last pays exactly A; the last 870,333 + 6,963 = 877,296.
def test_annuity_payments_are_level_but_the_last() -> None:
    table = rows(ANNUITY, 10_000_000, "0.008", 12, 1)
    assert {p + i for p, i in table[:-1]} == {877_300}
    assert table[0] == (797_300, 80_000)
    assert table[-1] == (870_333, 6_963)


def test_annuity_at_zero_rate_is_equal_parts() -> None:
    # A = 3,000,000 / 3 = 1,000,000, no interest.
    assert rows(ANNUITY, 3_000_000, "0", 3, 1000) == [(1_000_000, 0)] * 3


# 2,600 VND over 4 months at 1,000 VND: 2,600 / 4 = 650. Rounded half up it would be
# 1,000 × 3 and a last part of −400; rounded down it is 0 × 3 and 2,600.
def test_a_tiny_principal_never_leaves_a_negative_part() -> None:
    assert rows(FLAT, 2_600, "0", 4, 1000) == [(0, 0)] * 3 + [(2_600, 0)]
    assert rows(EQUAL_PRINCIPAL, 2_600, "0", 4, 1000) == [(0, 0)] * 3 + [(2_600, 0)]
    # The annuity's payment rounds half up to 1,000: twice 1,000, then the balance of
    # 600 is below the unit, so nothing until the last instalment clears it.
    assert rows(ANNUITY, 2_600, "0", 4, 1000) == [(1_000, 0), (1_000, 0), (0, 0), (600, 0)]


# 5,000,000 at 0.7% over 4 months, interest only (gốc cuối kỳ):
#   5,000,000 × 0.007 = 35,000 each month, the principal with the last.
def test_interest_only() -> None:
    assert rows(INTEREST_ONLY, 5_000_000, "0.007", 4, 1) == [(0, 35_000)] * 3 + [
        (5_000_000, 35_000)
    ]
    # 7,777,777 × 0.008 = 62,222.2 → 62,000 at 1,000 VND.
    assert rows(INTEREST_ONLY, 7_777_777, "0.008", 2, 1000) == [
        (0, 62_000),
        (7_777_777, 62_000),
    ]


def due_dates(disbursed_on: date, months: int) -> list[date]:
    instalments = schedule(
        principal_vnd=1_000_000,
        monthly_rate=Decimal("0.008"),
        term_months=months,
        method=FLAT,
        disbursed_on=disbursed_on,
        rounding_unit_vnd=1,
    )
    return [i.due_on for i in instalments]


def test_due_dates_from_31_january() -> None:
    assert due_dates(date(2025, 1, 31), 4) == [
        date(2025, 2, 28),
        date(2025, 3, 31),
        date(2025, 4, 30),
        date(2025, 5, 31),
    ]
    assert due_dates(date(2024, 1, 31), 2) == [date(2024, 2, 29), date(2024, 3, 31)]


def test_due_dates_from_29_february() -> None:
    dates = due_dates(date(2024, 2, 29), 12)
    assert dates[:2] == [date(2024, 3, 29), date(2024, 4, 29)]
    assert dates[-1] == date(2025, 2, 28)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"principal_vnd": 0}, "principal_vnd"),
        ({"term_months": 0}, "term_months"),
        ({"monthly_rate": Decimal("-0.001")}, "monthly_rate"),
    ],
)
def test_impossible_terms_are_refused(change: dict[str, object], field: str) -> None:
    terms: dict[str, object] = {
        "principal_vnd": 1_000_000,
        "monthly_rate": Decimal("0.008"),
        "term_months": 3,
        "method": FLAT,
        "disbursed_on": date(2025, 1, 1),
        "rounding_unit_vnd": 1,
    }
    with pytest.raises(FieldError) as refused:
        schedule(**(terms | change))  # type: ignore[arg-type]
    assert refused.value.field == field


@given(
    principal=st.integers(min_value=1, max_value=10**12),
    rate=st.decimals(min_value=0, max_value=Decimal("0.05"), places=6),
    months=st.integers(min_value=1, max_value=120),
    method=st.sampled_from(InterestMethod),
    unit=st.sampled_from(ROUNDING_UNITS),
    disbursed_on=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
)
def test_schedule_properties(
    principal: int,
    rate: Decimal,
    months: int,
    method: InterestMethod,
    unit: int,
    disbursed_on: date,
) -> None:
    instalments: list[Instalment] = schedule(
        principal_vnd=principal,
        monthly_rate=rate,
        term_months=months,
        method=method,
        disbursed_on=disbursed_on,
        rounding_unit_vnd=unit,
    )
    assert [i.number for i in instalments] == list(range(1, months + 1))
    assert [i.due_on for i in instalments] == [
        add_months(disbursed_on, k) for k in range(1, months + 1)
    ]
    assert sum(i.principal_vnd for i in instalments) == principal
    assert all(i.principal_vnd >= 0 and i.interest_vnd >= 0 for i in instalments)
    assert all(i.principal_vnd % unit == 0 and i.interest_vnd % unit == 0 for i in instalments[:-1])
    if rate == 0:
        assert all(i.interest_vnd == 0 for i in instalments)
    # Declining balance never charges more than flat interest on the whole principal
    # (up to the rounding of each month's interest).
    if method is not FLAT:
        flat_total = principal * rate * months
        assert sum(i.interest_vnd for i in instalments) <= flat_total + Decimal(months * unit) / 2
