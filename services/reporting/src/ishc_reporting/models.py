"""Tables of the reporting service (its own metadata, its own migration branch).

Projections keep facts with their dates, never running totals, so every
indicator can be computed as of any date and an event entered late lands in its
period. Each concern of an aggregate keeps the sequence of the event that last
set it: an older event arriving late fills what is missing and never overwrites
what a newer one set.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, DateTime, Index, LargeBinary, MetaData, Text
from sqlmodel import Field, SQLModel


class ReportingTable(SQLModel):
    metadata = MetaData()


def _instant(nullable: bool = False) -> Column:  # type: ignore[type-arg,unused-ignore]
    return Column(DateTime(timezone=True), nullable=nullable)


class ClubFact(ReportingTable, table=True):
    """A club: where it is now, when it was founded and dissolved."""

    __tablename__ = "club_fact"

    club_id: str = Field(primary_key=True, max_length=36)
    province: str | None = Field(default=None, max_length=2, index=True)  # current map
    name: str | None = Field(default=None, max_length=200)
    commune_code: str | None = Field(default=None, max_length=5, index=True)
    legacy_commune_code: str | None = Field(default=None, max_length=5)
    founded_on: date | None = None
    placement_sequence: int = 0
    dissolved_on: date | None = None
    status_sequence: int = 0


class ClubLocation(ReportingTable, table=True):
    """Where a club was from a date on: its registration, then each relocation."""

    __tablename__ = "club_location"
    __table_args__ = (Index("ix_club_location_club_from", "club_id", "valid_from"),)

    id: int | None = Field(default=None, primary_key=True)
    club_id: str = Field(max_length=36)
    valid_from: date
    commune_code: str = Field(max_length=5)
    legacy_commune_code: str | None = Field(default=None, max_length=5)
    relocation: bool  # False for the place it was registered in
    sequence: int


class MemberFact(ReportingTable, table=True):
    """A membership's anonymous facts (no name ever reaches this service)."""

    __tablename__ = "member_fact"
    __table_args__ = (Index("ix_member_fact_club_joined", "club_id", "joined_on"),)

    member_id: str = Field(primary_key=True, max_length=36)
    club_id: str = Field(max_length=36)
    province: str = Field(max_length=2, index=True)  # a province's pages and plans read by it
    sex: str | None = Field(default=None, max_length=6)
    birth_year: int | None = None  # the year only: the exact date never leaves the registry
    poverty_status: str | None = Field(default=None, max_length=13)
    is_volunteer: bool = False
    # A flag only, never the ethnicity: the plans' priority counts (ADR 0007).
    ethnic_minority: bool = False
    joined_on: date | None = None
    facts_sequence: int = 0
    left_on: date | None = None
    status_sequence: int = 0


class BoardState(ReportingTable, table=True):
    """Whether a club's board was complete from a date on (history kept)."""

    __tablename__ = "board_state"
    __table_args__ = (Index("ix_board_state_club_from", "club_id", "effective_on"),)

    id: int | None = Field(default=None, primary_key=True)
    club_id: str = Field(max_length=36)
    effective_on: date
    complete: bool
    sequence: int


class MeetingFact(ReportingTable, table=True):
    __tablename__ = "meeting_fact"
    __table_args__ = (Index("ix_meeting_fact_club_held", "club_id", "held_on"),)

    meeting_id: str = Field(primary_key=True, max_length=36)
    club_id: str = Field(max_length=36)
    held_on: date
    attendance: int
    hardship_cases_chosen: int
    hardship_cases_supported: int


class ActivityFact(ReportingTable, table=True):
    __tablename__ = "activity_fact"
    __table_args__ = (Index("ix_activity_fact_club_held", "club_id", "held_on"),)

    activity_id: str = Field(primary_key=True, max_length=36)
    club_id: str = Field(max_length=36)
    area: str = Field(max_length=30)
    held_on: date
    participants: int


