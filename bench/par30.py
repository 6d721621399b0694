"""PAR30 for a province as of a past date, against a raw SQL aggregate in the same run.

Seeding (timed only to print it): reporting's database for Vĩnh Long (86),
`--clubs` clubs over its current communes (placed as bench/reporting.py places
them), ~55 members each (fact rows written set-wise, as bench/reporting.py
does), and five years of finance history per club applied through reporting's
real `ishc.finance` handler: the events are built as the finance service builds
them (schedules, allocations and early settlements by `ishc_finance.domain`),
then handed in batches to `InboxConsumer.apply`, the function the consumer calls
for each batch it reads (the inbox, then `apply_finance_events`); so the facts
and what the projection derives from them (`repaid_on`, `settled_on`,
`money_month`) are what production builds. (Events are passed as objects, not
as JSON through Redis: the envelope's `data` is left empty, which nothing on
this path reads.) Per club: both funds; ~60 loans over the five years, under
the four interest methods, 6 to 24 monthly instalments: 80% repaid on time
(or a few days late), 8% every instalment 10 to 90 days late, 4% short every
month then caught up, 5% settled early, 3% that stop paying (70% of those
written off some months later, some partly recovered); every member's monthly
fee, a monthly contribution, a gift in kind twice a year, expenses, and a few
reversals. Seeding runs in `--workers` processes on PostgreSQL (one on SQLite).

Timed: `GET /v1/indicators/provinces/86?as_of=<a year ago>` through the reporting
app in-process (TestClient, a province token, rate limiting off), `--repeat`
requests after a warm-up, p50 and p95, each followed by one run of the raw
baseline on its own connection (interleaved, so machine noise falls on both):
one SQL statement over the same facts that sums, per club, each loan's principal
less the principal its allocations had paid by the date (loans disbursed by
then, neither settled nor written off), and marks a loan at risk when one of its
instalments due more than 30 days before the date had not been paid in full by
then. It reads the raw facts only, not the dates the projection derives.

Checked, so that a wrong answer cannot be measured fast: the API's outstanding
and at-risk principal, loans outstanding and at risk equal the raw SQL's, its
PAR30 is the raw at-risk ÷ outstanding (in %, truncated to two decimals as every
share), and both equal `ishc_contracts.loans.par30` over the loans as generated.
Every timed answer must equal the first. The app's statements of one more
request are then timed one by one and the slowest printed (with `--explain N`,
on PostgreSQL, the N slowest and the raw one are run again under EXPLAIN
(ANALYZE, BUFFERS), printed and saved in `bench/out/`).

    uv run python -m bench.par30 --clubs 500 --database postgresql --explain 3
    uv run python -m bench.par30 --clubs 500 --database sqlite
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from multiprocessing import get_context
from pathlib import Path
from typing import Annotated, Any

import redis
import typer
from fastapi.testclient import TestClient
from pydantic import BaseModel
from redis.asyncio import Redis
from rich.progress import Progress
from sqlalchemy import Date, bindparam, event, insert, text
from sqlalchemy.engine import Engine

from bench.common import REDIS, drop, new_database
from ishc_contracts import Envelope, Event, known_event_types, new_event_id, payload_model
from ishc_contracts import finance_events as fe
from ishc_contracts.loans import PAR_DAYS, Allocation, Instalment, LoanPosition, par30
from ishc_contracts.registry_events import ActivityArea
from ishc_finance.domain.money import add_months
from ishc_finance.domain.repayments import allocate, settlement
from ishc_finance.domain.schedules import schedule
from ishc_platform import admin_units
from ishc_platform.admin_units import Boundary
from ishc_platform.auth import Role, issue_token
from ishc_platform.clock import today
from ishc_platform.consumer import InboxConsumer
from ishc_platform.db import Database, make_sync_engine
from ishc_platform.migrate import upgrade
from ishc_platform.settings import Settings
from ishc_reporting.app import create_app
from ishc_reporting.consumers import apply_finance_events
from ishc_reporting.models import ClubFact, ClubLocation, MemberFact

app = typer.Typer(add_completion=False)
SECRET = "b" * 48
PROVINCE = "86"  # Vĩnh Long
TOKEN = {
    "Authorization": "Bearer "
    + issue_token(SECRET, sub="bench", role=Role.PROVINCE, provinces=[PROVINCE])
}
FINANCE_TYPES = {
    payload_model(name): name for name in known_event_types() if name.startswith("ishc.finance.")
}
METHODS = list(fe.InterestMethod)
RATES = [Decimal("0.007"), Decimal("0.008"), Decimal("0.009")]
TERMS = [6, 9, 12, 12, 18, 24]
UNIT = 1000  # the clubs' rounding unit, VND
SOURCES = list(fe.ContributionSource)
AREAS = list(ActivityArea)
YEARS = 5


def quantile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def months_between(start: date, end: date) -> Iterator[date]:
    """The first day of each month from `start`'s to `end`'s."""
    month = start.replace(day=1)
    while month <= end:
        yield month
        month = add_months(month, 1)


# -- the history of a club's money ---------------------------------------------------


@dataclass
class History:
    """One club's finance events in date order, and its loans as `ishc_contracts.loans`
    sees them (for the expected PAR30)."""

    rng: random.Random
    club_id: str
    members: list[tuple[str, date | None]]  # (member, left on)
    start: date
    end: date
    income: str = field(default_factory=lambda: str(uuid.uuid4()))
    activity: str = field(default_factory=lambda: str(uuid.uuid4()))
    events: list[tuple[date, int, str, BaseModel]] = field(default_factory=list)
    loans: list[LoanPosition] = field(default_factory=list)
    written_off: int = 0

    def emit(self, on: date, subject: str, payload: BaseModel) -> None:
        if on <= self.end:
            self.events.append((on, len(self.events), subject, payload))

    def build(self) -> list[tuple[str, BaseModel]]:
        rng, club = self.rng, self.club_id
        for fund_id, kind in (
            (self.income, fe.FundKind.INCOME),
            (self.activity, fe.FundKind.ACTIVITY),
        ):
            self.emit(
                self.start,
                fund_id,
                fe.FundOpened(fund_id=fund_id, club_id=club, kind=kind, opened_on=self.start),
            )
        self.contribute(self.income, rng.randrange(100, 301) * 500_000, self.start)
        fee = rng.choice([3000, 4000, 5000])
        for month in months_between(self.start, self.end):
            self.fees(month, fee)
            self.contribute(self.income, rng.randrange(1, 11) * 500_000, month.replace(day=15))
            if month.month in (1, 7):
                self.contribute(
                    self.activity, rng.randrange(2, 11) * 500_000, month.replace(day=12), True
                )
            if rng.random() < 0.6:
                self.expense(rng.randrange(2, 31) * 50_000, month.replace(day=20))
        days = (self.end - self.start).days
        for on in sorted(
            self.start + timedelta(days=rng.randrange(days)) for _ in range(rng.randint(55, 65))
        ):
            borrowers = [m for m, left in self.members if left is None or left > on]
            self.lend(on, rng.choice(borrowers))
        self.events.sort(key=lambda e: (e[0], e[1]))
        return [(subject, payload) for _, _, subject, payload in self.events]

    # -- the funds --

    def contribute(self, fund_id: str, amount: int, on: date, in_kind: bool = False) -> None:
        self.emit(
            on,
            fund_id,
            fe.ContributionReceived(
                contribution_id=str(uuid.uuid4()),
                fund_id=fund_id,
                club_id=self.club_id,
                source=self.rng.choice(SOURCES),
                amount_vnd=amount,
                in_kind=in_kind,
                received_on=on,
            ),
        )

    def fees(self, month: date, amount: int) -> None:
        """Each member's fee for the month, paid on the 5th (7% skip a month); now
        and then one reversed ten days later."""
        paid_on = month.replace(day=5)
        for member_id, left in self.members:
            if (left is not None and left <= paid_on) or self.rng.random() < 0.07:
                continue
            fee_id = str(uuid.uuid4())
            self.emit(
                paid_on,
                self.activity,
                fe.FeePaid(
                    fee_id=fee_id,
                    fund_id=self.activity,
                    club_id=self.club_id,
                    member_id=member_id,
                    month=month,
                    paid_on=paid_on,
                    amount_vnd=amount,
                ),
            )
            if self.rng.random() < 0.001:
                self.reverse(fee_id, fe.ReversedKind.FEE, amount, paid_on + timedelta(days=10))

    def expense(self, amount: int, on: date) -> None:
        expense_id = str(uuid.uuid4())
        self.emit(
            on,
            self.activity,
            fe.ExpenseRecorded(
                expense_id=expense_id,
                fund_id=self.activity,
                club_id=self.club_id,
                area=self.rng.choice(AREAS),
                spent_on=on,
                amount_vnd=amount,
            ),
        )
        if self.rng.random() < 0.03:
            self.reverse(expense_id, fe.ReversedKind.EXPENSE, amount, on + timedelta(days=3))

    def reverse(self, reversed_id: str, kind: fe.ReversedKind, amount: int, on: date) -> None:
        self.emit(
            on,
            self.activity,
            fe.EntryReversed(
                reversal_id=str(uuid.uuid4()),
                reversed_id=reversed_id,
                kind=kind,
                fund_id=self.activity,
                club_id=self.club_id,
                reversed_on=on,
                amount_vnd=amount,
            ),
        )

    # -- the loans --

    def lend(self, on: date, member_id: str) -> None:
        rng = self.rng
        loan_id = str(uuid.uuid4())
        principal = rng.randrange(4, 41) * 500_000
        term = rng.choice(TERMS)
        method = rng.choice(METHODS)
        rate = rng.choice(RATES)
        plan = schedule(
            principal_vnd=principal,
            monthly_rate=rate,
            term_months=term,
            method=method,
            disbursed_on=on,
            rounding_unit_vnd=UNIT,
        )
        self.emit(
            on,
            loan_id,
            fe.LoanDisbursed(
                loan_id=loan_id,
                fund_id=self.income,
                club_id=self.club_id,
                member_id=member_id,
                principal_vnd=principal,
                monthly_rate=rate,
                term_months=term,
                method=method,
                disbursed_on=on,
                schedule=[
                    fe.InstalmentFacts(
                        number=i.number,
                        due_on=i.due_on,
                        principal_vnd=i.principal_vnd,
                        interest_vnd=i.interest_vnd,
                    )
                    for i in plan
                ],
            ),
        )
        loan = Loan(self, loan_id, plan)
        kind = rng.random()
        closed_on = written_off_on = None
        if kind < 0.80:  # on time, or within a few days
            for i in plan:
                loan.pay_instalment(i, i.due_on + timedelta(days=rng.choice([0, 0, 0, 2, 5])))
        elif kind < 0.88:  # every instalment paid the same number of days late
            lag = rng.choice([10, 20, 35, 45, 60, 90])
            for i in plan:
                loan.pay_instalment(i, i.due_on + timedelta(days=lag))
        elif kind < 0.92:  # short every month, then catches up after the last due date
            share = rng.uniform(0.6, 0.9)
            for i in plan:
                loan.pay(i.due_on, max(UNIT, round(i.amount_vnd * share / UNIT) * UNIT))
            for n in range(1, 4):
                loan.pay(add_months(plan[-1].due_on, n), -(-loan.owed() // (4 - n)))
        elif kind < 0.97:  # settles early
            paid = rng.randrange(1, term)
            for i in plan[:paid]:
                loan.pay_instalment(i, i.due_on)
            closed_on = plan[paid - 1].due_on + timedelta(days=rng.randrange(5, 25))
            if closed_on <= self.end:
                owed = settlement(
                    schedule=plan,
                    allocations=loan.allocations,
                    method=method,
                    monthly_rate=rate,
                    disbursed_on=on,
                    rounding_unit_vnd=UNIT,
                    on=closed_on,
                )
                loan.repayment(closed_on, owed.allocations, settles=True)
            else:
                closed_on = None
        else:  # stops paying; most are written off some months later
            paid = rng.randrange(0, max(1, term // 2))
            for i in plan[:paid]:
                loan.pay_instalment(i, i.due_on)
            written_off_on = plan[paid].due_on + timedelta(days=rng.randrange(120, 300))
            if rng.random() < 0.7 and written_off_on <= self.end:
                unpaid = principal - sum(a.principal_vnd for a in loan.allocations)
                self.emit(
                    written_off_on,
                    loan_id,
                    fe.LoanWrittenOff(
                        loan_id=loan_id,
                        fund_id=self.income,
                        club_id=self.club_id,
                        written_off_on=written_off_on,
                        principal_vnd=unpaid,
                    ),
                )
                self.written_off += 1
                if rng.random() < 0.4:
                    recovered_on = written_off_on + timedelta(days=rng.randrange(60, 200))
                    self.emit(
                        recovered_on,
                        loan_id,
                        fe.LoanRecovered(
                            recovery_id=str(uuid.uuid4()),
                            loan_id=loan_id,
                            fund_id=self.income,
                            club_id=self.club_id,
                            recovered_on=recovered_on,
                            amount_vnd=max(UNIT, unpaid // 3 // UNIT * UNIT),
                        ),
                    )
            else:
                written_off_on = None
        self.loans.append(
            LoanPosition(
                principal_vnd=principal,
                disbursed_on=on,
                schedule=tuple(plan),
                allocations=tuple(loan.allocations),
                closed_on=closed_on,
                written_off_on=written_off_on,
            )
        )


@dataclass
class Loan:
    history: History
    loan_id: str
    plan: list[Instalment]
    allocations: list[Allocation] = field(default_factory=list)

    def owed(self) -> int:
        return sum(i.amount_vnd for i in self.plan) - sum(
            a.principal_vnd + a.interest_vnd for a in self.allocations
        )

    def pay_instalment(self, instalment: Instalment, on: date) -> None:
        """One instalment in full, every earlier one being paid: what `allocate` gives."""
        if instalment.amount_vnd and on <= self.history.end:
            allocation = Allocation(
                instalment.number, on, instalment.principal_vnd, instalment.interest_vnd
            )
            self.repayment(on, [allocation])

    def pay(self, on: date, amount: int) -> None:
        """`amount` (no more than is owed), allocated by the finance service's rule."""
        amount = min(amount, self.owed())
        if amount > 0 and on <= self.history.end:
            self.repayment(on, allocate(self.plan, self.allocations, amount_vnd=amount, paid_on=on))

    def repayment(self, on: date, allocations: list[Allocation], settles: bool = False) -> None:
        h = self.history
        self.allocations.extend(allocations)
        principal = sum(a.principal_vnd for a in allocations)
        interest = sum(a.interest_vnd for a in allocations)
        h.emit(
            on,
            self.loan_id,
            fe.RepaymentReceived(
                repayment_id=str(uuid.uuid4()),
                loan_id=self.loan_id,
                fund_id=h.income,
                activity_fund_id=h.activity,
                club_id=h.club_id,
                paid_on=on,
                amount_vnd=principal + interest,
                principal_vnd=principal,
                interest_vnd=interest,
                allocations=[
                    fe.AllocationFacts(
                        number=a.number, principal_vnd=a.principal_vnd, interest_vnd=a.interest_vnd
                    )
                    for a in allocations
                ],
                settles_loan=settles,
            ),
        )


