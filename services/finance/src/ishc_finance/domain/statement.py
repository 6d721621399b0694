"""A fund's public statement (công khai tài chính) over a period, on a cash basis.

What came in and went out, entry by entry, with the running cash balance. It names
no member: a note is a contribution's source or an expense's area, never a person.
Gifts in kind are listed at their value, beside the cash (they are not cash and do
not move the balance).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from ishc_platform.validation import FieldError


class EntryKind(StrEnum):
    CONTRIBUTION = "contribution"
    CONTRIBUTION_IN_KIND = "contribution_in_kind"
    LOAN_DISBURSED = "loan_disbursed"
    REPAYMENT_PRINCIPAL = "repayment_principal"
    INTEREST = "interest"
    FEE = "fee"
    EXPENSE = "expense"
    WRITE_OFF = "write_off"
    RECOVERY = "recovery"
    REVERSAL = "reversal"


@dataclass(frozen=True)
class CashMovement:
    """One movement of a fund: `amount_vnd` signed, + in and − out. `order` keeps
    the movements of one day in a stable order (e.g. the ledger's sequence).
    A movement in kind (`in_kind`, or of kind contribution_in_kind) moves no cash."""

    on: date
    kind: str
    reference_id: str
    amount_vnd: int
    note: str | None = None
    order: int = 0
    in_kind: bool = False

    @property
    def is_in_kind(self) -> bool:
        return self.in_kind or self.kind == EntryKind.CONTRIBUTION_IN_KIND


@dataclass(frozen=True)
class StatementEntry:
    on: date
    kind: str
    reference_id: str
    inflow_vnd: int
    outflow_vnd: int
    balance_vnd: int  # the running cash balance after this entry
    note: str | None  # a source or an area; never a member's name or id
    in_kind_vnd: int = 0  # the value of goods in kind (signed), outside the cash


@dataclass(frozen=True)
class Statement:
    fund_id: str
    date_from: date
    date_to: date
    opening_balance_vnd: int
    entries: list[StatementEntry]
    total_inflow_vnd: int
    total_outflow_vnd: int
    closing_balance_vnd: int
    total_in_kind_vnd: int = 0


def build_statement(
    fund_id: str, movements: Sequence[CashMovement], date_from: date, date_to: date
) -> Statement:
    """The statement of `fund_id` from `date_from` to `date_to`, both included."""
    if date_to < date_from:
        raise FieldError(
            "date_to", f"date_to {date_to.isoformat()} is before date_from {date_from.isoformat()}"
        )
    opening = sum(m.amount_vnd for m in movements if m.on < date_from and not m.is_in_kind)
    balance = opening
    inflow = outflow = in_kind = 0
    entries: list[StatementEntry] = []
    in_period = (m for m in movements if date_from <= m.on <= date_to)
    for m in sorted(in_period, key=lambda m: (m.on, m.order, m.reference_id)):
        if m.is_in_kind:
            in_kind += m.amount_vnd
            entries.append(
                StatementEntry(m.on, m.kind, m.reference_id, 0, 0, balance, m.note, m.amount_vnd)
            )
            continue
        entry_in = max(m.amount_vnd, 0)
        entry_out = max(-m.amount_vnd, 0)
        balance += m.amount_vnd
        inflow += entry_in
        outflow += entry_out
        entries.append(
            StatementEntry(m.on, m.kind, m.reference_id, entry_in, entry_out, balance, m.note)
        )
    return Statement(
        fund_id=fund_id,
        date_from=date_from,
        date_to=date_to,
        opening_balance_vnd=opening,
        entries=entries,
        total_inflow_vnd=inflow,
        total_outflow_vnd=outflow,
        closing_balance_vnd=opening + inflow - outflow,
        total_in_kind_vnd=in_kind,
    )