# -- finance: the facts of ishc.finance events ---------------------------------------
# Each row is a fact an event states once (a fund opened, a loan disbursed, an
# instalment due, what a repayment paid, a flow of money), inserted once whatever
# the number of deliveries. Rows are keyed by their own ids, never by a row of
# another table, so events of different aggregates may arrive in any order (a
# repayment before its loan's disbursement) and the facts converge.


class FundFact(ReportingTable, table=True):
    """A club's fund: its income-generation or activity fund, from the day it opened."""

    __tablename__ = "fund_fact"
    __table_args__ = (Index("ix_fund_fact_club", "club_id", "opened_on"),)

    fund_id: str = Field(primary_key=True, max_length=36)
    club_id: str = Field(max_length=36)
    kind: str = Field(max_length=10)  # income | activity
    opened_on: date


class LoanFact(ReportingTable, table=True):
    """A loan. Its disbursement, settlement and write-off each set their own
    columns, whichever arrives first: a row made by a settlement or a write-off
    that came before the disbursement has no principal yet and counts nowhere."""

    __tablename__ = "loan_fact"
    __table_args__ = (Index("ix_loan_fact_club_disbursed", "club_id", "disbursed_on"),)

    loan_id: str = Field(primary_key=True, max_length=36)
    club_id: str = Field(max_length=36)
    fund_id: str = Field(max_length=36)
    # Who borrowed, to count borrowers once each; never shown (ADR 0004).
    member_id: str | None = Field(default=None, max_length=36)
    principal: int | None = Field(default=None, sa_type=BigInteger)
    disbursed_on: date | None = None
    closed_on: date | None = None  # settled early (a repayment that `settles_loan`)
    # The first day by which its repayments had paid all its principal, None while
    # some is unpaid: derived from the allocations whenever they or the
    # disbursement arrive, so a read as of a date skips the loans paid off by then
    # without summing their repayments.
    repaid_on: date | None = None
    written_off_on: date | None = None
    written_off_vnd: int | None = Field(default=None, sa_type=BigInteger)


class InstalmentFact(ReportingTable, table=True):
    """An instalment of a loan's schedule, as its disbursement stated it."""

    __tablename__ = "instalment_fact"

    loan_id: str = Field(primary_key=True, max_length=36)
    number: int = Field(primary_key=True)
    due_on: date
    principal: int = Field(sa_type=BigInteger)
    interest: int = Field(sa_type=BigInteger)
    # The first day by which repayments had paid it in full (interest and
    # principal), None while some is unpaid: derived from the allocations like
    # `LoanFact.repaid_on`, so lateness as of a date is a comparison of dates.
    settled_on: date | None = None


class AllocationFact(ReportingTable, table=True):
    """What one repayment paid of one instalment (kept by loan and by club, not
    under a loan row, so a repayment may arrive before its loan)."""

    __tablename__ = "allocation_fact"
    __table_args__ = (
        Index("ix_allocation_fact_loan", "loan_id", "number"),
        Index("ix_allocation_fact_club_paid", "club_id", "paid_on"),
    )

    repayment_id: str = Field(primary_key=True, max_length=36)
    number: int = Field(primary_key=True)
    loan_id: str = Field(max_length=36)
    club_id: str = Field(max_length=36)
    paid_on: date
    principal: int = Field(sa_type=BigInteger)
    interest: int = Field(sa_type=BigInteger)


class MoneyFlow(ReportingTable, table=True):
    """Money into or out of a fund other than lending and repaid principal (which
    `loan_fact` and `allocation_fact` say): `amount` is signed as it moves the
    fund (an expense is negative). A reversal negates the flow it reverses, on
    its own date; `counts_as` is the kind whose totals it moves (its own kind, or
    for a reversal the kind of the flow it reverses, set again when that flow
    arrives after it)."""

    __tablename__ = "money_flow"
    __table_args__ = (
        Index("ix_money_flow_club_booked", "club_id", "booked_on"),
        Index("ix_money_flow_kind_booked", "kind", "booked_on"),
        Index("ix_money_flow_reversed", "reversed_id"),
    )

    ref_id: str = Field(primary_key=True, max_length=36)  # the contribution, fee… id
    fund_id: str = Field(max_length=36)
    club_id: str = Field(max_length=36)
    kind: str = Field(max_length=24)
    counts_as: str = Field(max_length=24)
    amount: int = Field(sa_type=BigInteger)
    booked_on: date  # received, paid, spent or reversed on
    area: str | None = Field(default=None, max_length=30)  # an expense's activity area
    reversed_id: str | None = Field(default=None, max_length=36)  # what a reversal undoes


