"""Reading the finance facts: every club's funds, borrowers, portfolio, cash and
incomes as of a date, and the activity areas its loans, repayments and
contributions stand for, set-wise. Eight grouped statements whatever the number
of clubs and loans; nothing is read loan by loan, and no member id leaves the
database (borrowers are counted there).

PAR30 and the outstanding principal are computed in SQL, for speed at a
province's or the nation's scale, following `ishc_contracts.loans`
(`in_portfolio`, `outstanding_principal`, `arrears`, `par30`) with two dates the
projection derives when it writes (`adapters/finance_facts.py`): the day a
loan's principal was paid off (`repaid_on`) and the day each instalment was
settled (`settled_on`), so a past date reads only the loans then outstanding
and compares dates instead of summing every repayment ever made. The tests
check that both give the same figures on the same loans
(tests/reporting/integration/test_finance_sql_rule.py). Change one, change both.
Cash and incomes add the sums by month (`MoneyMonth`) of the whole months to
the facts of the rest, so their cost follows the clubs and months, not the fees.

No access checks here: callers pass the scope they may read.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, distinct, func, literal, or_, union
from sqlalchemy import select as select_columns
from sqlalchemy.sql.selectable import CTE
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts.finance_events import FundKind
from ishc_contracts.loans import PAR_DAYS, PortfolioAtRisk
from ishc_reporting.domain.finance import (
    NO_PORTFOLIO,
    ClubFinance,
    FlowKind,
    FundTotals,
    cash_balance,
    in_kind_value,
)
from ishc_reporting.domain.indicators import Proxy, area_of, twelve_months_start
from ishc_reporting.models import (
    PRINCIPAL_REPAID,
    AllocationFact,
    FundFact,
    InstalmentFact,
    LoanFact,
    MemberFact,
    MoneyFlow,
    MoneyMonth,
)
from ishc_reporting.queries.scope import Scope, count_if, fetch_rows

_CONTRIBUTIONS = (FlowKind.CONTRIBUTION.value, FlowKind.CONTRIBUTION_IN_KIND.value)


async def club_finance(
    session: AsyncSession, *, as_of: date, period_start: date, areas_since: date, scope: Scope
) -> tuple[dict[str, ClubFinance], dict[str, frozenset[str]]]:
    """Each club's finance facts on `as_of` (interest and fee income over
    `period_start`..`as_of`; borrowers over the last 12 months), and the
    activity areas its loans, repayments and contributions of
    `areas_since`..`as_of` stand for (the last 12 months, not the period).
    Clubs without any finance fact are left out."""
    funds = await _funds(session, as_of, scope)
    portfolios = await portfolios_by_club(session, as_of, scope)
    borrowers = await borrowers_by_club(session, as_of, twelve_months_start(as_of), scope)
    sums = await _money(session, as_of, period_start, scope)
    areas = await _areas(session, as_of, areas_since, scope)
    lent = await _lent(session, as_of, scope)

    clubs = funds.keys() | portfolios.keys() | borrowers.keys() | sums.keys() | lent.keys()
    result: dict[str, ClubFinance] = {}
    for club_id in clubs:
        kinds = funds.get(club_id, set())
        totals, in_period = sums.get(club_id, ({}, {}))
        money = FundTotals(
            flows={k: v for k, v in totals.items() if k != PRINCIPAL_REPAID},
            principal_repaid_vnd=totals.get(PRINCIPAL_REPAID, 0),
            disbursed_vnd=lent.get(club_id, 0),
        )
        portfolio, loans_outstanding = portfolios.get(club_id, (NO_PORTFOLIO, 0))
        result[club_id] = ClubFinance(
            income_fund=FundKind.INCOME.value in kinds,
            activity_fund=FundKind.ACTIVITY.value in kinds,
            borrowers=borrowers.get(club_id, 0),
            balance_vnd=cash_balance(money),
            in_kind_vnd=in_kind_value(money),
            portfolio=portfolio,
            loans_outstanding=loans_outstanding,
            interest_income_vnd=in_period.get(FlowKind.INTEREST.value, 0),
            fee_income_vnd=in_period.get(FlowKind.FEE.value, 0),
        )
    return result, areas


async def _funds(session: AsyncSession, as_of: date, scope: Scope) -> dict[str, set[str]]:
    """The kinds of fund each club had opened by the date."""
    found = await fetch_rows(
        session,
        select_columns(col(FundFact.club_id), col(FundFact.kind))
        .where(col(FundFact.opened_on) <= as_of, *scope.club_column(FundFact.club_id))
        .distinct(),
    )
    kinds: dict[str, set[str]] = defaultdict(set)
    for club_id, kind in found:
        kinds[club_id].add(kind)
    return kinds


# -- the portfolio -------------------------------------------------------------------


def _portfolio(as_of: date, scope: Scope) -> CTE:
    """`in_portfolio`: loans disbursed by the date, neither settled nor written
    off by then (a row without its disbursement yet is no loan), whose
    repayments had not paid all their principal by then (`repaid_on`): exactly
    the loans with principal outstanding on the date, which `par30` counts. (A
    loan repaid beyond its principal, which the finance service never
    allocates, is out from the day it was paid off, where `par30` would count a
    negative balance.)"""
    return (
        select_columns(
            col(LoanFact.loan_id).label("loan_id"),
            col(LoanFact.club_id).label("club_id"),
            col(LoanFact.principal).label("principal"),
        )
        .where(
            col(LoanFact.principal).is_not(None),
            col(LoanFact.disbursed_on) <= as_of,
            or_(col(LoanFact.closed_on).is_(None), col(LoanFact.closed_on) > as_of),
            or_(col(LoanFact.written_off_on).is_(None), col(LoanFact.written_off_on) > as_of),
            or_(col(LoanFact.repaid_on).is_(None), col(LoanFact.repaid_on) > as_of),
            *scope.club_column(LoanFact.club_id),
        )
        .cte("portfolio")
    )


async def portfolios_by_club(
    session: AsyncSession, as_of: date, scope: Scope
) -> dict[str, tuple[PortfolioAtRisk, int]]:
    """Each club's `ishc_contracts.loans.par30` on the date, and its loans with
    principal outstanding, in one statement.

    - `outstanding_principal`: the principal less what the allocations paid of it by the date;
    - `arrears(loan).at_risk` is "days late > PAR_DAYS", days late counting from
      the oldest instalment due before the date and not paid in full (interest
      and principal) by then: so a loan is at risk when an instalment due more
      than PAR_DAYS days before the date was not settled by the date
      (`settled_on`). Then its whole outstanding principal is at risk."""
    portfolio = _portfolio(as_of, scope)
    a, i = AllocationFact, InstalmentFact
    repaid = (
        select_columns(
            col(a.loan_id).label("loan_id"), func.sum(col(a.principal)).label("principal")
        )
        .join(portfolio, portfolio.c.loan_id == col(a.loan_id))
        .where(col(a.paid_on) <= as_of)
        .group_by(col(a.loan_id))
        .cte("repaid")
    )
    late = (
        select_columns(col(i.loan_id).label("loan_id"))
        .join(portfolio, portfolio.c.loan_id == col(i.loan_id))
        .where(
            col(i.due_on) < as_of - timedelta(days=PAR_DAYS),
            or_(col(i.settled_on).is_(None), col(i.settled_on) > as_of),
        )
        .distinct()
        .cte("late")
    )
    balance = portfolio.c.principal - func.coalesce(repaid.c.principal, 0)
    at_risk = late.c.loan_id.is_not(None)
    statement = (
        select_columns(
            portfolio.c.club_id,
            func.sum(balance),
            func.sum(case((at_risk, balance), else_=0)),
            count_if(at_risk),
            func.count(),
        )
        .select_from(
            portfolio.outerjoin(repaid, repaid.c.loan_id == portfolio.c.loan_id).outerjoin(
                late, late.c.loan_id == portfolio.c.loan_id
            )
        )
        .group_by(portfolio.c.club_id)
    )
    return {
        club_id: (
            PortfolioAtRisk(
                at_risk_vnd=int(risky or 0),
                outstanding_vnd=int(outstanding or 0),
                loans_at_risk=int(late_loans or 0),
            ),
            int(loans),
        )
        for club_id, outstanding, risky, late_loans, loans in await fetch_rows(session, statement)
    }


async def borrowers_by_club(
    session: AsyncSession, as_of: date, window_start: date, scope: Scope
) -> dict[str, int]:
    """`domain.finance.borrowers` per club: members on the date (of the club they
    are members of) with a loan outstanding then, or disbursed on or after
    `window_start` (`twelve_months_start(as_of)` for the indicator); each once,
    whatever their number of loans."""
    outstanding = select_columns(_portfolio(as_of, scope).c.loan_id)
    statement = (
        select_columns(col(MemberFact.club_id), func.count(distinct(col(LoanFact.member_id))))
        .join(MemberFact, col(MemberFact.member_id) == col(LoanFact.member_id))
        .where(
            col(LoanFact.principal).is_not(None),
            col(LoanFact.disbursed_on) <= as_of,
            or_(
                col(LoanFact.disbursed_on) >= window_start,
                col(LoanFact.loan_id).in_(outstanding),
            ),
            col(MemberFact.joined_on) <= as_of,
            or_(col(MemberFact.left_on).is_(None), col(MemberFact.left_on) > as_of),
            *scope.members(),
            *scope.club_column(LoanFact.club_id),
        )
        .group_by(col(MemberFact.club_id))
    )
    return {club_id: int(n) for club_id, n in await fetch_rows(session, statement)}


# -- money -------------------------------------------------------------------------


Sums = dict[str, tuple[dict[str, int], dict[str, int]]]


async def _money(session: AsyncSession, as_of: date, period_start: date, scope: Scope) -> Sums:
    """Per club and kind (reversals in the kind they reverse, and the principal
    repaid): the net up to the date, and the net over the period. The whole
    months come from the sums by month (`MoneyMonth`), the rest (the date's own
    month up to the date, and the period's first month when it starts after the
    1st) from the facts: three statements, whose cost follows the clubs and the
    months, not every fee ever paid."""
    this_month = as_of.replace(day=1)
    whole_from = period_start if period_start.day == 1 else _next_month(period_start)
    mm, f, a = MoneyMonth, MoneyFlow, AllocationFact
    sums: Sums = {}

    def add(club_id: str, kind: str, total: Any, in_period: Any) -> None:
        up_to, period = sums.setdefault(club_id, ({}, {}))
        up_to[kind] = up_to.get(kind, 0) + int(total or 0)
        period[kind] = period.get(kind, 0) + int(in_period or 0)

    for row in await fetch_rows(
        session,
        select_columns(
            col(mm.club_id),
            col(mm.counts_as),
            func.sum(col(mm.amount)),
            func.sum(case((col(mm.month) >= whole_from, col(mm.amount)), else_=0)),
        )
        .where(col(mm.month) < this_month, *scope.club_column(mm.club_id))
        .group_by(col(mm.club_id), col(mm.counts_as)),
    ):
        add(*row)
    on = col(f.booked_on)
    parts = [on >= this_month]  # the date's month up to the date
    if whole_from > period_start:  # and the period's first month, from its start
        parts.append(and_(on >= period_start, on < whole_from))
    for row in await fetch_rows(
        session,
        select_columns(
            col(f.club_id),
            col(f.counts_as),
            func.sum(case((on >= this_month, col(f.amount)), else_=0)),
            func.sum(case((on >= period_start, col(f.amount)), else_=0)),
        )
        .where(
            on <= as_of,
            or_(*parts),
            *scope.club_column(f.club_id),
        )
        .group_by(col(f.club_id), col(f.counts_as)),
    ):
        add(*row)
    for club_id, repaid in await fetch_rows(
        session,
        select_columns(col(a.club_id), func.sum(col(a.principal)))
        .where(
            col(a.paid_on) >= this_month,
            col(a.paid_on) <= as_of,
            *scope.club_column(a.club_id),
        )
        .group_by(col(a.club_id)),
    ):
        add(club_id, PRINCIPAL_REPAID, repaid, 0)
    return sums


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


async def _areas(
    session: AsyncSession, as_of: date, since: date, scope: Scope
) -> dict[str, frozenset[str]]:
    """The areas each club's finance events of `since`..`as_of` stand for, in
    one statement (each club with each proxy it has, once): a loan disbursed, a
    repayment received (what it paid of an instalment, `allocation_fact`) and a
    contribution in cash or in kind not reversed by the date (one reversed was
    recorded in error)."""
    loan, paid, flow = LoanFact, AllocationFact, MoneyFlow
    reversed_by_then = (
        select_columns(col(MoneyFlow.reversed_id))
        .where(col(MoneyFlow.reversed_id).is_not(None), col(MoneyFlow.booked_on) <= as_of)
        .correlate(None)  # the reversals, not the contribution's own row
    )
    sources = [
        (
            Proxy.LOAN_DISBURSED,
            col(loan.club_id),
            col(loan.disbursed_on),
            [col(loan.principal).is_not(None)],  # a row without its disbursement is no loan
        ),
        (Proxy.REPAYMENT_RECEIVED, col(paid.club_id), col(paid.paid_on), []),
        (
            Proxy.CONTRIBUTION,
            col(flow.club_id),
            col(flow.booked_on),
            [col(flow.kind).in_(_CONTRIBUTIONS), col(flow.ref_id).not_in(reversed_by_then)],
        ),
    ]
    found = union(
        *(
            select_columns(club.label("club_id"), literal(proxy.value).label("proxy")).where(
                day >= since, day <= as_of, *conditions, *scope.club_column(club)
            )
            for proxy, club, day, conditions in sources
        )
    ).subquery("evidence")
    areas: dict[str, set[str]] = defaultdict(set)
    for club_id, proxy in await fetch_rows(session, select_columns(found.c.club_id, found.c.proxy)):
        areas[club_id].add(area_of(Proxy(proxy)).value)
    return {k: frozenset(v) for k, v in areas.items()}


async def _lent(session: AsyncSession, as_of: date, scope: Scope) -> dict[str, int]:
    """The principal each club had lent by the date."""
    found = await fetch_rows(
        session,
        select_columns(col(LoanFact.club_id), func.sum(col(LoanFact.principal)))
        .where(
            col(LoanFact.principal).is_not(None),
            col(LoanFact.disbursed_on) <= as_of,
            *scope.club_column(LoanFact.club_id),
        )
        .group_by(col(LoanFact.club_id)),
    )
    return {club_id: int(total or 0) for club_id, total in found}
