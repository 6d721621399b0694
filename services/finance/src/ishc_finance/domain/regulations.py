"""A club's regulation (quy chế) and what it allows.

The plans set a national band: loans at 0.6%–1.0% a month, member fees of
2,000–5,000 VND a month (Vĩnh Long plan). Each club's regulation sets its own band
inside it, its largest loan and longest term, the interest methods it lends with and
how it rounds instalments. A regulation is versioned: the version in force on a date
is the latest adopted with `effective_on` on or before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from ishc_contracts.finance_events import InterestMethod
from ishc_finance.domain.money import ROUNDING_UNITS
from ishc_platform.validation import FieldError

MAX_TERM_MONTHS = 120
"""The longest term a regulation may allow (ten years)."""


@dataclass(frozen=True)
class NationalBands:
    """The national band (khung lãi suất, mức hội phí); the service's settings may
    change it, these are the plans' values."""

    rate_min: Decimal = Decimal("0.006")
    rate_max: Decimal = Decimal("0.010")
    fee_min_vnd: int = 2000
    fee_max_vnd: int = 5000


@dataclass(frozen=True)
class RegulationTerms:
    """One version of a club's regulation, as far as money goes."""

    effective_on: date
    rate_min: Decimal  # a month, as a share (0.008 = 0.8%/tháng)
    rate_max: Decimal
    fee_min_vnd: int  # hội phí a month
    fee_max_vnd: int
    max_loan_vnd: int
    max_term_months: int
    methods: frozenset[InterestMethod]
    rounding_unit_vnd: int
    version: int = 1


class HasEffectiveOn(Protocol):
    """Anything versioned by date: a regulation's terms, or its row."""

    @property
    def effective_on(self) -> date: ...

    @property
    def version(self) -> int: ...


def _band(low: object, high: object) -> str:
    return f"{low}–{high}"


def check_regulation(terms: RegulationTerms, national: NationalBands) -> None:
    """Refuse a regulation that cannot stand, naming the field of its first problem."""
    if terms.rate_min > terms.rate_max:
        raise FieldError(
            "rate_min", f"rate_min {terms.rate_min} is above rate_max {terms.rate_max}"
        )
    national_rates = _band(national.rate_min, national.rate_max)
    for name, rate in (("rate_min", terms.rate_min), ("rate_max", terms.rate_max)):
        if not national.rate_min <= rate <= national.rate_max:
            raise FieldError(
                name,
                f"{name} {rate} is outside the national band {national_rates} a month",
                band=[str(national.rate_min), str(national.rate_max)],
            )
    if terms.fee_min_vnd > terms.fee_max_vnd:
        raise FieldError(
            "fee_min_vnd",
            f"fee_min_vnd {terms.fee_min_vnd} is above fee_max_vnd {terms.fee_max_vnd}",
        )
    national_fees = _band(national.fee_min_vnd, national.fee_max_vnd)
    for name, fee in (("fee_min_vnd", terms.fee_min_vnd), ("fee_max_vnd", terms.fee_max_vnd)):
        if not national.fee_min_vnd <= fee <= national.fee_max_vnd:
            raise FieldError(
                name,
                f"{name} {fee} is outside the national fee band {national_fees} VND a month",
                band=[national.fee_min_vnd, national.fee_max_vnd],
            )
    if terms.max_loan_vnd <= 0:
        raise FieldError("max_loan_vnd", "max_loan_vnd must be more than 0 VND")
    if not 1 <= terms.max_term_months <= MAX_TERM_MONTHS:
        raise FieldError(
            "max_term_months",
            f"max_term_months {terms.max_term_months} is outside 1–{MAX_TERM_MONTHS} months",
        )
    if not terms.methods:
        raise FieldError("methods", "a regulation allows at least one interest method")
    if terms.rounding_unit_vnd not in ROUNDING_UNITS:
        allowed = " or ".join(str(unit) for unit in ROUNDING_UNITS)
        raise FieldError(
            "rounding_unit_vnd",
            f"rounding_unit_vnd {terms.rounding_unit_vnd} is not {allowed} VND",
        )


def in_force[T: HasEffectiveOn](versions: Sequence[T], on: date) -> T | None:
    """The version in force on `on`: the latest whose `effective_on` is on or before
    it (of two on the same day, the higher `version`); None before the first."""
    candidates = [v for v in versions if v.effective_on <= on]
    if not candidates:
        return None
    return max(candidates, key=lambda v: (v.effective_on, v.version))


def check_loan_terms(
    terms: RegulationTerms,
    national: NationalBands,
    *,
    principal_vnd: int,
    monthly_rate: Decimal,
    term_months: int,
    method: InterestMethod,
) -> None:
    """Refuse a loan the regulation in force (`terms`) or the national band does not
    allow, naming the field."""
    if not terms.rate_min <= monthly_rate <= terms.rate_max:
        raise FieldError(
            "monthly_rate",
            f"monthly_rate {monthly_rate} is outside the club's band "
            f"{_band(terms.rate_min, terms.rate_max)} a month "
            f"(regulation version {terms.version})",
            band=[str(terms.rate_min), str(terms.rate_max)],
            regulation_version=terms.version,
        )
    # The club's band was inside the national one when adopted, but the national
    # band is a setting and may have narrowed since.
    if not national.rate_min <= monthly_rate <= national.rate_max:
        raise FieldError(
            "monthly_rate",
            f"monthly_rate {monthly_rate} is outside the national band "
            f"{_band(national.rate_min, national.rate_max)} a month",
            band=[str(national.rate_min), str(national.rate_max)],
        )
    if principal_vnd <= 0:
        raise FieldError("principal_vnd", "principal_vnd must be more than 0 VND")
    if principal_vnd > terms.max_loan_vnd:
        raise FieldError(
            "principal_vnd",
            f"principal_vnd {principal_vnd} is above the club's largest loan "
            f"{terms.max_loan_vnd} VND (regulation version {terms.version})",
            max_loan_vnd=terms.max_loan_vnd,
            regulation_version=terms.version,
        )
    if term_months < 1:
        raise FieldError("term_months", "term_months must be at least 1")
    if term_months > terms.max_term_months:
        raise FieldError(
            "term_months",
            f"term_months {term_months} is above the club's longest term "
            f"{terms.max_term_months} months (regulation version {terms.version})",
            max_term_months=terms.max_term_months,
            regulation_version=terms.version,
        )
    if method not in terms.methods:
        allowed = ", ".join(sorted(m.value for m in terms.methods))
        raise FieldError(
            "method",
            f"method {method} is not allowed by the club's regulation "
            f"(version {terms.version}: {allowed})",
            allowed=sorted(m.value for m in terms.methods),
            regulation_version=terms.version,
        )


def check_fee(terms: RegulationTerms, amount_vnd: int) -> None:
    """Refuse a monthly fee (hội phí) outside the club's fee band."""
    if not terms.fee_min_vnd <= amount_vnd <= terms.fee_max_vnd:
        raise FieldError(
            "amount_vnd",
            f"amount_vnd {amount_vnd} is outside the club's fee band "
            f"{_band(terms.fee_min_vnd, terms.fee_max_vnd)} VND a month "
            f"(regulation version {terms.version})",
            band=[terms.fee_min_vnd, terms.fee_max_vnd],
            regulation_version=terms.version,
        )
