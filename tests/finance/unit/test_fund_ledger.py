"""Double entry per fund: the postings, cash headroom, and a model of a club's two
funds driven by any sequence of valid operations (unit: no I/O)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ishc_contracts.finance_events import InterestMethod
from ishc_contracts.loans import Allocation, Instalment
from ishc_finance.domain import ledger
from ishc_finance.domain.ledger import Account, Line
from ishc_finance.domain.repayments import allocate, owed, principal_owed
from ishc_finance.domain.schedules import schedule

INCOME, ACTIVITY = "fund-income", "fund-activity"  # quỹ tăng thu nhập, quỹ hoạt động
A = Account


def test_a_cash_contribution() -> None:
    assert ledger.contribution(INCOME, 5_000_000, in_kind=False) == [
        Line(INCOME, A.CASH, 5_000_000),
        Line(INCOME, A.CONTRIBUTIONS, -5_000_000),
    ]


def test_a_gift_in_kind_is_never_cash() -> None:
    lines = ledger.contribution(ACTIVITY, 800_000, in_kind=True)
    assert lines == [
        Line(ACTIVITY, A.GOODS_IN_KIND, 800_000),
        Line(ACTIVITY, A.CONTRIBUTIONS_IN_KIND, -800_000),
    ]
    assert ledger.balances(lines)[A.CASH] == 0


def test_a_disbursement_and_a_repayment_whose_interest_goes_to_the_activity_fund() -> None:
    assert ledger.disbursement(INCOME, 3_000_000) == [
        Line(INCOME, A.LOANS_RECEIVABLE, 3_000_000),
        Line(INCOME, A.CASH, -3_000_000),
    ]
    assert ledger.repayment(INCOME, ACTIVITY, 1_000_000, 30_000) == [
        Line(INCOME, A.CASH, 1_000_000),
        Line(INCOME, A.LOANS_RECEIVABLE, -1_000_000),
        Line(ACTIVITY, A.CASH, 30_000),
        Line(ACTIVITY, A.INTEREST_INCOME, -30_000),
    ]


def test_a_repayment_omits_its_zero_lines() -> None:
    assert ledger.repayment(INCOME, ACTIVITY, 0, 30_000) == [
        Line(ACTIVITY, A.CASH, 30_000),
        Line(ACTIVITY, A.INTEREST_INCOME, -30_000),
    ]
    assert ledger.repayment(INCOME, ACTIVITY, 1_000, 0) == [
        Line(INCOME, A.CASH, 1_000),
        Line(INCOME, A.LOANS_RECEIVABLE, -1_000),
    ]


def test_write_off_recovery_fee_expense() -> None:
    assert ledger.write_off(INCOME, 2_000_000) == [
        Line(INCOME, A.WRITE_OFFS, 2_000_000),
        Line(INCOME, A.LOANS_RECEIVABLE, -2_000_000),
    ]
    assert ledger.recovery(INCOME, 500_000) == [
        Line(INCOME, A.CASH, 500_000),
        Line(INCOME, A.RECOVERIES, -500_000),
    ]
    assert ledger.fee(ACTIVITY, 3_000) == [
        Line(ACTIVITY, A.CASH, 3_000),
        Line(ACTIVITY, A.FEE_INCOME, -3_000),
    ]
    assert ledger.expense(ACTIVITY, 200_000) == [
        Line(ACTIVITY, A.EXPENSES, 200_000),
        Line(ACTIVITY, A.CASH, -200_000),
    ]


def test_a_reversal_negates_each_line() -> None:
    original = ledger.expense(ACTIVITY, 200_000)
    undone = ledger.reversal(original)
    assert undone == [Line(ACTIVITY, A.EXPENSES, -200_000), Line(ACTIVITY, A.CASH, 200_000)]
    assert set(ledger.balances(original + undone).values()) == {0}


def test_a_negative_amount_is_refused() -> None:
    with pytest.raises(ValueError):
        ledger.fee(ACTIVITY, -1)


def test_balanced_per_fund_not_just_overall() -> None:
    ledger.check_balanced(ledger.repayment(INCOME, ACTIVITY, 1_000_000, 30_000))
    # Balanced overall, but the income fund's interest would land in the activity fund.
    crossed = [
        Line(INCOME, A.CASH, 30_000),
        Line(ACTIVITY, A.INTEREST_INCOME, -30_000),
    ]
    with pytest.raises(ValueError, match="fund-income"):
        ledger.check_balanced(crossed)


def test_balances_name_every_account() -> None:
    totals = ledger.balances(ledger.fee(ACTIVITY, 3_000))
    assert set(totals) == set(Account)
    assert totals[A.CASH] == 3_000 and totals[A.FEE_INCOME] == -3_000
    assert totals[A.EXPENSES] == 0


D = date(2025, 3, 1)


def test_cash_headroom_looks_at_later_dates() -> None:
    movements = [
        (D, 5_000_000),  # a contribution
        (D + timedelta(days=10), -4_000_000),  # a loan
        (D + timedelta(days=20), 1_000_000),  # a repayment
    ]
    assert ledger.cash_headroom(movements, D - timedelta(days=1)) == 0
    # On 01/03 there are 5,000,000, but 4,000,000 of it leaves on 11/03: a backdated
    # outflow of more than 1,000,000 would leave the fund short on 11/03.
    assert ledger.cash_headroom(movements, D) == 1_000_000
    assert ledger.cash_headroom(movements, D + timedelta(days=10)) == 1_000_000
    assert ledger.cash_headroom(movements, D + timedelta(days=20)) == 2_000_000
    assert ledger.cash_headroom([], D) == 0


def test_cash_headroom_counts_the_whole_day() -> None:
    # An inflow and an outflow the same day: the balance that day is what counts.
    movements = [
        (D, 1_000_000),
        (D + timedelta(days=1), 600_000),
        (D + timedelta(days=1), -900_000),
    ]
    assert ledger.cash_headroom(movements, D) == 700_000
    assert ledger.cash_on(movements, D) == 1_000_000
    assert ledger.cash_on(movements, D + timedelta(days=1)) == 700_000


def test_cash_movements_of_a_fund() -> None:
    postings = [
        (D, ledger.contribution(INCOME, 1_000)),
        (D, ledger.contribution(INCOME, 9_000, in_kind=True)),
        (D, ledger.repayment(INCOME, ACTIVITY, 300, 20)),
    ]
    assert ledger.cash_movements(postings, INCOME) == [(D, 1_000), (D, 300)]
    assert ledger.cash_movements(postings, ACTIVITY) == [(D, 20)]


# ---- a model of a club's two funds -------------------------------------------------

START = date(2024, 1, 1)
DAYS = 500


@dataclass
class ModelLoan:
    disbursed_on: date
    principal: int
    instalments: list[Instalment]
    allocations: list[Allocation] = field(default_factory=list)
    written_off_on: date | None = None
    written_off: int = 0
    recoveries: list[tuple[date, int]] = field(default_factory=list)

    @property
    def last_activity(self) -> date:
        return max([self.disbursed_on, *(a.paid_on for a in self.allocations)])

    def outstanding(self, on: date) -> int:
        """Unpaid principal on `on`, from the model (not the ledger)."""
        if self.disbursed_on > on:
            return 0
        repaid = sum(a.principal_vnd for a in self.allocations if a.paid_on <= on)
        lost = self.written_off if self.written_off_on and self.written_off_on <= on else 0
        return self.principal - repaid - lost


@dataclass
class Reversible:
    on: date
    kind: str  # contribution, contribution_in_kind, fee, expense
    fund_id: str
    amount: int
    lines: list[Line]
    reversed: bool = False


FLOWS = ("contributions", "interest", "fees", "expenses", "write_offs", "recoveries")


class TwoFunds(RuleBasedStateMachine):
    """Operations the service would accept, applied with the ledger's builders."""

    def __init__(self) -> None:
        super().__init__()
        self.postings: list[tuple[date, list[Line]]] = []
        self.loans: list[ModelLoan] = []
        self.reversible: list[Reversible] = []
        # Signed flows by date, kept apart from the ledger to check it against.
        self.flows: list[tuple[date, str, int]] = []

    # helpers

    def post(self, on: date, lines: list[Line]) -> None:
        ledger.check_balanced(lines)
        self.postings.append((on, lines))

    def headroom(self, fund_id: str, on: date) -> int:
        return ledger.cash_headroom(ledger.cash_movements(self.postings, fund_id), on)

    def day(self, data: st.DataObject, after: date = START) -> date:
        offset = (after - START).days
        return after + timedelta(days=data.draw(st.integers(0, DAYS - offset)))

    def outflow_day(self, data: st.DataObject, fund_id: str) -> date:
        """A date for an outflow, mostly on or after a day cash came in (a random
        date in an empty fund would only be refused)."""
        inflows = [on for on, amount in ledger.cash_movements(self.postings, fund_id) if amount > 0]
        mostly = data.draw(st.integers(0, 3)) > 0
        if inflows and mostly:
            return self.day(data, data.draw(st.sampled_from(sorted(inflows))))
        return self.day(data)

    # operations

    @rule(
        fund_id=st.sampled_from([INCOME, ACTIVITY]),
        amount=st.integers(1, 20_000_000),
        in_kind=st.booleans(),
        data=st.data(),
    )
    def contribute(self, fund_id: str, amount: int, in_kind: bool, data: st.DataObject) -> None:
        on = self.day(data)
        lines = ledger.contribution(fund_id, amount, in_kind=in_kind)
        self.post(on, lines)
        kind = "contribution_in_kind" if in_kind else "contribution"
        self.reversible.append(Reversible(on, kind, fund_id, amount, lines))
        if not in_kind:
            self.flows.append((on, "contributions", amount))

    @rule(
        data=st.data(),
        months=st.integers(1, 18),
        method=st.sampled_from(InterestMethod),
        rate=st.decimals(Decimal("0.006"), Decimal("0.010"), places=3),
        unit=st.sampled_from((1, 1000)),
    )
    def disburse(
        self, data: st.DataObject, months: int, method: InterestMethod, rate: Decimal, unit: int
    ) -> None:
        on = self.outflow_day(data, INCOME)
        room = self.headroom(INCOME, on)
        if room <= 0:
            return  # the service would refuse any loan on that date
        principal = data.draw(st.integers(1, room))
        instalments = schedule(
            principal_vnd=principal,
            monthly_rate=rate,
            term_months=months,
            method=method,
            disbursed_on=on,
            rounding_unit_vnd=unit,
        )
        self.post(on, ledger.disbursement(INCOME, principal))
        self.loans.append(ModelLoan(on, principal, instalments))

    def open_loans(self) -> list[ModelLoan]:
        return [
            loan
            for loan in self.loans
            if loan.written_off_on is None and owed(loan.instalments, loan.allocations) > 0
        ]

    @precondition(lambda self: bool(self.open_loans()))
    @rule(data=st.data())
    def repay(self, data: st.DataObject) -> None:
        loan = data.draw(st.sampled_from(self.open_loans()))
        on = self.day(data, loan.disbursed_on)
        amount = data.draw(st.integers(1, owed(loan.instalments, loan.allocations)))
        paid = allocate(loan.instalments, loan.allocations, amount_vnd=amount, paid_on=on)
        principal = sum(a.principal_vnd for a in paid)
        interest = sum(a.interest_vnd for a in paid)
        assert principal + interest == amount
        self.post(on, ledger.repayment(INCOME, ACTIVITY, principal, interest))
        loan.allocations += paid
        self.flows.append((on, "interest", interest))

    @precondition(
        lambda self: any(principal_owed(x.instalments, x.allocations) for x in self.open_loans())
    )
    @rule(data=st.data())
    def write_off(self, data: st.DataObject) -> None:
        candidates = [
            x for x in self.open_loans() if principal_owed(x.instalments, x.allocations) > 0
        ]
        loan = data.draw(st.sampled_from(candidates))
        on = self.day(data, loan.last_activity)
        principal = principal_owed(loan.instalments, loan.allocations)
        self.post(on, ledger.write_off(INCOME, principal))
        loan.written_off_on, loan.written_off = on, principal
        self.flows.append((on, "write_offs", principal))

    def recoverable(self) -> list[ModelLoan]:
        return [
            x
            for x in self.loans
            if x.written_off_on and sum(a for _, a in x.recoveries) < x.written_off
        ]

    @precondition(lambda self: bool(self.recoverable()))
    @rule(data=st.data())
    def recover(self, data: st.DataObject) -> None:
        loan = data.draw(st.sampled_from(self.recoverable()))
        assert loan.written_off_on is not None
        on = self.day(data, loan.written_off_on)
        left = loan.written_off - sum(a for _, a in loan.recoveries)
        amount = data.draw(st.integers(1, left))
        self.post(on, ledger.recovery(INCOME, amount))
        loan.recoveries.append((on, amount))
        self.flows.append((on, "recoveries", amount))

    @rule(amount=st.integers(2000, 5000), data=st.data())
    def pay_fee(self, amount: int, data: st.DataObject) -> None:
        on = self.day(data)
        lines = ledger.fee(ACTIVITY, amount)
        self.post(on, lines)
        self.reversible.append(Reversible(on, "fee", ACTIVITY, amount, lines))
        self.flows.append((on, "fees", amount))

    @rule(data=st.data())
    def spend(self, data: st.DataObject) -> None:
        on = self.outflow_day(data, ACTIVITY)
        room = self.headroom(ACTIVITY, on)
        if room <= 0:
            return  # an expense larger than the fund's cash is refused
        amount = data.draw(st.integers(1, room))
        lines = ledger.expense(ACTIVITY, amount)
        self.post(on, lines)
        self.reversible.append(Reversible(on, "expense", ACTIVITY, amount, lines))
        self.flows.append((on, "expenses", amount))

    @precondition(lambda self: any(not r.reversed for r in self.reversible))
    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        entry = data.draw(st.sampled_from([r for r in self.reversible if not r.reversed]))
        on = self.day(data, entry.on)
        undone = ledger.reversal(entry.lines)
        cash_out = -sum(x.amount_vnd for x in undone if x.account == A.CASH)
        if cash_out > 0 and cash_out > self.headroom(entry.fund_id, on):
            return  # the money was lent or spent: the correction is refused
        self.post(on, undone)
        entry.reversed = True
        flow = {"contribution": "contributions", "fee": "fees", "expense": "expenses"}
        if entry.kind in flow:
            self.flows.append((on, flow[entry.kind], -entry.amount))

    # what must hold

    def dates(self) -> list[date]:
        return sorted({on for on, _ in self.postings})

    def lines_on(self, on: date) -> list[Line]:
        return [line for day, lines in self.postings if day <= on for line in lines]

    @invariant()
    def every_fund_balances_as_of_any_date(self) -> None:
        for on in self.dates():
            ledger.check_balanced(self.lines_on(on))

    @invariant()
    def no_cash_goes_negative_on_any_date(self) -> None:
        for fund_id in (INCOME, ACTIVITY):
            by_day: dict[date, int] = defaultdict(int)
            for on, amount in ledger.cash_movements(self.postings, fund_id):
                by_day[on] += amount
            running = 0
            for on in sorted(by_day):
                running += by_day[on]
                assert running >= 0, f"{fund_id} short by {-running} VND on {on}"

    @invariant()
    def cash_and_loans_are_what_came_in_less_what_went_out(self) -> None:
        for on in self.dates():
            totals = ledger.balances(self.lines_on(on))
            outstanding = sum(loan.outstanding(on) for loan in self.loans)
            flows = dict.fromkeys(FLOWS, 0)
            for day, name, amount in self.flows:
                if day <= on:
                    flows[name] += amount
            assert totals[A.LOANS_RECEIVABLE] == outstanding
            assert totals[A.CASH] + outstanding == (
                flows["contributions"]
                + flows["interest"]
                + flows["fees"]
                - flows["expenses"]
                - flows["write_offs"]
                + flows["recoveries"]
            )
            # Gifts in kind sit beside the cash, never in it.
            assert totals[A.GOODS_IN_KIND] == -totals[A.CONTRIBUTIONS_IN_KIND] >= 0


TwoFunds.TestCase.settings = settings(max_examples=80, stateful_step_count=40, deadline=None)
test_two_funds = TwoFunds.TestCase
