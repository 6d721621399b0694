"""Reporting counts PAR30, the outstanding principal and the borrowers in SQL, for
speed (`queries/finance.py`); the rule is `ishc_contracts.loans` (and
`domain.finance.borrowers`). Here both count the same random loans (late, short,
prepaid, settled, written off, paid in several allocations) at many dates,
including the 30th and 31st days after due dates, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from ishc_contracts import finance_events as fe
from ishc_contracts import parse_event
from ishc_contracts.loans import Allocation, Instalment, LoanPosition, par30
from ishc_platform.db import Database
from ishc_reporting.domain.finance import borrowers
from ishc_reporting.domain.indicators import default_period_start
from ishc_reporting.queries.finance import borrowers_by_club, portfolios_by_club
from ishc_reporting.queries.scope import Scope
from tests.reporting.conftest import Finance, Registry, feeder, finance_feeder

START = date(2024, 1, 1)


def random_book(registry: Registry, finance: Finance, seed: int) -> dict[str, date | None]:
    """Clubs, members (some leave) and loans with every kind of repayment history.
    Returns when each member left (None: still a member)."""
    rng = random.Random(seed)
    left: dict[str, date | None] = {}
    clubs: dict[str, list[str]] = {}
    funds: dict[str, str] = {}
    provinces: dict[str, str] = {}
    for commune in ("29623", "29410", "28756", "25195"):
        province = "86" if commune != "25195" else "75"
        club = registry.club(commune, date(2018, 1, 1))
        provinces[club] = province
        members = registry.members(club, province, 8, joined_on=date(2019, 1, 1))
        for member in members:
            left[member] = None
            if rng.random() < 0.2:
                left[member] = START + timedelta(days=rng.randrange(1000))
                registry.leave(member, club, province, left[member])  # type: ignore[arg-type]
        clubs[club] = members
        funds[club] = finance.fund(club, province, "income", date(2019, 1, 1))
        finance.fund(club, province, "activity", date(2019, 1, 1))
    for _ in range(70):
        club = rng.choice(list(clubs))
        province = provinces[club]
        member = rng.choice(clubs[club])
        disbursed = START + timedelta(days=rng.randrange(1000))
        n = rng.choice([1, 3, 6, 12])
        principal = rng.randrange(10, 200) * 100_000
        loan = finance.lend(
            funds[club], club, province, member, principal, disbursed, n, rng.choice([0, 9_000])
        )
        schedule = finance.loans[loan].schedule
        ended = False
        for instalment in schedule:
            roll = rng.random()
            if roll < 0.55:
                on = instalment.due_on
            elif roll < 0.75:
                on = instalment.due_on + timedelta(days=rng.randrange(1, 90))
            elif roll < 0.85:  # short: part of the interest or of the principal
                short_interest = rng.random() < 0.5 and instalment.interest_vnd > 0
                finance.repay(
                    loan,
                    instalment.due_on,
                    [
                        (
                            instalment.number,
                            instalment.principal_vnd
                            if short_interest
                            else instalment.principal_vnd // 2,
                            instalment.interest_vnd // 2
                            if short_interest
                            else instalment.interest_vnd,
                        )
                    ],
                )
                continue
            else:
                continue  # unpaid
            if rng.random() < 0.08:  # settled early: the rest of the principal at once
                rest = [
                    (i.number, i.principal_vnd, i.interest_vnd if i is instalment else 0)
                    for i in schedule
                    if i.number >= instalment.number
                ]
                finance.repay(loan, on, rest, settles=True)
                ended = True
                break
            finance.repay(
                loan, on, [(instalment.number, instalment.principal_vnd, instalment.interest_vnd)]
            )
        if not ended and rng.random() < 0.07:
            finance.write_off(loan, disbursed + timedelta(days=rng.randrange(60, 500)), principal)
    return left


def positions(log: list[dict[str, Any]]) -> dict[str, tuple[str, str, LoanPosition]]:
    """Each loan as `ishc_contracts.loans` sees it, from the same events: (club, member, loan)."""
    loans: dict[str, dict[str, Any]] = defaultdict(lambda: {"allocations": []})
    for raw in log:
        p = parse_event(raw).payload
        if isinstance(p, fe.LoanDisbursed):
            loans[p.loan_id].update(
                club=p.club_id,
                member=p.member_id,
                principal=p.principal_vnd,
                disbursed_on=p.disbursed_on,
                schedule=[
                    Instalment(i.number, i.due_on, i.principal_vnd, i.interest_vnd)
                    for i in p.schedule
                ],
            )
        elif isinstance(p, fe.RepaymentReceived):
            loans[p.loan_id]["allocations"] += [
                Allocation(a.number, p.paid_on, a.principal_vnd, a.interest_vnd)
                for a in p.allocations
            ]
            if p.settles_loan:
                loans[p.loan_id]["closed_on"] = p.paid_on
        elif isinstance(p, fe.LoanWrittenOff):
            loans[p.loan_id]["written_off_on"] = p.written_off_on
    return {
        loan_id: (
            v["club"],
            v["member"],
            LoanPosition(
                principal_vnd=v["principal"],
                disbursed_on=v["disbursed_on"],
                schedule=v["schedule"],
                allocations=tuple(v["allocations"]),
                closed_on=v.get("closed_on"),
                written_off_on=v.get("written_off_on"),
            ),
        )
        for loan_id, v in loans.items()
    }


async def test_the_sql_counts_as_the_contract_rule_does(
    reporting_db: Database, registry: Registry, finance: Finance
) -> None:
    left = random_book(registry, finance, seed=2026)
    await feeder(reporting_db).apply_log(registry.log)
    await finance_feeder(reporting_db).apply_log(finance.log)
    loans = positions(finance.log)
    rng = random.Random(1)
    dates = [date(2023, 12, 31), date(2024, 6, 30), date(2025, 1, 1), date(2026, 11, 30)]
    dates += [START + timedelta(days=rng.randrange(1100)) for _ in range(12)]
    for _club, _member, loan in rng.sample(list(loans.values()), 6):
        due = loan.schedule[0].due_on
        dates += [due + timedelta(days=30), due + timedelta(days=31)]
    at_risk_seen = 0
    async with reporting_db.sessions() as session:
        for on in dates:
            by_club: dict[str, list[tuple[str, LoanPosition]]] = defaultdict(list)
            for club, member, loan in loans.values():
                by_club[club].append((member, loan))
            sql = await portfolios_by_club(session, on, Scope(None, None))
            expected = {}
            for club, held in by_club.items():
                rule = par30((loan for _, loan in held), on)
                if rule.outstanding_vnd:
                    expected[club] = rule
            assert {c: p for c, (p, _n) in sql.items()} == expected, on
            at_risk_seen += sum(p.loans_at_risk for p in expected.values())

            window = default_period_start(on)
            counted = await borrowers_by_club(session, on, window, Scope(None, None))
            members_on = {m for m, gone in left.items() if gone is None or gone > on}
            rule_borrowers = {
                club: borrowers(((m, loan) for m, loan in held if m in members_on), on, window)
                for club, held in by_club.items()
            }
            assert counted == {c: n for c, n in rule_borrowers.items() if n}, on
    assert at_risk_seen > 0  # the dates did find loans at risk
