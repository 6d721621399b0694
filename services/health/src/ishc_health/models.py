"""Tables of the health service (its own metadata, its own migration branch).

Clinical values are never stored in clear: a check's values are one encrypted
document (`values_sealed`, see `adapters/sealing.py`), as are an insurance card's
number and a community person's name, so a database dump alone reveals none of
them. What reporting needs (who was checked, when, by whom) is in clear.

The service also keeps the shared directory of clubs and members
(`ishc_platform.directory`), built from registry events.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, DateTime, Index, MetaData, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from ishc_contracts.health_events import Beneficiary, Checker
from ishc_platform.directory import directory_metadata


class HealthTable(SQLModel):
    metadata = MetaData()


def _instant() -> Column:  # type: ignore[type-arg,unused-ignore]
    return Column(DateTime(timezone=True), nullable=False)


def _sealed(nullable: bool = False) -> Column:  # type: ignore[type-arg,unused-ignore]
    return Column(Text, nullable=nullable)


class Consent(HealthTable, table=True):
    """A member's consent (sự đồng ý) to the processing of their health data, with
    its purpose and scope; withdrawn, it stops new records and hides the old ones
    from everyone but an auditor. Both the giving and the withdrawal are kept."""

    __tablename__ = "consent"

    id: str = Field(primary_key=True, max_length=36)
    member_id: str = Field(max_length=36, index=True)
    club_id: str = Field(max_length=36, index=True)
    given_on: date
    purpose: str = Field(max_length=500)
    scopes: str = Field(max_length=100)  # ConsentScope values, comma-separated
    recorded_by: str = Field(max_length=200)
    withdrawn_on: date | None = None
    withdrawn_by: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(sa_column=_instant())


class HealthCheck(HealthTable, table=True):
    """A health check (lần khám): when, by whom, and its values, sealed."""

    __tablename__ = "health_check"
    __table_args__ = (Index("ix_health_check_member_on", "member_id", "checked_on"),)

    id: str = Field(primary_key=True, max_length=36)
    member_id: str = Field(max_length=36)
    club_id: str = Field(max_length=36, index=True)
    checked_on: date
    checker: Checker = Field(sa_type=String(10))
    checker_member_id: str | None = Field(default=None, max_length=36)  # the volunteer
    values_sealed: str | None = Field(default=None, sa_column=_sealed(nullable=True))
    recorded_by: str = Field(max_length=200)
    erased_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    external_id: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(sa_column=_instant())


class HealthBookAccess(HealthTable, table=True):
    """Who read or exported whose health book, when and why (the audit the
    province can query; PDPL 91/2025 access control)."""

    __tablename__ = "health_book_access"
    __table_args__ = (Index("ix_health_book_access_province_at", "province", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: str = Field(max_length=36, index=True)
    club_id: str = Field(max_length=36)
    province: str = Field(max_length=2)
    accessed_by: str = Field(max_length=200)
    role: str = Field(max_length=20)
    action: str = Field(max_length=20)  # read, print, export, audit-read, erase
    reason: str = Field(max_length=500)
    at: datetime = Field(sa_column=_instant())


class ExerciseSession(HealthTable, table=True):
    """A session of dưỡng sinh held by a club."""

    __tablename__ = "exercise_session"
    __table_args__ = (UniqueConstraint("club_id", "external_id", name="uq_exercise_key"),)

    id: str = Field(primary_key=True, max_length=36)
    club_id: str = Field(max_length=36, index=True)
    held_on: date
    participants: int
    external_id: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(sa_column=_instant())


class CommunityPerson(HealthTable, table=True):
    """A person of the community a club's volunteers care for at home, who is not a
    member: known only to this service, the name sealed."""

    __tablename__ = "community_person"

    id: str = Field(primary_key=True, max_length=36)
    club_id: str = Field(max_length=36, index=True)
    name_sealed: str = Field(sa_column=_sealed())
    created_at: datetime = Field(sa_column=_instant())


class HomeCareVisit(HealthTable, table=True):
    """A volunteer's visit to a member or a community person at home."""

    __tablename__ = "home_care_visit"

    id: str = Field(primary_key=True, max_length=36)
    club_id: str = Field(max_length=36, index=True)
    volunteer_id: str = Field(max_length=36, index=True)
    beneficiary: Beneficiary = Field(sa_type=String(10))
    beneficiary_id: str = Field(max_length=36, index=True)  # a member or a CommunityPerson
    visited_on: date
    tasks: str = Field(max_length=200)  # CareTask values, comma-separated
    note_sealed: str | None = Field(default=None, sa_column=_sealed(nullable=True))
    external_id: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(sa_column=_instant())


class Insurance(HealthTable, table=True):
    """A member's health insurance (bảo hiểm y tế, BHYT) for a validity period."""

    __tablename__ = "insurance"

    id: str = Field(primary_key=True, max_length=36)
    member_id: str = Field(max_length=36, index=True)
    club_id: str = Field(max_length=36, index=True)
    valid_from: date
    valid_to: date
    card_sealed: str | None = Field(default=None, sa_column=_sealed(nullable=True))
    created_at: datetime = Field(sa_column=_instant())


metadata = HealthTable.metadata
MIGRATION_BRANCHES = ("directory",)
SHARED_METADATA = (directory_metadata,)