# -- seeding -----------------------------------------------------------------------------


@dataclass
class Seeded:
    """What a seeding worker applied, and `ishc_contracts.loans.par30` on the
    date over the loans it generated (sums: they add up across workers)."""

    events: int = 0
    loans: int = 0
    written_off: int = 0
    expected: Portfolio = field(default_factory=lambda: Portfolio(0, 0, 0, 0))

    def add(self, other: Seeded) -> None:
        self.events += other.events
        self.loans += other.loans
        self.written_off += other.written_off
        self.expected = self.expected + other.expected


def club_and_member_rows(
    clubs: int, rng: random.Random, start: date, end: date
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    communes = admin_units.communes_of_province(PROVINCE, Boundary.CURRENT)
    club_rows, locations, members = [], [], []
    for n in range(clubs):
        commune = communes[(n * 7919) % len(communes)]
        club_id = str(uuid.uuid4())
        founded = date(2016, 1, 1) + timedelta(days=rng.randrange(1500))
        club_rows.append(
            {"club_id": club_id, "province": PROVINCE, "name": f"CLB {n}",
             "commune_code": commune.code, "legacy_commune_code": None, "founded_on": founded,
             "placement_sequence": 1, "dissolved_on": None, "status_sequence": 1}
        )  # fmt: skip
        locations.append(
            {"club_id": club_id, "valid_from": founded, "commune_code": commune.code,
             "legacy_commune_code": None, "relocation": False, "sequence": 1}
        )  # fmt: skip
        for m in range(55 + rng.randrange(-5, 6)):
            left = rng.random() < 0.04
            members.append(
                {
                    "member_id": str(uuid.uuid4()),
                    "club_id": club_id,
                    "province": PROVINCE,
                    "sex": "female" if rng.random() < 0.65 else "male",
                    "birth_year": rng.randrange(1935, 2000),
                    "poverty_status": rng.choice(["poor", "near_poor", "none"]),
                    "is_volunteer": m < 6,
                    "joined_on": founded + timedelta(days=rng.randrange(400)),
                    "facts_sequence": 1,
                    "left_on": start + timedelta(days=rng.randrange((end - start).days))
                    if left
                    else None,
                    "status_sequence": 1 + left,
                }
            )
    return club_rows, locations, members


ClubToSeed = tuple[int, str, list[tuple[str, date | None]]]  # (index, club, its members)


def seed_clubs(
    url: str, clubs: list[ClubToSeed], batch: int, start: date, end: date, as_of: date
) -> Seeded:
    """A worker process: these clubs' histories, through the consumer's `apply`."""
    return asyncio.run(_seed_clubs(url, clubs, batch, start, end, as_of))


async def _seed_clubs(
    url: str, clubs: list[ClubToSeed], batch: int, start: date, end: date, as_of: date
) -> Seeded:
    db = Database(url)
    consumer = InboxConsumer(
        db,
        Redis(),  # never used: `apply` is the consumer's step after reading Redis
        stream=fe.STREAM,
        group="reporting",
        handler=apply_finance_events,
        batch_size=batch,
    )
    seeded = Seeded()
    loans: list[LoanPosition] = []
    pending: list[Event[BaseModel]] = []
    try:
        for index, club_id, members in clubs:
            # One generator per club, so the history does not depend on the workers.
            history = History(random.Random(f"par30-{index}"), club_id, members, start, end)
            sequences: dict[str, int] = defaultdict(int)
            now = datetime.now(UTC)
            for subject, payload in history.build():
                sequences[subject] += 1
                envelope = Envelope(
                    id=new_event_id(),
                    type=FINANCE_TYPES[type(payload)],
                    source="/ishc/finance",
                    time=now,
                    subject=subject,
                    sequence=sequences[subject],
                    province=PROVINCE,
                    data={},
                )
                pending.append(Event(envelope=envelope, payload=payload))
                if len(pending) >= batch:
                    seeded.events += await consumer.apply(pending)
                    pending = []
            loans += history.loans
            seeded.written_off += history.written_off
        if pending:
            seeded.events += await consumer.apply(pending)
    finally:
        await db.dispose()
    seeded.loans = len(loans)
    seeded.expected = expected_portfolio(loans, as_of)
    return seeded


def seed(url: str, clubs: int, batch: int, workers: int, as_of: date) -> Seeded:
    rng = random.Random(30)
    end = today()
    start = add_months(end.replace(day=1), -12 * YEARS)
    upgrade("reporting", url)
    club_rows, locations, members = club_and_member_rows(clubs, rng, start, end)
    engine = make_sync_engine(url)
    with engine.begin() as conn:
        conn.execute(insert(ClubFact), club_rows)
        conn.execute(insert(ClubLocation), locations)
        for n in range(0, len(members), 5000):
            conn.execute(insert(MemberFact), members[n : n + 5000])
    by_club: dict[str, list[tuple[str, date | None]]] = defaultdict(list)
    for m in members:
        by_club[m["club_id"]].append((m["member_id"], m["left_on"]))
    todo = [(n, c["club_id"], by_club[c["club_id"]]) for n, c in enumerate(club_rows)]
    chunks = [todo[n : n + 10] for n in range(0, len(todo), 10)]
    seeded = Seeded()
    with (
        Progress() as progress,
        ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool,
    ):
        task = progress.add_task("clubs' finance history", total=clubs)
        futures = {
            pool.submit(seed_clubs, url, chunk, batch, start, end, as_of): len(chunk)
            for chunk in chunks
        }
        for done in as_completed(futures):
            seeded.add(done.result())
            progress.advance(task, futures[done])
    with engine.connect() as conn:
        if url.startswith("postgresql"):
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
    engine.dispose()
    return seeded


# -- the raw baseline ----------------------------------------------------------------------

# Per club: each loan's principal less what its allocations had paid of it by the
# date (loans disbursed by then, neither settled nor written off by then, with
# principal left), and at risk when an instalment due more than 30 days before the
# date had not been paid in full (interest and principal) by then. Raw facts only.
RAW = text(
    """
WITH repaid AS (
    SELECT loan_id, sum(principal) AS principal
    FROM allocation_fact WHERE paid_on <= :on GROUP BY loan_id
), paid AS (
    SELECT loan_id, number, sum(principal + interest) AS amount
    FROM allocation_fact WHERE paid_on <= :on GROUP BY loan_id, number
), late AS (
    SELECT DISTINCT i.loan_id
    FROM instalment_fact i
    LEFT JOIN paid p ON p.loan_id = i.loan_id AND p.number = i.number
    WHERE i.due_on < :cutoff AND i.principal + i.interest > coalesce(p.amount, 0)
), book AS (
    SELECT l.loan_id, l.club_id, l.principal - coalesce(r.principal, 0) AS balance
    FROM loan_fact l
    JOIN club_fact c ON c.club_id = l.club_id
    LEFT JOIN repaid r ON r.loan_id = l.loan_id
    WHERE c.province = :province AND l.disbursed_on <= :on
      AND (l.closed_on IS NULL OR l.closed_on > :on)
      AND (l.written_off_on IS NULL OR l.written_off_on > :on)
)
SELECT b.club_id,
       sum(b.balance),
       sum(CASE WHEN late.loan_id IS NULL THEN 0 ELSE b.balance END),
       sum(CASE WHEN late.loan_id IS NULL THEN 0 ELSE 1 END),
       count(*)
FROM book b LEFT JOIN late ON late.loan_id = b.loan_id
WHERE b.balance <> 0
GROUP BY b.club_id
"""
).bindparams(bindparam("on", type_=Date()), bindparam("cutoff", type_=Date()))


@dataclass(frozen=True)
class Portfolio:
    outstanding: int
    at_risk: int
    loans_at_risk: int
    loans: int

    def __add__(self, other: Portfolio) -> Portfolio:
        return Portfolio(
            self.outstanding + other.outstanding,
            self.at_risk + other.at_risk,
            self.loans_at_risk + other.loans_at_risk,
            self.loans + other.loans,
        )

    @property
    def par30(self) -> Decimal:
        """In percent, truncated to two decimals, as the API prints every share."""
        ratio = Decimal(self.at_risk) * 100 / Decimal(self.outstanding)
        return ratio.quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def raw_portfolio(conn: Any, as_of: date) -> Portfolio:
    rows = conn.execute(
        RAW, {"on": as_of, "cutoff": as_of - timedelta(days=PAR_DAYS), "province": PROVINCE}
    ).all()
    return Portfolio(*(sum(int(r[k]) for r in rows) for k in (1, 2, 3, 4)))


def expected_portfolio(loans: list[LoanPosition], as_of: date) -> Portfolio:
    """`ishc_contracts.loans.par30` over the loans as they were generated."""
    risk = par30(loans, as_of)
    outstanding = sum(
        1 for loan in loans if loan.disbursed_on <= as_of and _balance(loan, as_of) != 0
    )
    return Portfolio(risk.outstanding_vnd, risk.at_risk_vnd, risk.loans_at_risk, outstanding)


def _balance(loan: LoanPosition, on: date) -> int:
    if (loan.closed_on and loan.closed_on <= on) or (
        loan.written_off_on and loan.written_off_on <= on
    ):
        return 0
    return loan.principal_vnd - sum(a.principal_vnd for a in loan.allocations if a.paid_on <= on)


# -- timing --------------------------------------------------------------------------------


class StatementTimer:
    """Each SQL statement sent while listening, with the time from sending it to its answer."""

    def __init__(self) -> None:
        self.statements: list[tuple[float, str, Any]] = []  # (ms, statement, parameters)

    def before(self, conn: Any, *_: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def after(self, conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        started = conn.info.pop("bench_started", None)
        if started is not None:
            ms = (time.perf_counter() - started) * 1000
            self.statements.append((ms, statement, parameters))

    def slowest(self, n: int) -> list[tuple[float, str, Any]]:
        return sorted(self.statements, key=lambda s: s[0], reverse=True)[:n]

    @contextmanager
    def listening(self) -> Iterator[None]:
        event.listen(Engine, "before_cursor_execute", self.before)
        event.listen(Engine, "after_cursor_execute", self.after)
        try:
            yield
        finally:
            event.remove(Engine, "before_cursor_execute", self.before)
            event.remove(Engine, "after_cursor_execute", self.after)


def explain(engine: Engine, statements: list[tuple[float, str, Any]]) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement as the app sent it (PostgreSQL)."""
    plans = []
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        for ms, statement, parameters in statements:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            plans.append(f"-- {ms:.1f} ms in the request: {summary(statement)}\n{plan}")
        connection.rollback()
    finally:
        connection.close()
    return "\n\n".join(plans)


def summary(statement: str) -> str:
    """A statement's first words and the tables it reads, to tell them apart."""
    words = " ".join(statement.split())
    tables = sorted(set(re.findall(r"(?:FROM|JOIN) ([a-z_]+_[a-z_]+)", words)))
    return f"{words[:50]}… [{', '.join(tables)}]"


@contextmanager
def running(url: str) -> Iterator[TestClient]:
    """The reporting app on `url` in-process, rate limiting off, with its own
    streams (removed afterwards)."""
    prefix = f"bench.{uuid.uuid4().hex[:8]}."
    settings = Settings(
        database_url=url,
        jwt_secrets=SECRET,
        stream_prefix=prefix,
        log_level="WARNING",
        migrate_on_start=False,
        rate_limit_per_minute=0,
    )
    try:
        with TestClient(create_app(settings)) as client:
            yield client
    finally:
        r = redis.Redis.from_url(REDIS)
        keys = r.keys(f"{prefix}*")
        if keys:
            r.delete(*keys)
        r.close()


def bench(
    kind: str, scratch: Path, clubs: int, repeat: int, batch: int, workers: int, explain_top: int
) -> dict[str, Any]:
    url, pg_name = new_database(kind, scratch)
    as_of = today() - timedelta(days=365)
    path = f"/v1/indicators/provinces/{PROVINCE}"
    params = {"as_of": as_of.isoformat()}
    try:
        started = time.perf_counter()
        # SQLite takes one writer at a time: one worker there.
        seeded = seed(url, clubs, batch, workers if kind == "postgresql" else 1, as_of)
        seed_s = time.perf_counter() - started
        print(
            f"{kind}: seeded {clubs} clubs, {seeded.events:,} finance events, "
            f"{seeded.loans:,} loans ({seeded.written_off} written off) "
            f"in {seed_s:.0f} s ({seeded.events / seed_s:,.0f} events/s)"
        )
        expected = seeded.expected
        engine = make_sync_engine(url)
        with engine.connect() as conn:
            counts = {
                t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in ("loan_fact", "instalment_fact", "allocation_fact", "money_flow",
                          "money_month", "member_fact")
            }  # fmt: skip
        print(f"{kind}: rows {counts}")
        with running(url) as client, engine.connect() as conn:
            # Today's table first: it waits for the cache the gauges job fills at
            # start, which would otherwise run beside the first timed requests.
            assert client.get(f"{path}", headers=TOKEN).status_code == 200
            reply = client.get(path, params=params, headers=TOKEN)  # warm-up
            assert reply.status_code == 200, reply.text[:500]
            answer = reply.json()["indicators"]
            raw = raw_portfolio(conn, as_of)  # warm-up
            conn.rollback()  # SQLite: no transaction held while the app reads
            times, raw_times = [], []
            for _ in range(repeat):
                started = time.perf_counter()
                reply = client.get(path, params=params, headers=TOKEN)
                times.append((time.perf_counter() - started) * 1000)
                assert reply.status_code == 200, reply.text[:500]
                assert reply.json()["indicators"] == answer, "an answer changed between requests"
                started = time.perf_counter()
                raw = raw_portfolio(conn, as_of)
                raw_times.append((time.perf_counter() - started) * 1000)
                conn.rollback()
            timer = StatementTimer()
            with timer.listening():
                started = time.perf_counter()
                client.get(path, params=params, headers=TOKEN)
                one = (time.perf_counter() - started) * 1000
            raw_timer = StatementTimer()
            with raw_timer.listening():
                raw_portfolio(conn, as_of)
            conn.rollback()
            plans = ""
            if explain_top and pg_name:
                plans = explain(engine, timer.slowest(explain_top) + raw_timer.statements)
        engine.dispose()
    finally:
        drop(pg_name)
    api = Portfolio(
        answer["outstanding_principal_vnd"],
        answer["at_risk_principal_vnd"],
        answer["loans_at_risk"],
        answer["loans_outstanding"],
    )
    assert raw == expected, f"raw SQL {raw} is not ishc_contracts.loans.par30's {expected}"
    assert api == raw, f"the API's {api} is not the raw SQL's {raw}"
    assert Decimal(answer["par30"]) == raw.par30, f"PAR30 {answer['par30']} against {raw.par30}"
    assert raw.at_risk > 0 and seeded.written_off > 0, "nothing at risk, or nothing written off"
    sql_ms = sum(ms for ms, _, _ in timer.statements)
    print(f"{kind}: one more request, {one:.0f} ms, of which {len(timer.statements)} statements:")
    for ms, statement, _ in timer.slowest(6):
        print(f"  {ms:8.1f} ms  {summary(statement)}")
    if plans:
        print(plans)
        stamp = int(time.time())
        Path("bench/out").mkdir(parents=True, exist_ok=True)
        Path(f"bench/out/par30-explain-{stamp}.txt").write_text(plans)
    p50, raw_p50 = statistics.median(times), statistics.median(raw_times)
    return {
        "figure": "province PAR30 as of a past date",
        "database": kind,
        "clubs": clubs,
        "members": answer["members"],
        "as_of": as_of.isoformat(),
        "events": seeded.events,
        "seed_s": seed_s,
        **{k: v for k, v in counts.items() if k != "member_fact"},
        "loans_outstanding": raw.loans,
        "loans_at_risk": raw.loans_at_risk,
        "outstanding_vnd": raw.outstanding,
        "at_risk_vnd": raw.at_risk,
        "par30": answer["par30"],
        "request_p50_ms": p50,
        "request_p95_ms": quantile(times, 95),
        "raw_p50_ms": raw_p50,
        "raw_p95_ms": quantile(raw_times, 95),
        "ratio_p50_to_raw": p50 / raw_p50,
        "one_request_ms": one,
        "one_request_sql_ms": sql_ms,
        "one_request_statements": len(timer.statements),
    }


@app.command()
def main(
    clubs: Annotated[int, typer.Option(help="clubs in Vĩnh Long")] = 500,
    database: Annotated[str, typer.Option(help="postgresql, sqlite or both")] = "postgresql",
    repeat: Annotated[int, typer.Option(help="requests timed (each followed by the raw)")] = 20,
    batch: Annotated[int, typer.Option(help="events per handler batch when seeding")] = 1000,
    workers: Annotated[int, typer.Option(help="seeding processes on PostgreSQL")] = 2,
    explain: Annotated[
        int, typer.Option(help="PostgreSQL: EXPLAIN ANALYZE the request's N slowest statements")
    ] = 0,
) -> None:
    if database not in ("postgresql", "sqlite", "both"):
        raise typer.BadParameter("postgresql, sqlite or both", param_hint="--database")
    kinds = ["postgresql", "sqlite"] if database == "both" else [database]
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        for kind in kinds:
            results.append(bench(kind, Path(scratch), clubs, repeat, batch, workers, explain))
    for row in results:
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}))
    out = Path("bench/out")
    out.mkdir(parents=True, exist_ok=True)
    (out / f"par30-{database}-{int(time.time())}.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    app()
