"""Double entry (bút toán kép), per fund.

Each posting is a list of lines, debit positive and credit negative, and the lines
of each fund sum to zero: a club's two funds (quỹ tăng thu nhập, quỹ hoạt động)
are kept apart, so interest earned by the income fund's loans is posted straight
to the activity fund, never as a transfer between them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Account(StrEnum):
    CASH = "cash"  # tiền mặt: what can be lent or spent
    GOODS_IN_KIND = "goods_in_kind"  # hiện vật: a gift of rice, a cow; not lendable
    LOANS_RECEIVABLE = "loans_receivable"  # dư nợ gốc cho vay
    CONTRIBUTIONS = "contributions"  # đóng góp, tài trợ bằng tiền
    CONTRIBUTIONS_IN_KIND = "contributions_in_kind"  # đóng góp bằng hiện vật
    INTEREST_INCOME = "interest_income"  # thu lãi
    FEE_INCOME = "fee_income"  # hội phí
    EXPENSES = "expenses"  # chi hoạt động
    WRITE_OFFS = "write_offs"  # xóa nợ
    RECOVERIES = "recoveries"  # thu hồi nợ đã xóa


@dataclass(frozen=True)
class Line:
    """One line of a posting: debit positive, credit negative."""

    fund_id: str
    account: Account
    amount_vnd: int


def _pair(fund_id: str, debit: Account, credit: Account, amount_vnd: int) -> list[Line]:
    if amount_vnd < 0:
        raise ValueError(f"a posting amount cannot be negative ({amount_vnd} VND)")
    if amount_vnd == 0:
        return []  # a zero line says nothing
    return [Line(fund_id, debit, amount_vnd), Line(fund_id, credit, -amount_vnd)]


def contribution(fund_id: str, amount_vnd: int, in_kind: bool = False) -> list[Line]:
    """A donation or other contribution. In kind it is goods, never cash: a gift of
    rice cannot be lent or spent as money."""
    if in_kind:
        return _pair(fund_id, Account.GOODS_IN_KIND, Account.CONTRIBUTIONS_IN_KIND, amount_vnd)
    return _pair(fund_id, Account.CASH, Account.CONTRIBUTIONS, amount_vnd)


def disbursement(income_fund_id: str, principal_vnd: int) -> list[Line]:
    """A loan paid out of the income fund's cash (giải ngân)."""
    return _pair(income_fund_id, Account.LOANS_RECEIVABLE, Account.CASH, principal_vnd)


def repayment(
    income_fund_id: str, activity_fund_id: str, principal_vnd: int, interest_vnd: int
) -> list[Line]:
    """A repayment: the principal back into the income fund, the interest into the
    activity fund (all interest goes to the club's activities)."""
    return _pair(income_fund_id, Account.CASH, Account.LOANS_RECEIVABLE, principal_vnd) + _pair(
        activity_fund_id, Account.CASH, Account.INTEREST_INCOME, interest_vnd
    )


def write_off(income_fund_id: str, principal_vnd: int) -> list[Line]:
    """Unpaid principal recognised as lost (xóa nợ)."""
    return _pair(income_fund_id, Account.WRITE_OFFS, Account.LOANS_RECEIVABLE, principal_vnd)


def recovery(income_fund_id: str, amount_vnd: int) -> list[Line]:
    """Money received on a written-off loan."""
    return _pair(income_fund_id, Account.CASH, Account.RECOVERIES, amount_vnd)


def fee(activity_fund_id: str, amount_vnd: int) -> list[Line]:
    """A member's monthly fee (hội phí)."""
    return _pair(activity_fund_id, Account.CASH, Account.FEE_INCOME, amount_vnd)


def expense(activity_fund_id: str, amount_vnd: int) -> list[Line]:
    """Money spent on an activity."""
    return _pair(activity_fund_id, Account.EXPENSES, Account.CASH, amount_vnd)


def reversal(lines: Iterable[Line]) -> list[Line]:
    """The entry that undoes `lines` (the original stays in the ledger)."""
    return [Line(line.fund_id, line.account, -line.amount_vnd) for line in lines]


def check_balanced(lines: Iterable[Line]) -> None:
    """Refuse lines whose debits and credits differ within any fund."""
    totals: dict[str, int] = defaultdict(int)
    for line in lines:
        totals[line.fund_id] += line.amount_vnd
    unbalanced = {fund: total for fund, total in totals.items() if total != 0}
    if unbalanced:
        raise ValueError(f"the posting does not balance within its funds: {unbalanced}")


def balances(lines: Iterable[Line]) -> dict[Account, int]:
    """The balance of every account over `lines` (debit positive), 0 where none."""
    totals = dict.fromkeys(Account, 0)
    for line in lines:
        totals[line.account] += line.amount_vnd
    return totals


def cash_movements(
    postings: Iterable[tuple[date, Sequence[Line]]], fund_id: str
) -> list[tuple[date, int]]:
    """A fund's cash movements (+ in, − out) from dated postings."""
    return [
        (on, line.amount_vnd)
        for on, lines in postings
        for line in lines
        if line.fund_id == fund_id and line.account == Account.CASH
    ]


def cash_on(movements: Iterable[tuple[date, int]], on: date) -> int:
    """The cash balance at the end of `on`."""
    return sum(amount for day, amount in movements if day <= on)


def cash_headroom(movements: Sequence[tuple[date, int]], on: date) -> int:
    """The most an outflow dated `on` may take without the fund's cash going below
    zero on `on` or any later date (an entry may be backdated before later ones):
    the least running balance over `on` and every later movement date. Negative
    when the fund is already short."""
    days = sorted({on, *(day for day, _ in movements if day > on)})
    ordered = sorted(movements)
    running = index = 0
    lows: list[int] = []
    for day in days:
        while index < len(ordered) and ordered[index][0] <= day:
            running += ordered[index][1]
            index += 1
        lows.append(running)
    return min(lows)
