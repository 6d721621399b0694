"""Writing the health facts: the statements behind reporting's `ishc.health` handler.

A batch of events becomes rows per table, written set-wise (one statement per
table and batch, whatever the number of events). Every fact is keyed by the
health service's own id and inserted once (`projection_store.insert_new`): a
re-sent event, which has another envelope id and so passes the inbox, changes
nothing. No fact refers to a row of another table (a check to a member, a visit
to a club): they are joined when read, so events may arrive in any order,
before or after the registry's, and converge.

Only what the indicators need is kept: who was checked and when (never by whom
nor what was found), a session's date and participants, a visit's date and
whom it cared for (an id: the name of a person of the community stays in the
health service), an insurance card's validity. A consent, given or withdrawn,
changes no indicator: it is recorded in the inbox and nothing else (erasure in
the health service removes clinical values and keeps the anonymous counts).

Runs inside the inbox consumer's transaction, which commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts import health_events as he
from ishc_reporting.adapters.projection_store import insert_new
from ishc_reporting.models import (
    ExerciseSessionFact,
    HealthCheckFact,
    HomeCareVisitFact,
    InsuranceFact,
)


@dataclass
class HealthBatch:
    """The rows a batch of health events adds, by table (keyed, so a fact sent
    twice in one batch is written once)."""

    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    visits: dict[str, dict[str, Any]] = field(default_factory=dict)
    insurance: dict[str, dict[str, Any]] = field(default_factory=dict)

    def check_done(self, p: he.HealthCheckDone) -> None:
        self.checks[p.check_id] = {
            "check_id": p.check_id,
            "member_id": p.member_id,
            "club_id": p.club_id,
            "checked_on": p.checked_on,
        }

    def session_held(self, p: he.ExerciseSessionHeld) -> None:
        self.sessions[p.session_id] = {
            "session_id": p.session_id,
            "club_id": p.club_id,
            "held_on": p.held_on,
            "participants": p.participants,
        }

    def visit_made(self, p: he.HomeCareVisitMade) -> None:
        self.visits[p.visit_id] = {
            "visit_id": p.visit_id,
            "club_id": p.club_id,
            "beneficiary": p.beneficiary.value,
            "beneficiary_id": p.beneficiary_id,
            "visited_on": p.visited_on,
        }

    def insurance_recorded(self, p: he.InsuranceRecorded) -> None:
        self.insurance[p.insurance_id] = {
            "insurance_id": p.insurance_id,
            "member_id": p.member_id,
            "club_id": p.club_id,
            "valid_from": p.valid_from,
            "valid_to": p.valid_to,
        }

    async def write(self, session: AsyncSession) -> None:
        await insert_new(session, HealthCheckFact, list(self.checks.values()))
        await insert_new(session, ExerciseSessionFact, list(self.sessions.values()))
        await insert_new(session, HomeCareVisitFact, list(self.visits.values()))
        await insert_new(session, InsuranceFact, list(self.insurance.values()))
