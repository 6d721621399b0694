"""What the registry's API accepts and answers (pydantic models)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ishc_contracts.registry_events import ActivityArea, BoardPosition, PovertyStatus, Sex

Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text100 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
CommuneCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{5}$")]
ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Count = Annotated[int, Field(ge=0, le=100_000)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClubIn(_In):
    name: Text200
    commune_code: CommuneCode | None = None
    legacy_commune_code: CommuneCode | None = None
    hamlet: Text100 | None = None
    founded_on: date
    external_id: ExternalId | None = None


class ClubPatch(_In):
    name: Text200 | None = None
    hamlet: Text100 | None = None
    founded_on: date | None = None
    external_id: ExternalId | None = None


class RelocationIn(_In):
    commune_code: CommuneCode | None = None
    legacy_commune_code: CommuneCode | None = None
    hamlet: Text100 | None = None
    relocated_on: date


class DissolutionIn(_In):
    dissolved_on: date
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class CompositionOut(BaseModel):
    on: date
    older_age: int
    members: int
    women: int
    older: int
    younger: int
    poor: int
    near_poor: int
    disadvantaged: int
    volunteers: int
    ethnic_minority: int


class ClubOut(BaseModel):
    id: str
    name: str
    province: str
    commune_code: str
    legacy_commune_code: str | None
    hamlet: str | None
    founded_on: date
    external_id: str | None
    status: str
    dissolved_on: date | None
    version: int
    composition: CompositionOut | None = None


class MemberIn(_In):
    full_name: Text200
    sex: Sex
    birth_year: Annotated[int, Field(ge=1800, le=2200)] | None = None
    birth_date: date | None = None
    poverty_status: PovertyStatus = PovertyStatus.NONE
    ethnic_minority: bool = False
    is_volunteer: bool = False
    joined_on: date
    external_id: ExternalId | None = None


class MemberPatch(_In):
    full_name: Text200 | None = None
    sex: Sex | None = None
    birth_year: Annotated[int, Field(ge=1800, le=2200)] | None = None
    birth_date: date | None = None
    poverty_status: PovertyStatus | None = None
    ethnic_minority: bool | None = None
    is_volunteer: bool | None = None
    joined_on: date | None = None
    external_id: ExternalId | None = None


class LeaveIn(_In):
    left_on: date


class MemberOut(BaseModel):
    id: str
    club_id: str
    province: str
    full_name: str
    sex: Sex
    birth_year: int
    birth_date: date | None
    poverty_status: PovertyStatus
    ethnic_minority: bool
    is_volunteer: bool
    joined_on: date
    left_on: date | None
    external_id: str | None
    erased: bool
    version: int


class SeatIn(_In):
    position: BoardPosition
    member_id: Annotated[str, StringConstraints(min_length=1, max_length=36)]


class BoardIn(_In):
    effective_on: date
    seats: Annotated[list[SeatIn], Field(max_length=20)]


class SeatOut(BaseModel):
    position: BoardPosition
    member_id: str
    from_on: date
    to_on: date | None


class BoardOut(BaseModel):
    club_id: str
    complete: bool
    seats: list[SeatOut]
    history: list[SeatOut] | None = None


class MeetingIn(_In):
    held_on: date
    attendance: Count
    hardship_cases_chosen: Count = 0
    hardship_cases_supported: Count = 0
    plan_recorded: bool = False
    report_recorded: bool = False
    external_id: ExternalId | None = None


class MeetingOut(MeetingIn):
    id: str
    club_id: str


class ActivityIn(_In):
    area: ActivityArea
    held_on: date
    participants: Count
    external_id: ExternalId | None = None


class ActivityOut(ActivityIn):
    id: str
    club_id: str


class AuditOut(BaseModel):
    at: datetime
    caller: str
    action: str
    club_id: str | None
    member_id: str | None
    count: int


class RowProblem(BaseModel):
    row: int
    field: str
    message: str


class ImportReport(BaseModel):
    kind: str
    dry_run: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    errors: list[RowProblem]