PRINCIPAL_REPAID = "principal_repaid"  # MoneyMonth's key for the principal repayments paid


class MoneyMonth(ReportingTable, table=True):
    """Each club's money by kind and calendar month: the flows (by `counts_as`) and
    the principal repaid (`principal_repaid`), summed as their facts are first
    inserted, in the same transaction. A read as of a date sums the months before
    the date's month here and only that month's facts, instead of every flow
    since the club began (fees alone are a row per member and month)."""

    __tablename__ = "money_month"

    club_id: str = Field(primary_key=True, max_length=36)
    counts_as: str = Field(primary_key=True, max_length=24)
    month: date = Field(primary_key=True)  # its first day
    amount: int = Field(sa_type=BigInteger)


# -- health: the facts of ishc.health events -----------------------------------------
# What happened and when, never what was found (no clinical value reaches reporting):
# each row is keyed by the health service's own id and inserted once, so a re-sent
# event changes nothing and events may arrive in any order. Member ids are kept to
# count members (checked twice, insured) once each, and never leave the database.


class HealthCheckFact(ReportingTable, table=True):
    """A member's health check on a date (by a station or a volunteer: not kept)."""

    __tablename__ = "health_check_fact"
    __table_args__ = (
        Index("ix_health_check_fact_member", "member_id", "checked_on"),
        Index("ix_health_check_fact_club", "club_id", "checked_on"),
    )

    check_id: str = Field(primary_key=True, max_length=36)
    member_id: str = Field(max_length=36)
    club_id: str = Field(max_length=36)
    checked_on: date


class ExerciseSessionFact(ReportingTable, table=True):
    """A club's session of dưỡng sinh."""

    __tablename__ = "exercise_session_fact"
    __table_args__ = (Index("ix_exercise_session_fact_club", "club_id", "held_on"),)

    session_id: str = Field(primary_key=True, max_length=36)
    club_id: str = Field(max_length=36)
    held_on: date
    participants: int


class HomeCareVisitFact(ReportingTable, table=True):
    """A volunteer's home-care visit: to whom (a member, or a person of the
    community by the health service's id: never a name), and when. Who visited
    and what was done are not kept: no indicator needs them."""

    __tablename__ = "home_care_visit_fact"
    __table_args__ = (Index("ix_home_care_visit_fact_club", "club_id", "visited_on"),)

    visit_id: str = Field(primary_key=True, max_length=36)
    club_id: str = Field(max_length=36)
    beneficiary: str = Field(max_length=10)  # member | community
    beneficiary_id: str = Field(max_length=36)
    visited_on: date


class InsuranceFact(ReportingTable, table=True):
    """A member's health insurance card (BHYT) and its validity, both ends included
    (the card's number stays in the health service)."""

    __tablename__ = "insurance_fact"
    __table_args__ = (
        Index("ix_insurance_fact_member", "member_id", "valid_from"),
        Index("ix_insurance_fact_club", "club_id", "valid_from"),
    )

    insurance_id: str = Field(primary_key=True, max_length=36)
    member_id: str = Field(max_length=36)
    club_id: str = Field(max_length=36)
    valid_from: date
    valid_to: date


class ProjectionState(ReportingTable, table=True):
    """One row: a revision bumped by every applied batch, so readers (the live
    feed, caches) see that something changed without scanning."""

    __tablename__ = "projection_state"

    id: int = Field(default=1, primary_key=True)
    revision: int = 0
    applied_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    last_event_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))


