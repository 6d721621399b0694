"""Registry, finance and health events made by hand, and a reporting database to
apply them to."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel
from redis.asyncio import Redis

from ishc_contracts import Envelope, known_event_types, new_event_id, payload_model
from ishc_contracts import finance_events as fe
from ishc_contracts import health_events as he
from ishc_contracts import registry_events as re
from ishc_platform import admin_units
from ishc_platform.auth import Caller, Role
from ishc_platform.consumer import InboxConsumer
from ishc_platform.db import Database
from ishc_platform.migrate import upgrade
from ishc_platform.settings import Settings
from ishc_reporting.app import create_app
from ishc_reporting.consumers import (
    apply_finance_events,
    apply_health_events,
    apply_registry_events,
)

NATIONAL = Caller(sub="vae", role=Role.NATIONAL, provinces=frozenset())
VINH_LONG = Caller(sub="vl", role=Role.PROVINCE, provinces=frozenset({"86"}))
DONG_NAI = Caller(sub="dn", role=Role.PROVINCE, provinces=frozenset({"75"}))


class Registry:
    """Writes registry events as the registry would, with per-aggregate sequences."""

    def __init__(self) -> None:
        self.sequences: dict[str, int] = defaultdict(int)
        self.log: list[dict[str, Any]] = []

    def emit(self, event_type: str, subject: str, province: str, data: BaseModel) -> None:
        self.sequences[subject] += 1
        envelope = Envelope(
            id=new_event_id(),
            type=f"ishc.registry.{event_type}.v1",
            source="/ishc/registry",
            time=datetime.now(UTC),
            subject=subject,
            sequence=self.sequences[subject],
            province=province,
            data=data.model_dump(mode="json"),
        )
        self.log.append(envelope.model_dump(mode="json"))

    def club(
        self,
        commune: str,
        founded_on: date,
        *,
        legacy: str | None = None,
        name: str = "CLB",
    ) -> str:
        club_id = str(uuid.uuid4())
        province = admin_units.province_of_commune(commune)
        self.emit(
            "club.registered",
            club_id,
            province,
            re.ClubRegistered(
                club_id=club_id,
                name=name,
                commune_code=commune,
                legacy_commune_code=legacy,
                founded_on=founded_on,
            ),
        )
        return club_id

    def members(
        self,
        club_id: str,
        province: str,
        count: int,
        *,
        joined_on: date,
        sex: str = "female",
        birth_year: int = 1950,
        poverty: str = "poor",
        volunteer: bool = False,
    ) -> list[str]:
        ids = []
        for _ in range(count):
            member_id = str(uuid.uuid4())
            self.emit(
                "member.joined",
                member_id,
                province,
                re.MemberJoined(
                    member_id=member_id,
                    club_id=club_id,
                    sex=re.Sex(sex),
                    birth_year=birth_year,
                    poverty_status=re.PovertyStatus(poverty),
                    is_volunteer=volunteer,
                    joined_on=joined_on,
                ),
            )
            ids.append(member_id)
        return ids

    def leave(self, member_id: str, club_id: str, province: str, on: date) -> None:
        self.emit(
            "member.left",
            member_id,
            province,
            re.MemberLeft(member_id=member_id, club_id=club_id, left_on=on),
        )

    def dissolve(self, club_id: str, province: str, on: date) -> None:
        self.emit(
            "club.dissolved", club_id, province, re.ClubDissolved(club_id=club_id, dissolved_on=on)
        )

    def meeting(self, club_id: str, province: str, on: date, supported: int = 1) -> None:
        meeting_id = str(uuid.uuid4())
        self.emit(
            "meeting.held",
            meeting_id,
            province,
            re.MeetingHeld(
                meeting_id=meeting_id,
                club_id=club_id,
                held_on=on,
                attendance=40,
                hardship_cases_chosen=supported,
                hardship_cases_supported=supported,
                plan_recorded=True,
                report_recorded=True,
            ),
        )

    def activity(self, club_id: str, province: str, area: str, on: date) -> None:
        activity_id = str(uuid.uuid4())
        self.emit(
            "activity.held",
            activity_id,
            province,
            re.ActivityHeld(
                activity_id=activity_id,
                club_id=club_id,
                area=re.ActivityArea(area),
                held_on=on,
                participants=30,
            ),
        )

    def board(self, club_id: str, province: str, on: date, members: list[str]) -> None:
        positions = ["chair", "vice_chair", "member", "member", "member"]
        seats = [
            re.BoardSeatFacts(position=re.BoardPosition(p), member_id=m)
            for p, m in zip(positions, members, strict=False)
        ]
        self.emit(
            "board.changed",
            club_id,
            province,
            re.BoardChanged(
                club_id=club_id, effective_on=on, seats=seats, complete=len(seats) == 5
            ),
        )


@pytest.fixture
def registry() -> Registry:
    return Registry()


FINANCE_TYPES = {
    payload_model(name): name for name in known_event_types() if name.startswith("ishc.finance.")
}


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, min(day.day, 28))


@dataclass
class Loan:
    loan_id: str
    fund_id: str
    club_id: str
    province: str
    member_id: str
    principal: int
    disbursed_on: date
    schedule: list[fe.InstalmentFacts]


class Finance:
    """Writes finance events as the finance service would: per-aggregate sequences,
    fund events under the fund, loan events under the loan. Amounts in whole VND."""

    def __init__(self) -> None:
        self.sequences: dict[str, int] = defaultdict(int)
        self.log: list[dict[str, Any]] = []
        self.loans: dict[str, Loan] = {}
        self.activity_funds: dict[str, str] = {}  # club -> its activity fund

    def emit(self, subject: str, province: str, data: BaseModel) -> None:
        self.sequences[subject] += 1
        envelope = Envelope(
            id=new_event_id(),
            type=FINANCE_TYPES[type(data)],
            source="/ishc/finance",
            time=datetime.now(UTC),
            subject=subject,
            sequence=self.sequences[subject],
            province=province,
            data=data.model_dump(mode="json"),
        )
        self.log.append(envelope.model_dump(mode="json"))

    def fund(self, club_id: str, province: str, kind: str, opened_on: date) -> str:
        fund_id = str(uuid.uuid4())
        self.emit(
            fund_id,
            province,
            fe.FundOpened(
                fund_id=fund_id, club_id=club_id, kind=fe.FundKind(kind), opened_on=opened_on
            ),
        )
        if kind == "activity":
            self.activity_funds[club_id] = fund_id
        return fund_id

    def contribute(
        self,
        fund_id: str,
        club_id: str,
        province: str,
        amount: int,
        on: date,
        in_kind: bool = False,
    ) -> str:
        contribution_id = str(uuid.uuid4())
        self.emit(
            fund_id,
            province,
            fe.ContributionReceived(
                contribution_id=contribution_id,
                fund_id=fund_id,
                club_id=club_id,
                source=fe.ContributionSource.GOLDEN_HEART_BOOK,
                amount_vnd=amount,
                in_kind=in_kind,
                received_on=on,
            ),
        )
        return contribution_id

    def lend(
        self,
        fund_id: str,
        club_id: str,
        province: str,
        member_id: str,
        principal: int,
        on: date,
        instalments: int,
        interest: int,
        first_due: date | None = None,
    ) -> str:
        """Equal principal parts (the last absorbing the rest) and `interest` each
        month, the first a month after `on`."""
        loan_id = str(uuid.uuid4())
        first = first_due or add_months(on, 1)
        part = principal // instalments
        schedule = [
            fe.InstalmentFacts(
                number=n + 1,
                due_on=add_months(first, n),
                principal_vnd=part if n < instalments - 1 else principal - part * n,
                interest_vnd=interest,
            )
            for n in range(instalments)
        ]
        self.emit(
            loan_id,
            province,
            fe.LoanDisbursed(
                loan_id=loan_id,
                fund_id=fund_id,
                club_id=club_id,
                member_id=member_id,
                principal_vnd=principal,
                monthly_rate=Decimal("0.01"),
                term_months=instalments,
                method=fe.InterestMethod.FLAT,
                disbursed_on=on,
                schedule=schedule,
            ),
        )
        self.loans[loan_id] = Loan(
            loan_id, fund_id, club_id, province, member_id, principal, on, schedule
        )
        return loan_id

    def repay(
        self,
        loan_id: str,
        on: date,
        allocations: list[tuple[int, int, int]],
        settles: bool = False,
    ) -> str:
        """`allocations`: (instalment number, principal, interest) paid of each."""
        loan = self.loans[loan_id]
        repayment_id = str(uuid.uuid4())
        principal = sum(p for _, p, _ in allocations)
        interest = sum(i for _, _, i in allocations)
        self.emit(
            loan_id,
            loan.province,
            fe.RepaymentReceived(
                repayment_id=repayment_id,
                loan_id=loan_id,
                fund_id=loan.fund_id,
                activity_fund_id=self.activity_funds.get(loan.club_id, loan.fund_id),
                club_id=loan.club_id,
                paid_on=on,
                amount_vnd=principal + interest,
                principal_vnd=principal,
                interest_vnd=interest,
                allocations=[
                    fe.AllocationFacts(number=n, principal_vnd=p, interest_vnd=i)
                    for n, p, i in allocations
                ],
                settles_loan=settles,
            ),
        )
        return repayment_id

    def pay_instalments(self, loan_id: str, *numbers: int) -> None:
        """Each instalment paid in full on its due date."""
        for n in numbers:
            instalment = self.loans[loan_id].schedule[n - 1]
            self.repay(
                loan_id,
                instalment.due_on,
                [(n, instalment.principal_vnd, instalment.interest_vnd)],
            )

    def write_off(self, loan_id: str, on: date, principal: int) -> None:
        loan = self.loans[loan_id]
        self.emit(
            loan_id,
            loan.province,
            fe.LoanWrittenOff(
                loan_id=loan_id,
                fund_id=loan.fund_id,
                club_id=loan.club_id,
                written_off_on=on,
                principal_vnd=principal,
            ),
        )

    def recover(self, loan_id: str, on: date, amount: int) -> None:
        loan = self.loans[loan_id]
        self.emit(
            loan_id,
            loan.province,
            fe.LoanRecovered(
                recovery_id=str(uuid.uuid4()),
                loan_id=loan_id,
                fund_id=loan.fund_id,
                club_id=loan.club_id,
                recovered_on=on,
                amount_vnd=amount,
            ),
        )

    def fee(
        self, fund_id: str, club_id: str, province: str, member_id: str, month: date, amount: int
    ) -> str:
        """A month's fee, paid on the 5th of that month."""
        fee_id = str(uuid.uuid4())
        self.emit(
            fund_id,
            province,
            fe.FeePaid(
                fee_id=fee_id,
                fund_id=fund_id,
                club_id=club_id,
                member_id=member_id,
                month=month.replace(day=1),
                paid_on=month.replace(day=5),
                amount_vnd=amount,
            ),
        )
        return fee_id

    def expense(
        self, fund_id: str, club_id: str, province: str, amount: int, on: date, area: str
    ) -> str:
        expense_id = str(uuid.uuid4())
        self.emit(
            fund_id,
            province,
            fe.ExpenseRecorded(
                expense_id=expense_id,
                fund_id=fund_id,
                club_id=club_id,
                area=re.ActivityArea(area),
                spent_on=on,
                amount_vnd=amount,
            ),
        )
        return expense_id

    def reverse(
        self,
        reversed_id: str,
        kind: str,
        fund_id: str,
        club_id: str,
        province: str,
        amount: int,
        on: date,
    ) -> None:
        self.emit(
            fund_id,
            province,
            fe.EntryReversed(
                reversal_id=str(uuid.uuid4()),
                reversed_id=reversed_id,
                kind=fe.ReversedKind(kind),
                fund_id=fund_id,
                club_id=club_id,
                reversed_on=on,
                amount_vnd=amount,
            ),
        )


