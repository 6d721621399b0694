"""A club's regulation (quy chế): its bands inside the national ones, the version in
force on a date, and what a loan or a fee may be (unit: no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ishc_contracts.finance_events import InterestMethod
from ishc_finance.domain.regulations import (
    NationalBands,
    RegulationTerms,
    check_fee,
    check_loan_terms,
    check_regulation,
    in_force,
)
from ishc_platform.validation import FieldError

NATIONAL = NationalBands()
TERMS = RegulationTerms(
    effective_on=date(2025, 1, 1),
    rate_min=Decimal("0.007"),
    rate_max=Decimal("0.009"),
    fee_min_vnd=3000,
    fee_max_vnd=5000,
    max_loan_vnd=20_000_000,
    max_term_months=24,
    methods=frozenset({InterestMethod.FLAT, InterestMethod.DECLINING_EQUAL_PRINCIPAL}),
    rounding_unit_vnd=1000,
    version=3,
)


def test_the_plans_national_band() -> None:
    assert (NATIONAL.rate_min, NATIONAL.rate_max) == (Decimal("0.006"), Decimal("0.010"))
    assert (NATIONAL.fee_min_vnd, NATIONAL.fee_max_vnd) == (2000, 5000)


def test_a_regulation_inside_the_national_band_stands() -> None:
    check_regulation(TERMS, NATIONAL)
    check_regulation(
        replace(TERMS, rate_min=Decimal("0.006"), rate_max=Decimal("0.010"), fee_min_vnd=2000),
        NATIONAL,
    )


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"rate_min": Decimal("0.009"), "rate_max": Decimal("0.008")}, "rate_min", "above"),
        (
            {"rate_max": Decimal("0.012")},
            "rate_max",
            "rate_max 0.012 is outside the national band 0.006–0.010 a month",
        ),
        (
            {"rate_min": Decimal("0.005")},
            "rate_min",
            "rate_min 0.005 is outside the national band 0.006–0.010 a month",
        ),
        ({"fee_min_vnd": 1000}, "fee_min_vnd", "national fee band 2000–5000"),
        ({"fee_max_vnd": 6000}, "fee_max_vnd", "national fee band 2000–5000"),
        ({"fee_min_vnd": 5000, "fee_max_vnd": 4000}, "fee_min_vnd", "above"),
        ({"max_loan_vnd": 0}, "max_loan_vnd", "more than 0"),
        ({"max_term_months": 0}, "max_term_months", "1–120"),
        ({"max_term_months": 121}, "max_term_months", "1–120"),
        ({"methods": frozenset()}, "methods", "at least one"),
        ({"rounding_unit_vnd": 500}, "rounding_unit_vnd", "1 or 1000"),
    ],
)
def test_a_regulation_that_cannot_stand_names_its_field(
    change: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(FieldError) as refused:
        check_regulation(replace(TERMS, **change), NATIONAL)
    assert refused.value.field == field
    assert words in refused.value.message


def test_the_national_band_is_a_setting() -> None:
    narrower = NationalBands(rate_min=Decimal("0.006"), rate_max=Decimal("0.008"))
    with pytest.raises(FieldError) as refused:
        check_regulation(TERMS, narrower)
    assert refused.value.field == "rate_max"
    assert "0.006–0.008" in refused.value.message


@dataclass(frozen=True)
class Row:
    effective_on: date
    version: int


def test_the_version_in_force_is_the_latest_effective_by_the_date() -> None:
    v1, v2, v3 = Row(date(2024, 1, 1), 1), Row(date(2025, 1, 1), 2), Row(date(2025, 7, 1), 3)
    versions = [v3, v1, v2]  # in no order
    assert in_force(versions, date(2023, 12, 31)) is None
    assert in_force(versions, date(2024, 1, 1)) is v1
    assert in_force(versions, date(2024, 12, 31)) is v1
    assert in_force(versions, date(2025, 6, 30)) is v2
    assert in_force(versions, date(2025, 7, 1)) is v3
    assert in_force([], date(2025, 7, 1)) is None


def test_two_versions_the_same_day_the_higher_wins() -> None:
    first, correction = Row(date(2025, 1, 1), 4), Row(date(2025, 1, 1), 5)
    assert in_force([correction, first], date(2025, 3, 1)) is correction
    assert in_force([first, correction], date(2025, 3, 1)) is correction


def test_in_force_takes_regulation_terms() -> None:
    later = replace(TERMS, effective_on=date(2026, 1, 1), version=4)
    assert in_force([TERMS, later], date(2025, 12, 31)) is TERMS


def loan(**change: Any) -> None:
    terms: dict[str, Any] = {
        "principal_vnd": 10_000_000,
        "monthly_rate": Decimal("0.008"),
        "term_months": 12,
        "method": InterestMethod.FLAT,
    }
    national = change.pop("national", NATIONAL)
    check_loan_terms(TERMS, national, **(terms | change))


def test_a_loan_the_regulation_allows() -> None:
    loan()
    loan(principal_vnd=20_000_000, term_months=24, monthly_rate=Decimal("0.007"))
    loan(monthly_rate=Decimal("0.009"), method=InterestMethod.DECLINING_EQUAL_PRINCIPAL)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (
            {"monthly_rate": Decimal("0.010")},
            "monthly_rate",
            "outside the club's band 0.007–0.009 a month (regulation version 3)",
        ),
        ({"monthly_rate": Decimal("0.0065")}, "monthly_rate", "club's band 0.007–0.009"),
        (
            {"national": NationalBands(rate_max=Decimal("0.0075"))},
            "monthly_rate",
            "outside the national band 0.006–0.0075 a month",
        ),
        ({"principal_vnd": 20_000_001}, "principal_vnd", "largest loan 20000000 VND"),
        ({"principal_vnd": 0}, "principal_vnd", "more than 0"),
        ({"term_months": 25}, "term_months", "longest term 24 months (regulation version 3)"),
        ({"term_months": 0}, "term_months", "at least 1"),
        (
            {"method": InterestMethod.INTEREST_ONLY},
            "method",
            "interest_only is not allowed by the club's regulation",
        ),
    ],
)
def test_a_loan_outside_the_regulation_names_the_field_and_band(
    change: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(FieldError) as refused:
        loan(**change)
    assert refused.value.field == field
    assert words in refused.value.message


def test_a_rate_outside_the_band_carries_the_band() -> None:
    with pytest.raises(FieldError) as refused:
        loan(monthly_rate=Decimal("0.011"))
    assert refused.value.extra == {"band": ["0.007", "0.009"], "regulation_version": 3}


@pytest.mark.parametrize("amount", [3000, 4000, 5000])
def test_a_fee_inside_the_band(amount: int) -> None:
    check_fee(TERMS, amount)


@pytest.mark.parametrize("amount", [2999, 5001, 0])
def test_a_fee_outside_the_band(amount: int) -> None:
    with pytest.raises(FieldError) as refused:
        check_fee(TERMS, amount)
    assert refused.value.field == "amount_vnd"
    assert "fee band 3000–5000 VND a month" in refused.value.message
