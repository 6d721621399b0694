"""Tables of the registry service (its own metadata and migration branch)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, DateTime, Index, MetaData, String, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from ishc_contracts.registry_events import ActivityArea, BoardPosition, PovertyStatus, Sex


class RegistryTable(SQLModel):
    metadata = MetaData()


def _instant() -> Column:  # type: ignore[type-arg,unused-ignore]
    return Column(DateTime(timezone=True), nullable=False)


class Club(RegistryTable, table=True):
    """Câu lạc bộ liên thế hệ tự giúp nhau."""

    __tablename__ = "club"
    __table_args__ = (UniqueConstraint("province", "external_id", name="uq_club_external_id"),)

    id: str = Field(primary_key=True, max_length=36)
    province: str = Field(max_length=2, index=True)
    commune_code: str = Field(max_length=5, index=True)
    legacy_commune_code: str | None = Field(default=None, max_length=5)
    hamlet: str | None = Field(default=None, max_length=100)
    name: str = Field(max_length=200)
    name_key: str = Field(max_length=200, index=True)
    founded_on: date
    external_id: str | None = Field(default=None, max_length=100)
    dissolved_on: date | None = None
    dissolution_reason: str | None = Field(default=None, max_length=500)
    version: int = 1
    created_at: datetime = Field(sa_column=_instant())
    updated_at: datetime = Field(sa_column=_instant())


class Member(RegistryTable, table=True):
    """A membership: one person in one club from `joined_on` until `left_on`."""

    __tablename__ = "member"
    __table_args__ = (
        Index(
            "uq_member_active_external_id",
            "province",
            "external_id",
            unique=True,
            postgresql_where=text("left_on IS NULL"),
            sqlite_where=text("left_on IS NULL"),
        ),
    )

    id: str = Field(primary_key=True, max_length=36)
    club_id: str = Field(foreign_key="club.id", max_length=36, index=True)
    province: str = Field(max_length=2, index=True)
    full_name: str = Field(max_length=200)
    name_key: str = Field(max_length=200, index=True)
    sex: Sex = Field(sa_type=String(6))
    birth_year: int
    birth_date: date | None = None
    poverty_status: PovertyStatus = Field(sa_type=String(13))
    ethnic_minority: bool = False
    is_volunteer: bool = False
    joined_on: date
    left_on: date | None = None
    external_id: str | None = Field(default=None, max_length=100)
    erased_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    version: int = 1
    created_at: datetime = Field(sa_column=_instant())
    updated_at: datetime = Field(sa_column=_instant())


class BoardSeat(RegistryTable, table=True):
    """A seat on the club board, held from `from_on` until `to_on` (history kept)."""

    __tablename__ = "board_seat"

    id: int | None = Field(default=None, primary_key=True)
    club_id: str = Field(foreign_key="club.id", max_length=36, index=True)
    member_id: str = Field(foreign_key="member.id", max_length=36)
    position: BoardPosition = Field(sa_type=String(10))
    from_on: date
    to_on: date | None = None


class Meeting(RegistryTable, table=True):
    """A monthly meeting, with the hardship cases it chose and supported."""

    __tablename__ = "meeting"
    __table_args__ = (UniqueConstraint("province", "external_id", name="uq_meeting_external_id"),)

    id: str = Field(primary_key=True, max_length=36)
    club_id: str = Field(foreign_key="club.id", max_length=36, index=True)
    province: str = Field(max_length=2)
    held_on: date
    attendance: int
    hardship_cases_chosen: int
    hardship_cases_supported: int
    plan_recorded: bool
    report_recorded: bool
    external_id: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(sa_column=_instant())


class Activity(RegistryTable, table=True):
    """An activity in one of the eight areas."""

    __tablename__ = "activity"
    __table_args__ = (UniqueConstraint("province", "external_id", name="uq_activity_external_id"),)

    id: str = Field(primary_key=True, max_length=36)
    club_id: str = Field(foreign_key="club.id", max_length=36, index=True)
    province: str = Field(max_length=2)
    area: ActivityArea = Field(sa_type=String(24))
    held_on: date
    participants: int
    external_id: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(sa_column=_instant())


class AuditEntry(RegistryTable, table=True):
    """Who read, exported or erased which member's personal data, and when."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=_instant())
    caller: str = Field(max_length=200)
    province: str = Field(max_length=2, index=True)
    action: str = Field(max_length=20)
    club_id: str | None = Field(default=None, max_length=36)
    member_id: str | None = Field(default=None, max_length=36, index=True)
    count: int = 1


metadata = RegistryTable.metadata