@pytest.fixture
def finance() -> Finance:
    return Finance()


def finance_feeder(db: Database, batch_size: int = 100) -> InboxConsumer:
    """The reporting consumer of `ishc.finance`, fed from a log here."""
    return InboxConsumer(
        db,
        Redis(),  # never used when fed from a log
        stream="ishc.finance",
        group="reporting",
        handler=apply_finance_events,
        batch_size=batch_size,
    )


HEALTH_TYPES = {
    payload_model(name): name for name in known_event_types() if name.startswith("ishc.health.")
}


class Health:
    """Writes health events as the health service would: per-aggregate sequences,
    consent, check and insurance events under the member, session and visit events
    under the club. Ids, dates and counts only: the events carry no clinical value."""

    def __init__(self) -> None:
        self.sequences: dict[str, int] = defaultdict(int)
        self.log: list[dict[str, Any]] = []

    def emit(self, subject: str, province: str, data: BaseModel) -> None:
        self.sequences[subject] += 1
        envelope = Envelope(
            id=new_event_id(),
            type=HEALTH_TYPES[type(data)],
            source="/ishc/health",
            time=datetime.now(UTC),
            subject=subject,
            sequence=self.sequences[subject],
            province=province,
            data=data.model_dump(mode="json"),
        )
        self.log.append(envelope.model_dump(mode="json"))

    def consent(self, member_id: str, club_id: str, province: str, on: date) -> str:
        consent_id = str(uuid.uuid4())
        self.emit(
            member_id,
            province,
            he.ConsentGiven(
                consent_id=consent_id,
                member_id=member_id,
                club_id=club_id,
                given_on=on,
                scopes=[he.ConsentScope.HEALTH_CHECKS, he.ConsentScope.HOME_CARE],
            ),
        )
        return consent_id

    def withdraw(
        self, consent_id: str, member_id: str, club_id: str, province: str, on: date
    ) -> None:
        self.emit(
            member_id,
            province,
            he.ConsentWithdrawn(
                consent_id=consent_id, member_id=member_id, club_id=club_id, withdrawn_on=on
            ),
        )

    def check(
        self, member_id: str, club_id: str, province: str, on: date, checker: str = "station"
    ) -> str:
        check_id = str(uuid.uuid4())
        self.emit(
            member_id,
            province,
            he.HealthCheckDone(
                check_id=check_id,
                member_id=member_id,
                club_id=club_id,
                checked_on=on,
                checker=he.Checker(checker),
            ),
        )
        return check_id

    def session(self, club_id: str, province: str, on: date, participants: int = 20) -> str:
        session_id = str(uuid.uuid4())
        self.emit(
            club_id,
            province,
            he.ExerciseSessionHeld(
                session_id=session_id, club_id=club_id, held_on=on, participants=participants
            ),
        )
        return session_id

    def sessions(self, club_id: str, province: str, days: Iterable[date]) -> int:
        """A session on each of `days`; how many."""
        held = 0
        for day in days:
            self.session(club_id, province, day)
            held += 1
        return held

    def visit(
        self,
        club_id: str,
        province: str,
        volunteer_id: str,
        beneficiary_id: str,
        on: date,
        beneficiary: str = "member",
    ) -> str:
        visit_id = str(uuid.uuid4())
        self.emit(
            club_id,
            province,
            he.HomeCareVisitMade(
                visit_id=visit_id,
                club_id=club_id,
                volunteer_id=volunteer_id,
                beneficiary=he.Beneficiary(beneficiary),
                beneficiary_id=beneficiary_id,
                visited_on=on,
                tasks=[he.CareTask.TALKING, he.CareTask.COOKING],
            ),
        )
        return visit_id

    def insure(
        self, member_id: str, club_id: str, province: str, valid_from: date, valid_to: date
    ) -> str:
        insurance_id = str(uuid.uuid4())
        self.emit(
            member_id,
            province,
            he.InsuranceRecorded(
                insurance_id=insurance_id,
                member_id=member_id,
                club_id=club_id,
                valid_from=valid_from,
                valid_to=valid_to,
            ),
        )
        return insurance_id


