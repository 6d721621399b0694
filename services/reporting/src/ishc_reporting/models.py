"""Tables of the reporting service (its own metadata, its own migration branch).

Projections keep facts with their dates, never running totals, so every
indicator can be computed as of any date and an event entered late lands in its
period. Each concern of an aggregate keeps the sequence of the event that last
set it: an older event arriving late fills what is missing and never overwrites
what a newer one set.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, DateTime, Index, MetaData, Text
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
    province: str = Field(max_length=2)
    sex: str | None = Field(default=None, max_length=6)
    birth_year: int | None = None  # the year only: the exact date never leaves the registry
    poverty_status: str | None = Field(default=None, max_length=13)
    is_volunteer: bool = False
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


metadata = ReportingTable.metadata
