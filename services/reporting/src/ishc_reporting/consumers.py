"""Event handlers of the reporting service: the registry's, the finance
service's and the health service's events become facts.

Dispatch only: each event goes to the statement that records it
(`adapters/projection_store.py`, `adapters/finance_facts.py`,
`adapters/health_facts.py`). Each handler runs
inside the inbox consumer's transaction (an event already applied never comes
back here), which commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts import Event
from ishc_contracts import finance_events as fe
from ishc_contracts import health_events as he
from ishc_contracts import registry_events as re
from ishc_platform.service_app import Subscription
from ishc_reporting.adapters import projection_store as store
from ishc_reporting.adapters.finance_facts import FinanceBatch
from ishc_reporting.adapters.health_facts import HealthBatch
from ishc_reporting.adapters.projection_store import MemberEvent
from ishc_reporting.models import ActivityFact, BoardState, MeetingFact


async def apply_registry_events(session: AsyncSession, events: Sequence[Event[BaseModel]]) -> None:
    members: list[tuple[Event[BaseModel], MemberEvent]] = []
    meetings: list[dict[str, Any]] = []
    activities: list[dict[str, Any]] = []
    for event in events:
        payload, sequence = event.payload, event.envelope.sequence
        if isinstance(payload, re.MemberJoined | re.MemberUpdated | re.MemberLeft):
            members.append((event, payload))
        elif isinstance(payload, re.ClubPlacement):
            await store.club_placed(session, payload, sequence)
        elif isinstance(payload, re.ClubDissolved):
            await store.club_dissolved(session, payload, sequence)
        elif isinstance(payload, re.BoardChanged):
            session.add(
                BoardState(
                    club_id=payload.club_id,
                    effective_on=payload.effective_on,
                    complete=payload.complete,
                    sequence=sequence,
                )
            )
        elif isinstance(payload, re.MeetingHeld):
            meetings.append(
                {
                    "meeting_id": payload.meeting_id,
                    "club_id": payload.club_id,
                    "held_on": payload.held_on,
                    "attendance": payload.attendance,
                    "hardship_cases_chosen": payload.hardship_cases_chosen,
                    "hardship_cases_supported": payload.hardship_cases_supported,
                }
            )
        elif isinstance(payload, re.ActivityHeld):
            activities.append(
                {
                    "activity_id": payload.activity_id,
                    "club_id": payload.club_id,
                    "area": payload.area.value,
                    "held_on": payload.held_on,
                    "participants": payload.participants,
                }
            )
    # Meetings and activities are created once: a second event for the same id
    # (a re-sent one has another envelope id) changes nothing.
    await store.insert_new(session, MeetingFact, meetings)
    await store.insert_new(session, ActivityFact, activities)
    if members:
        await store.apply_members(session, members)
    await store.note_batch(session, events)


async def apply_finance_events(session: AsyncSession, events: Sequence[Event[BaseModel]]) -> None:
    """Funds, loans with their schedules, what repayments paid, and money flows.
    A regulation changes no indicator: it is recorded in the inbox and nothing else."""
    batch = FinanceBatch()
    for event in events:
        payload = event.payload
        if isinstance(payload, fe.FundOpened):
            batch.fund_opened(payload)
        elif isinstance(payload, fe.LoanDisbursed):
            batch.loan_disbursed(payload)
        elif isinstance(payload, fe.RepaymentReceived):
            batch.repayment_received(payload)
        elif isinstance(payload, fe.LoanWrittenOff):
            batch.loan_written_off(payload)
        elif isinstance(payload, fe.LoanRecovered):
            batch.loan_recovered(payload)
        elif isinstance(payload, fe.ContributionReceived):
            batch.contribution_received(payload)
        elif isinstance(payload, fe.FeePaid):
            batch.fee_paid(payload)
        elif isinstance(payload, fe.ExpenseRecorded):
            batch.expense_recorded(payload)
        elif isinstance(payload, fe.EntryReversed):
            batch.entry_reversed(payload)
    await batch.write(session)
    await store.note_batch(session, events)


async def apply_health_events(session: AsyncSession, events: Sequence[Event[BaseModel]]) -> None:
    """Checks, exercise sessions, home-care visits and insurance cards, with their
    dates and never a clinical value (the events carry none). A consent, given or
    withdrawn, changes no indicator: it is recorded in the inbox and nothing else."""
    batch = HealthBatch()
    for event in events:
        payload = event.payload
        if isinstance(payload, he.HealthCheckDone):
            batch.check_done(payload)
        elif isinstance(payload, he.ExerciseSessionHeld):
            batch.session_held(payload)
        elif isinstance(payload, he.HomeCareVisitMade):
            batch.visit_made(payload)
        elif isinstance(payload, he.InsuranceRecorded):
            batch.insurance_recorded(payload)
    await batch.write(session)
    await store.note_batch(session, events)


# Each stream's log source is its service ("registry", "finance", "health"): with its
# URL in ISHC_EVENT_SOURCES, what Redis lost is backfilled from that service's log
# (ADR 0005).
SUBSCRIPTIONS = (
    Subscription(stream=re.STREAM, handler=apply_registry_events),
    Subscription(stream=fe.STREAM, handler=apply_finance_events),
    Subscription(stream=he.STREAM, handler=apply_health_events),
)