@pytest.fixture
def health() -> Health:
    return Health()


def health_feeder(db: Database, batch_size: int = 100) -> InboxConsumer:
    """The reporting consumer of `ishc.health`, fed from a log here."""
    return InboxConsumer(
        db,
        Redis(),  # never used when fed from a log
        stream="ishc.health",
        group="reporting",
        handler=apply_health_events,
        batch_size=batch_size,
    )


@pytest.fixture
async def reporting_db(database_url: str) -> AsyncIterator[Database]:
    upgrade("reporting", database_url)
    db = Database(database_url)
    try:
        yield db
    finally:
        await db.dispose()


def feeder(db: Database, redis: Redis | None = None) -> InboxConsumer:
    """The reporting consumer, fed from a log here (no stream needed)."""
    return InboxConsumer(
        db,
        redis or Redis(),  # never used when fed from a log
        stream="ishc.registry",
        group="reporting",
        handler=apply_registry_events,
    )


def plan(**overrides: Any) -> dict[str, Any]:
    """A province plan's body, as the API takes it."""
    body: dict[str, Any] = {
        "id": "vinh-long-2026",
        "scope": "province",
        "province": "86",
        "title": "Kế hoạch 2026",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "targets": [{"indicator": "clubs", "value": "10", "by": "2026-12-31"}],
    }
    body.update(overrides)
    return body


