"""The source services' tallies (`ishc_platform.reconciliation`), computed from
reporting's projection of their events: what `ishc-reporting reconcile` holds
against each source's `GET /v1/reconciliation/clubs`.

Each tally here counts the facts one kind of event writes, the way the source
counts its records, so a difference means an event was lost or applied twice:
- registry: `club_fact` (a club; `dissolved`), `member_fact` (`members`, and
  `members_active`: not left), `meeting_fact`, `activity_fact`;
- finance: `fund_fact`, `loan_fact` (disbursed: with a principal; written off),
  `allocation_fact` (repayments that paid something, and what they paid),
  `money_flow` by kind (gifts in kind among the contributions, expenses counted
  positive as the source records them);
- health: `health_check_fact`, `exercise_session_fact`, `home_care_visit_fact`,
  `insurance_fact`.

A club's province is the one reporting placed it in (`club_fact`), or failing
that the one its province last sent data of it from (`club_touch`).

NO ACCESS CHECKS: an operator's command reads the whole projection.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts.tallies import TALLIES
from ishc_platform.reconciliation import add_counts
from ishc_reporting.domain.finance import FlowKind
from ishc_reporting.domain.reconciliation import ClubTally
from ishc_reporting.models import (
    ActivityFact,
    AllocationFact,
    ClubFact,
    ClubTouch,
    ExerciseSessionFact,
    FundFact,
    HealthCheckFact,
    HomeCareVisitFact,
    InsuranceFact,
    LoanFact,
    MeetingFact,
    MemberFact,
    MoneyFlow,
)

Counts = dict[str, dict[str, int]]


async def projected_tallies(
    session: AsyncSession, service: str, province: str | None = None
) -> list[ClubTally]:
    """Per club reporting has facts of from `service`'s events, its tallies
    (`TALLIES[service]`), in club id order; with `province`, only the clubs
    placed there."""
    names = TALLIES[service]
    found: Counts = {}
    if service == "registry":
        await _registry(session, found)
    elif service == "finance":
        await _finance(session, found)
    else:
        await _health(session, found)
    provinces = await _provinces(session)
    tallies = [
        ClubTally(
            club_id=club_id,
            province=provinces.get(club_id),
            counts={name: counts.get(name, 0) for name in names},
        )
        for club_id, counts in sorted(found.items())
    ]
    return [t for t in tallies if province is None or t.province == province]


async def _fold(session: AsyncSession, found: Counts, query: Any, *names: str) -> None:
    """The grouped rows of `query` added into `found`, as the sources add theirs."""
    add_counts(found, (await session.exec(query)).all(), *names)


async def _provinces(session: AsyncSession) -> dict[str, str | None]:
    touched = await session.exec(select(ClubTouch.club_id, ClubTouch.province))
    provinces: dict[str, str | None] = dict(touched.all())
    placed = await session.exec(
        select(ClubFact.club_id, ClubFact.province).where(col(ClubFact.province).is_not(None))
    )
    provinces.update(placed.all())
    return provinces


async def _registry(session: AsyncSession, found: Counts) -> None:
    await _fold(
        session,
        found,
        select(
            ClubFact.club_id,
            func.count(),
            func.count(col(ClubFact.dissolved_on)),
        ).group_by(col(ClubFact.club_id)),
        "clubs",
        "dissolved",
    )
    await _fold(
        session,
        found,
        select(
            MemberFact.club_id,
            func.count(),
            func.count(case((col(MemberFact.left_on).is_(None), 1))),
        ).group_by(col(MemberFact.club_id)),
        "members",
        "members_active",
    )
    await _fold(
        session,
        found,
        select(
            MeetingFact.club_id,
            func.count(),
            func.sum(MeetingFact.attendance),
            func.sum(MeetingFact.hardship_cases_supported),
        ).group_by(col(MeetingFact.club_id)),
        "meetings",
        "meeting_attendance",
        "hardship_cases_supported",
    )
    await _fold(
        session,
        found,
        select(ActivityFact.club_id, func.count(), func.sum(ActivityFact.participants)).group_by(
            col(ActivityFact.club_id)
        ),
        "activities",
        "activity_participants",
    )


_FLOWS = {
    # a flow's kind: the tallies it counts in, and the sign that makes their sum
    # what the source records (an expense's flow takes money out); a reversal
    # counts once, its amount in no sum (the source keeps what it reverses)
    FlowKind.CONTRIBUTION: ("contributions", "contributions_vnd", 1),
    FlowKind.CONTRIBUTION_IN_KIND: ("contributions", "contributions_vnd", 1),
    FlowKind.FEE: ("fees", "fees_vnd", 1),
    FlowKind.EXPENSE: ("expenses", "expenses_vnd", -1),
    FlowKind.RECOVERY: ("recoveries", "recoveries_vnd", 1),
    FlowKind.REVERSAL: ("reversals", None, 0),
}


async def _finance(session: AsyncSession, found: Counts) -> None:
    await _fold(
        session,
        found,
        select(FundFact.club_id, func.count()).group_by(col(FundFact.club_id)),
        "funds",
    )
    disbursed = col(LoanFact.principal).is_not(None)
    await _fold(
        session,
        found,
        select(
            LoanFact.club_id,
            func.count(case((disbursed, 1))),
            func.sum(LoanFact.principal),
            func.count(col(LoanFact.written_off_on)),
        ).group_by(col(LoanFact.club_id)),
        "loans",
        "loans_disbursed_vnd",
        "loans_written_off",
    )
    await _fold(
        session,
        found,
        select(
            AllocationFact.club_id,
            func.count(func.distinct(AllocationFact.repayment_id)),
            func.sum(AllocationFact.principal),
            func.sum(AllocationFact.interest),
        ).group_by(col(AllocationFact.club_id)),
        "repayments",
        "repaid_principal_vnd",
        "repaid_interest_vnd",
    )
    # One pass over the flows (fees alone are a row per member and month).
    flows = (
        select(MoneyFlow.club_id, MoneyFlow.kind, func.count(), func.sum(MoneyFlow.amount))
        .where(col(MoneyFlow.kind).in_([k.value for k in _FLOWS]))
        .group_by(col(MoneyFlow.club_id), col(MoneyFlow.kind))
    )
    for club_id, kind, count, amount in (await session.exec(flows)).all():
        counted, summed, sign = _FLOWS[FlowKind(kind)]
        counts = found.setdefault(club_id, {})
        counts[counted] = counts.get(counted, 0) + int(count)
        if summed is not None:
            counts[summed] = counts.get(summed, 0) + sign * int(amount or 0)


async def _health(session: AsyncSession, found: Counts) -> None:
    for model, name in (
        (HealthCheckFact, "health_checks"),
        (HomeCareVisitFact, "home_care_visits"),
        (InsuranceFact, "insurance"),
    ):
        await _fold(
            session,
            found,
            select(model.club_id, func.count()).group_by(col(model.club_id)),
            name,
        )
    await _fold(
        session,
        found,
        select(
            ExerciseSessionFact.club_id,
            func.count(),
            func.sum(ExerciseSessionFact.participants),
        ).group_by(col(ExerciseSessionFact.club_id)),
        "exercise_sessions",
        "exercise_participants",
    )
