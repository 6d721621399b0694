"""Writing the finance facts: the statements behind reporting's `ishc.finance` handler.

A batch of events becomes rows per table, written set-wise (one statement per
table and batch, whatever the number of events; fees alone come by the
thousand). Every fact is inserted once (`projection_store.insert_new`): a
re-sent event, which has another envelope id and so passes the inbox, changes
nothing. Facts are keyed by their own ids, so events of different aggregates
may arrive in any order and converge:

- a loan's row is made by whichever of its disbursement, settlement or
  write-off comes first, and each sets only its own columns; the days its
  repayments had paid off its principal (`repaid_on`) and each instalment
  (`settled_on`) are worked out again from its allocations whenever they or its
  disbursement arrive;
- what a repayment paid is kept per instalment with the loan's and the club's
  ids, not under the loan's row, so it may precede the disbursement;
- a reversal is a flow of its own that negates the one it undoes; it counts in
  that flow's kind (`counts_as`), set again once a gift in kind it reverses is
  stored, whichever came first.

What a fact moves is added to its club's month (`MoneyMonth`) when the fact is
first inserted (never for a fact already there), and moved between kinds when a
reversal's kind is set again: the sums by month always equal the facts'.

Runs inside the inbox consumer's transaction, which commits.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import case, func, update
from sqlalchemy import select as select_columns
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts import finance_events as fe
from ishc_reporting.adapters.projection_store import insert_new, insert_rows_postgres
from ishc_reporting.domain.finance import FlowKind, reversal_amount, signed_amount
from ishc_reporting.models import (
    PRINCIPAL_REPAID,
    AllocationFact,
    FundFact,
    InstalmentFact,
    LoanFact,
    MoneyFlow,
    MoneyMonth,
)

_REVERSED = {
    fe.ReversedKind.CONTRIBUTION: FlowKind.CONTRIBUTION,
    fe.ReversedKind.FEE: FlowKind.FEE,
    fe.ReversedKind.EXPENSE: FlowKind.EXPENSE,
}
# A loan's columns by the event that sets them (the rest of the row is the same in each).
_LOAN_CONCERNS = {
    "disbursed": ("member_id", "principal", "disbursed_on"),
    "settled": ("closed_on",),
    "written_off": ("written_off_on", "written_off_vnd"),
}


@dataclass
class FinanceBatch:
    """The rows a batch of finance events adds, by table (keyed, so a fact sent
    twice in one batch is written once)."""

    funds: dict[str, dict[str, Any]] = field(default_factory=dict)
    loans: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {concern: {} for concern in _LOAN_CONCERNS}
    )
    instalments: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    allocations: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    flows: dict[str, dict[str, Any]] = field(default_factory=dict)

    def fund_opened(self, p: fe.FundOpened) -> None:
        self.funds[p.fund_id] = {
            "fund_id": p.fund_id,
            "club_id": p.club_id,
            "kind": p.kind.value,
            "opened_on": p.opened_on,
        }

    def loan_disbursed(self, p: fe.LoanDisbursed) -> None:
        self._loan(
            "disbursed",
            p.loan_id,
            p.club_id,
            p.fund_id,
            member_id=p.member_id,
            principal=p.principal_vnd,
            disbursed_on=p.disbursed_on,
        )
        for instalment in p.schedule:
            self.instalments[(p.loan_id, instalment.number)] = {
                "loan_id": p.loan_id,
                "number": instalment.number,
                "due_on": instalment.due_on,
                "principal": instalment.principal_vnd,
                "interest": instalment.interest_vnd,
            }

    def repayment_received(self, p: fe.RepaymentReceived) -> None:
        for allocation in p.allocations:
            self.allocations[(p.repayment_id, allocation.number)] = {
                "repayment_id": p.repayment_id,
                "number": allocation.number,
                "loan_id": p.loan_id,
                "club_id": p.club_id,
                "paid_on": p.paid_on,
                "principal": allocation.principal_vnd,
                "interest": allocation.interest_vnd,
            }
        if p.interest_vnd:
            # The interest goes to the club's activity fund; the principal back to
            # the income fund is what the allocations say.
            self._flow(
                p.repayment_id, p.activity_fund_id, p.club_id, FlowKind.INTEREST,
                p.interest_vnd, p.paid_on,
            )  # fmt: skip
        if p.settles_loan:
            self._loan("settled", p.loan_id, p.club_id, p.fund_id, closed_on=p.paid_on)

    def loan_written_off(self, p: fe.LoanWrittenOff) -> None:
        self._loan(
            "written_off",
            p.loan_id,
            p.club_id,
            p.fund_id,
            written_off_on=p.written_off_on,
            written_off_vnd=p.principal_vnd,
        )

    def loan_recovered(self, p: fe.LoanRecovered) -> None:
        self._flow(
            p.recovery_id, p.fund_id, p.club_id, FlowKind.RECOVERY, p.amount_vnd, p.recovered_on
        )

    def contribution_received(self, p: fe.ContributionReceived) -> None:
        kind = FlowKind.CONTRIBUTION_IN_KIND if p.in_kind else FlowKind.CONTRIBUTION
        self._flow(p.contribution_id, p.fund_id, p.club_id, kind, p.amount_vnd, p.received_on)

    def fee_paid(self, p: fe.FeePaid) -> None:
        # The member who paid is not kept: no indicator needs it.
        self._flow(p.fee_id, p.fund_id, p.club_id, FlowKind.FEE, p.amount_vnd, p.paid_on)

    def expense_recorded(self, p: fe.ExpenseRecorded) -> None:
        self._flow(
            p.expense_id, p.fund_id, p.club_id, FlowKind.EXPENSE, p.amount_vnd, p.spent_on,
            area=p.area.value,
        )  # fmt: skip

    def entry_reversed(self, p: fe.EntryReversed) -> None:
        reversed_kind = _REVERSED[p.kind]
        self.flows[p.reversal_id] = {
            "ref_id": p.reversal_id,
            "fund_id": p.fund_id,
            "club_id": p.club_id,
            "kind": FlowKind.REVERSAL.value,
            "counts_as": reversed_kind.value,  # of a gift in kind: `_reversals_in_kind`
            "amount": reversal_amount(reversed_kind, p.amount_vnd),
            "booked_on": p.reversed_on,
            "area": None,
            "reversed_id": p.reversed_id,
        }

    def _flow(
        self,
        ref_id: str,
        fund_id: str,
        club_id: str,
        kind: FlowKind,
        amount_vnd: int,
        on: Any,
        area: str | None = None,
    ) -> None:
        self.flows[ref_id] = {
            "ref_id": ref_id,
            "fund_id": fund_id,
            "club_id": club_id,
            "kind": kind.value,
            "counts_as": kind.value,
            "amount": signed_amount(kind, amount_vnd),
            "booked_on": on,
            "area": area,
            "reversed_id": None,
        }

    def _loan(self, concern: str, loan_id: str, club_id: str, fund_id: str, **values: Any) -> None:
        self.loans[concern][loan_id] = {
            "loan_id": loan_id,
            "club_id": club_id,
            "fund_id": fund_id,
            **values,
        }

    async def write(self, session: AsyncSession) -> None:
        await insert_new(session, FundFact, list(self.funds.values()))
        for concern, rows in self.loans.items():
            await _upsert_loans(session, concern, list(rows.values()))
        await insert_new(session, InstalmentFact, list(self.instalments.values()))
        months: Counter[tuple[str, str, date]] = Counter()
        for club_id, paid_on, principal in await insert_new(
            session,
            AllocationFact,
            list(self.allocations.values()),
            returning=("club_id", "paid_on", "principal"),
        ):
            months[(club_id, PRINCIPAL_REPAID, paid_on.replace(day=1))] += principal
        for club_id, counts_as, booked_on, amount in await insert_new(
            session,
            MoneyFlow,
            list(self.flows.values()),
            returning=("club_id", "counts_as", "booked_on", "amount"),
        ):
            months[(club_id, counts_as, booked_on.replace(day=1))] += amount
        for club_id, booked_on, amount in await _reversals_in_kind(session):
            month = booked_on.replace(day=1)
            months[(club_id, FlowKind.CONTRIBUTION.value, month)] -= amount
            months[(club_id, FlowKind.CONTRIBUTION_IN_KIND.value, month)] += amount
        await _add_to_months(session, months)
        touched = self.loans["disbursed"].keys() | {a["loan_id"] for a in self.allocations.values()}
        await _paid_off(session, touched)


async def _upsert_loans(session: AsyncSession, concern: str, rows: list[dict[str, Any]]) -> None:
    """A loan's row, made by whichever of its events comes first; each event sets
    only its own columns (a fact, the same however often it is sent)."""
    if not rows:
        return
    columns = _LOAN_CONCERNS[concern]
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        assignments = ", ".join(f"{name} = excluded.{name}" for name in columns)
        on_conflict = f"ON CONFLICT (loan_id) DO UPDATE SET {assignments}"
        loans = LoanFact.__table__  # type: ignore[attr-defined]
        await insert_rows_postgres(connection, loans, rows, on_conflict=on_conflict)
        return
    statement = sqlite_insert(LoanFact).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["loan_id"],
        set_={name: statement.excluded[name] for name in columns},
    )
    await connection.execute(statement)


async def _paid_off(session: AsyncSession, loan_ids: set[str]) -> None:
    """For each loan, the first day by which its repayments had paid all its
    principal (`repaid_on`), and for each of its instalments the first day by
    which they had paid it in full (`settled_on`); None while some is unpaid.
    Allocations never pay a negative amount, so what was paid by a date only
    grows: "paid by D" is then "paid off on or before D"."""
    if not loan_ids:
        return
    ids = sorted(loan_ids)
    allocations = AllocationFact.__table__  # type: ignore[attr-defined]
    loans = LoanFact.__table__  # type: ignore[attr-defined]
    instalments = InstalmentFact.__table__  # type: ignore[attr-defined]
    a1, a2 = allocations.alias("a1"), allocations.alias("a2")

    principal_by_then = (
        select_columns(func.sum(a2.c.principal))
        .where(a2.c.loan_id == a1.c.loan_id, a2.c.paid_on <= a1.c.paid_on)
        .scalar_subquery()
    )
    repaid_on = (
        select_columns(func.min(a1.c.paid_on))
        .where(a1.c.loan_id == loans.c.loan_id, principal_by_then >= loans.c.principal)
        .scalar_subquery()
    )
    amount = instalments.c.principal + instalments.c.interest
    paid_by_then = (
        select_columns(func.sum(a2.c.principal + a2.c.interest))
        .where(
            a2.c.loan_id == a1.c.loan_id,
            a2.c.number == a1.c.number,
            a2.c.paid_on <= a1.c.paid_on,
        )
        .scalar_subquery()
    )
    settled_on = (
        select_columns(func.min(a1.c.paid_on))
        .where(
            a1.c.loan_id == instalments.c.loan_id,
            a1.c.number == instalments.c.number,
            paid_by_then >= amount,
        )
        .scalar_subquery()
    )
    connection = await session.connection()
    await connection.execute(
        update(loans).where(loans.c.loan_id.in_(ids)).values(repaid_on=repaid_on)
    )
    await connection.execute(
        update(instalments)
        .where(instalments.c.loan_id.in_(ids))
        # an instalment of nothing is never late
        .values(settled_on=case((amount <= 0, instalments.c.due_on), else_=settled_on))
    )


async def _add_to_months(session: AsyncSession, months: Counter[tuple[str, str, date]]) -> None:
    """Add each amount to its club's month and kind (one statement per batch)."""
    rows = [
        {"club_id": club_id, "counts_as": kind, "month": month, "amount": amount}
        for (club_id, kind, month), amount in months.items()
        if amount
    ]
    if not rows:
        return
    table = MoneyMonth.__table__  # type: ignore[attr-defined]
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        on_conflict = (
            "ON CONFLICT (club_id, counts_as, month)"
            f" DO UPDATE SET amount = {table.name}.amount + excluded.amount"
        )
        await insert_rows_postgres(connection, table, rows, on_conflict=on_conflict)
        return
    statement = sqlite_insert(table).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["club_id", "counts_as", "month"],
        set_={"amount": table.c.amount + statement.excluded.amount},
    )
    await connection.execute(statement)


async def _reversals_in_kind(session: AsyncSession) -> list[Any]:
    """A reversal of a gift in kind counts against the gifts in kind, not the
    cash: set so for every reversal whose gift is known by now, whichever came
    first. Every batch looks at all the reversals still counted as cash (there
    are few), not only its own, so that a reversal and its gift applied at the
    same moment by two replicas, neither seeing the other's, are set right by
    the next batch. Returns (club, date, amount) of the reversals changed, to
    move their amounts in the sums by month."""
    gifts = aliased(MoneyFlow)
    connection = await session.connection()
    changed = await connection.execute(
        update(MoneyFlow)
        .where(
            col(MoneyFlow.kind) == FlowKind.REVERSAL,
            col(MoneyFlow.counts_as) == FlowKind.CONTRIBUTION,
            col(MoneyFlow.reversed_id).in_(
                select(gifts.ref_id).where(gifts.kind == FlowKind.CONTRIBUTION_IN_KIND)
            ),
        )
        .values(counts_as=FlowKind.CONTRIBUTION_IN_KIND.value)
        .returning(col(MoneyFlow.club_id), col(MoneyFlow.booked_on), col(MoneyFlow.amount))
    )
    return list(changed.all())
