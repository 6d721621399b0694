"""Repayments (trả nợ) and early settlement (tất toán trước hạn).

A repayment pays the oldest instalment first, its interest before its principal, and
may pay ahead into instalments not yet due. An early settlement pays all the unpaid
principal, and interest: on a declining-balance loan only up to the settlement date,
on a flat or interest-only loan the whole interest of the schedule still unpaid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ishc_contracts.finance_events import InterestMethod
from ishc_contracts.loans import Allocation, Instalment, LoanPosition
from ishc_finance.domain.money import round_to_unit
from ishc_platform.validation import FieldError

DECLINING_METHODS = frozenset(
    {InterestMethod.DECLINING_EQUAL_PRINCIPAL, InterestMethod.DECLINING_EQUAL_INSTALMENTS}
)
"""Methods whose interest runs on the balance: settling early stops it."""


@dataclass(frozen=True)
class Unpaid:
    """What is still unpaid of one instalment."""

    instalment: Instalment
    principal_vnd: int
    interest_vnd: int

    @property
    def amount_vnd(self) -> int:
        return self.principal_vnd + self.interest_vnd


def unpaid(schedule: Sequence[Instalment], allocations: Sequence[Allocation]) -> list[Unpaid]:
    """Each instalment with what is still unpaid of it, oldest first."""
    paid: dict[int, tuple[int, int]] = {}
    for a in allocations:
        p, i = paid.get(a.number, (0, 0))
        paid[a.number] = (p + a.principal_vnd, i + a.interest_vnd)
    rows = []
    for instalment in sorted(schedule, key=lambda s: (s.due_on, s.number)):
        p, i = paid.get(instalment.number, (0, 0))
        rows.append(
            Unpaid(
                instalment,
                max(instalment.principal_vnd - p, 0),
                max(instalment.interest_vnd - i, 0),
            )
        )
    return rows


def owed(schedule: Sequence[Instalment], allocations: Sequence[Allocation]) -> int:
    """The whole scheduled amount still unpaid, due or not."""
    return sum(row.amount_vnd for row in unpaid(schedule, allocations))


def principal_owed(schedule: Sequence[Instalment], allocations: Sequence[Allocation]) -> int:
    """The unpaid principal (dư nợ gốc), due or not."""
    return sum(row.principal_vnd for row in unpaid(schedule, allocations))


def allocate(
    schedule: Sequence[Instalment],
    allocations: Sequence[Allocation],
    *,
    amount_vnd: int,
    paid_on: date,
) -> list[Allocation]:
    """How a repayment of `amount_vnd` pays the schedule, given what earlier
    allocations paid: oldest instalment first, interest before principal."""
    if amount_vnd <= 0:
        raise FieldError("amount_vnd", "amount_vnd must be more than 0 VND")
    total = owed(schedule, allocations)
    if amount_vnd > total:
        raise FieldError(
            "amount_vnd",
            f"amount_vnd {amount_vnd} is more than the {total} VND owed",
            owed_vnd=total,
        )
    left = amount_vnd
    result: list[Allocation] = []
    for row in unpaid(schedule, allocations):
        if left == 0:
            break
        interest = min(row.interest_vnd, left)
        left -= interest
        principal = min(row.principal_vnd, left)
        left -= principal
        if principal or interest:
            result.append(Allocation(row.instalment.number, paid_on, principal, interest))
    return result


@dataclass(frozen=True)
class Settlement:
    """What settles a loan early on `on`, spread onto instalment numbers."""

    on: date
    principal_vnd: int
    interest_vnd: int
    allocations: list[Allocation]

    @property
    def amount_vnd(self) -> int:
        return self.principal_vnd + self.interest_vnd


def accrued_interest(
    outstanding_vnd: int,
    monthly_rate: Decimal,
    *,
    period_start: date,
    period_end: date,
    on: date,
    rounding_unit_vnd: int,
) -> int:
    """Interest on `outstanding_vnd` from `period_start` to `on`, pro rata the days
    of the instalment period [period_start, period_end] (lãi tính đến ngày tất toán)."""
    days = (period_end - period_start).days
    elapsed = (on - period_start).days
    if days <= 0 or elapsed <= 0:
        return 0
    elapsed = min(elapsed, days)
    return round_to_unit(
        Decimal(outstanding_vnd) * Decimal(monthly_rate) * elapsed / days, rounding_unit_vnd
    )


def settlement(
    *,
    schedule: Sequence[Instalment],
    allocations: Sequence[Allocation],
    method: InterestMethod,
    monthly_rate: Decimal,
    disbursed_on: date,
    rounding_unit_vnd: int,
    on: date,
) -> Settlement:
    """What settles the loan early on `on`.

    All the unpaid principal; for the declining methods the unpaid interest of the
    instalments due on or before `on` plus the interest accrued since the last due
    date (or the disbursement) on the outstanding principal, pro rata the days of
    the current instalment period; for flat and interest-only loans all the unpaid
    scheduled interest. The interest beyond this is forgiven. Nothing owed gives a
    settlement of 0 VND: whether that is a mistake is the caller's to say."""
    if on < disbursed_on:
        raise FieldError(
            "paid_on", f"{on.isoformat()} is before the loan was disbursed ({disbursed_on})"
        )
    rows = unpaid(schedule, allocations)
    interest_by_number: dict[int, int] = {}
    if method in DECLINING_METHODS:
        previous_due = disbursed_on
        for row in rows:
            if row.instalment.due_on <= on:
                interest_by_number[row.instalment.number] = row.interest_vnd
                previous_due = row.instalment.due_on
                continue
            # The current period: interest runs on the whole outstanding principal
            # (overdue parts included) until today, less what was already paid of
            # this instalment's interest, and never more than the schedule asked
            # for it: settling early never costs more than keeping the loan.
            outstanding = sum(r.principal_vnd for r in rows)
            accrued = accrued_interest(
                outstanding,
                monthly_rate,
                period_start=previous_due,
                period_end=row.instalment.due_on,
                on=on,
                rounding_unit_vnd=rounding_unit_vnd,
            )
            already_paid = row.instalment.interest_vnd - row.interest_vnd
            interest_by_number[row.instalment.number] = min(
                max(accrued - already_paid, 0), row.interest_vnd
            )
            break
    else:
        interest_by_number = {row.instalment.number: row.interest_vnd for row in rows}
    result: list[Allocation] = []
    for row in rows:
        number = row.instalment.number
        interest = interest_by_number.get(number, 0)
        if row.principal_vnd or interest:
            result.append(Allocation(number, on, row.principal_vnd, interest))
    return Settlement(
        on=on,
        principal_vnd=sum(a.principal_vnd for a in result),
        interest_vnd=sum(a.interest_vnd for a in result),
        allocations=result,
    )


def loan_position(
    *,
    principal_vnd: int,
    disbursed_on: date,
    schedule: Sequence[Instalment],
    allocations: Sequence[Allocation] = (),
    closed_on: date | None = None,
    written_off_on: date | None = None,
) -> LoanPosition:
    """The shared view of a loan (`ishc_contracts.loans`) for arrears and PAR30."""
    return LoanPosition(
        principal_vnd=principal_vnd,
        disbursed_on=disbursed_on,
        schedule=tuple(schedule),
        allocations=tuple(allocations),
        closed_on=closed_on,
        written_off_on=written_off_on,
    )
