"""A loan's repayment schedule (lịch trả nợ): one instalment a month.

Instalment k falls due k months after disbursement (`add_months`, counted from the
disbursement date). Every amount is whole VND and, but for the last instalment, a
multiple of the club's rounding unit; the last absorbs the residue, so the principal
parts sum exactly to the principal.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ishc_contracts.finance_events import InterestMethod
from ishc_contracts.loans import Instalment
from ishc_finance.domain.money import add_months, floor_to_unit, round_to_unit
from ishc_platform.validation import FieldError


def schedule(
    *,
    principal_vnd: int,
    monthly_rate: Decimal,
    term_months: int,
    method: InterestMethod,
    disbursed_on: date,
    rounding_unit_vnd: int,
) -> list[Instalment]:
    """The instalments of a loan of `principal_vnd` at `monthly_rate` over `term_months`."""
    if principal_vnd <= 0:
        raise FieldError("principal_vnd", "principal_vnd must be more than 0 VND")
    if term_months < 1:
        raise FieldError("term_months", "term_months must be at least 1")
    if monthly_rate < 0:
        raise FieldError("monthly_rate", "monthly_rate cannot be negative")
    if rounding_unit_vnd < 1:
        raise FieldError("rounding_unit_vnd", "rounding_unit_vnd must be at least 1 VND")
    rate = Decimal(monthly_rate)
    unit = rounding_unit_vnd
    match method:
        case InterestMethod.FLAT:
            parts = _flat(principal_vnd, rate, term_months, unit)
        case InterestMethod.DECLINING_EQUAL_PRINCIPAL:
            parts = _declining_equal_principal(principal_vnd, rate, term_months, unit)
        case InterestMethod.DECLINING_EQUAL_INSTALMENTS:
            parts = _annuity(principal_vnd, rate, term_months, unit)
        case InterestMethod.INTEREST_ONLY:
            parts = _interest_only(principal_vnd, rate, term_months, unit)
        case _:
            raise FieldError("method", f"unknown interest method {method!r}")
    return [
        Instalment(
            number=k,
            due_on=add_months(disbursed_on, k),
            principal_vnd=principal,
            interest_vnd=interest,
        )
        for k, (principal, interest) in enumerate(parts, start=1)
    ]


def _equal_parts(total: int, n: int, unit: int) -> list[int]:
    """`total` in n parts: n−1 equal parts rounded DOWN to the unit, the last the rest.

    Down, not half up: half up can make the last part negative (2,600 VND over 4
    months at 1,000 VND would give 1,000 × 3 and then −400)."""
    part = floor_to_unit(Decimal(total) / n, unit)
    return [part] * (n - 1) + [total - part * (n - 1)]


def _flat(p: int, r: Decimal, n: int, unit: int) -> list[tuple[int, int]]:
    """Lãi phẳng: interest on the original principal for the whole term, spread
    evenly; equal principal parts."""
    total_interest = round_to_unit(p * r * n, 1)
    return list(zip(_equal_parts(p, n, unit), _equal_parts(total_interest, n, unit), strict=True))


def _declining_equal_principal(p: int, r: Decimal, n: int, unit: int) -> list[tuple[int, int]]:
    """Dư nợ giảm dần, gốc đều: equal principal parts, each month's interest on the
    balance still owed before it."""
    parts: list[tuple[int, int]] = []
    balance = p
    for principal in _equal_parts(p, n, unit):
        parts.append((principal, round_to_unit(balance * r, unit)))
        balance -= principal
    return parts


def annuity_payment(p: int, r: Decimal, n: int, unit: int) -> int:
    """The level monthly payment A = P·r / (1 − (1 + r)^−n), rounded to the unit
    (P / n when the rate is 0)."""
    if r == 0:
        return round_to_unit(Decimal(p) / n, unit)
    return round_to_unit(p * r / (1 - (1 + r) ** -n), unit)


def _annuity(p: int, r: Decimal, n: int, unit: int) -> list[tuple[int, int]]:
    """Dư nợ giảm dần, trả đều: a level payment, of which interest on the balance
    and the rest principal; the last instalment clears the balance."""
    payment = annuity_payment(p, r, n, unit)
    parts: list[tuple[int, int]] = []
    balance = p
    for k in range(1, n + 1):
        interest = round_to_unit(balance * r, unit)
        if k == n:
            principal = balance
        else:
            # The payment was rounded, so it may fall short of the interest (a tiny
            # loan at 1,000 VND) or overshoot the balance near the end: keep the
            # part between 0 and the balance, on the unit (only the last instalment
            # may leave the unit).
            principal = min(max(payment - interest, 0), floor_to_unit(balance, unit))
        parts.append((principal, interest))
        balance -= principal
    return parts


def _interest_only(p: int, r: Decimal, n: int, unit: int) -> list[tuple[int, int]]:
    """Lãi hằng tháng, gốc cuối kỳ: the month's interest on the whole principal,
    the principal at the end."""
    interest = round_to_unit(p * r, unit)
    return [(0, interest)] * (n - 1) + [(p, interest)]