@contextmanager
def loaded_client(
    database_url: str,
    redis_url: str,
    secret: str,
    *,
    raise_server_exceptions: bool = True,
    registry: Registry | None = None,
) -> Iterator[TestClient]:
    """A reporting app over `registry`'s events, loaded before the app starts;
    by default one club of three in Vĩnh Long (commune 29623), whose id is
    `client.club_id`."""
    upgrade("reporting", database_url)
    club = None
    if registry is None:
        registry = Registry()
        club = registry.club("29623", date(2020, 1, 1), name="CLB Nhơn Phú")
        registry.members(club, "86", 3, joined_on=date(2021, 1, 1))

    async def load() -> None:
        db = Database(database_url)
        await feeder(db).apply_log(registry.log)
        await db.dispose()

    asyncio.run(load())
    settings = Settings(
        database_url=database_url,
        redis_url=redis_url,
        jwt_secrets=secret,
        stream_prefix=f"test.{uuid.uuid4().hex[:10]}.",
    )
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=raise_server_exceptions) as client:
        client.club_id = club  # type: ignore[attr-defined]
        yield client


def problem(reply: Any, status: int, field: str | None = None) -> dict[str, Any]:
    """A problem+json answer with `status`, naming `field` when given."""
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = reply.json()
    if field is not None:
        assert field in {e["field"] for e in body.get("errors", [])}, body
    return body