class ClubTouch(ReportingTable, table=True):
    """The revision at which a batch last changed something of a club (caches
    recompute only those clubs), and when its province last sent data of it
    (the rollout view's "gone quiet")."""

    __tablename__ = "club_touch"

    club_id: str = Field(primary_key=True, max_length=36)
    revision: int = Field(index=True)
    province: str | None = Field(default=None, max_length=2, index=True)
    last_event_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    # The earliest date whose figures the club's changes since its snapshots were
    # last rewritten can alter (`domain.snapshots.changed_from`); NULL: none.
    changed_from: date | None = Field(default=None, index=True)


class ClubSnapshot(ReportingTable, table=True):
    """A club's facts as of the last day of a complete month, over the default
    period, with one older age (ADR 0008): what a past date reads instead of
    recomputing them from every fact."""

    __tablename__ = "club_snapshot"

    month_end: date = Field(primary_key=True)
    older_age: int = Field(primary_key=True)
    club_id: str = Field(primary_key=True, max_length=36)
    record: bytes = Field(sa_type=LargeBinary)  # the ClubRecord (compressed JSON)


class SnapshotMonth(ReportingTable, table=True):
    """A month whose snapshot holds every club active on its last day."""

    __tablename__ = "snapshot_month"

    month_end: date = Field(primary_key=True)
    older_age: int = Field(primary_key=True)
    built_at: datetime = Field(sa_column=_instant())


class RollupSnapshot(ReportingTable, table=True):
    """Every province's roll-up on a map (`per_province`), or the nation's, at a
    complete month's end, judged by the plans of `fingerprint` (ADR 0008): a
    quarter's end read for the first time costs one row, not every club."""

    __tablename__ = "rollup_snapshot"

    month_end: date = Field(primary_key=True)
    boundary: str = Field(primary_key=True, max_length=8)
    per_province: bool = Field(primary_key=True)
    fingerprint: str = Field(primary_key=True, max_length=64)
    body: bytes = Field(
        sa_type=LargeBinary
    )  # the roll-ups and the unplaced count (compressed JSON)


class TrendShares(ReportingTable, table=True):
    """The quality shares of the nation ("") or a province on a map at a
    month's end, as the indicators give them with the plans of `fingerprint`
    (ADR 0008): the trend charts' monthly points, kept by the snapshot job."""

    __tablename__ = "trend_shares"

    month_end: date = Field(primary_key=True)
    boundary: str = Field(primary_key=True, max_length=8)
    province: str = Field(primary_key=True, max_length=2)
    fingerprint: str = Field(max_length=64)
    members: int
    shares: str = Field(sa_type=Text)  # {flag: "12.50" or null} (JSON)


class Plan(ReportingTable, table=True):
    """A plan of a province or of the nation: its period, targets and bands."""

    __tablename__ = "plan"

    id: str = Field(primary_key=True, max_length=80)
    scope: str = Field(max_length=10)
    province: str | None = Field(default=None, max_length=2, index=True)
    period_start: date
    period_end: date
    body: str = Field(sa_type=Text)  # the plan as given (JSON), so it reads as written
    version: int = 1
    updated_at: datetime = Field(sa_column=_instant())
    updated_by: str = Field(max_length=200)


class IssuedReport(ReportingTable, table=True):
    """A report as it was issued: fetched again exactly so, whatever came later."""

    __tablename__ = "issued_report"

    id: str = Field(primary_key=True, max_length=36)
    scope: str = Field(max_length=10)
    province: str | None = Field(default=None, max_length=2, index=True)
    period_kind: str = Field(max_length=12)
    period_start: date
    period_end: date
    boundary: str = Field(max_length=8)
    issued_at: datetime = Field(sa_column=_instant())
    issued_by: str = Field(max_length=200)
    content: str = Field(sa_type=Text)  # the figures as issued (JSON)
    # `report_layout.issue_key`: one report per scope, province, period, map and
    # figures day, held by the database so concurrent issues cannot both insert.
    # NULL only on duplicates issued before the key existed (reporting0009).
    issue_key: str | None = Field(default=None, max_length=120, unique=True, index=True)


metadata = ReportingTable.metadata
