"""What the registry's API accepts and answers (pydantic models)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from ishc_contracts.registry_events import ActivityArea, BoardPosition, PovertyStatus, Sex
from ishc_platform.admin_units import search_key
from ishc_platform.validation import CalendarDate, CleanText, StrictModel, UtcInstant
from ishc_registry.domain.messages import Reason

# Free text people type: no control or bidi characters (CleanText), NFC, trimmed,
# then bounded; the bounds apply after trimming, so whitespace only is refused.
Text500 = Annotated[CleanText, StringConstraints(min_length=1, max_length=500)]
Text200 = Annotated[CleanText, StringConstraints(min_length=1, max_length=200)]
Text100 = Annotated[CleanText, StringConstraints(min_length=1, max_length=100)]
MAX_NAME = 200


def _searchable(name: str) -> str:
    # The stored search key (accents off, NFD) can be longer than the name: a Hangul
    # syllable is three letters in it. It must fit its column too.
    if len(search_key(name)) > MAX_NAME:
        raise ValueError(
            Reason(
                f"the name is too long to index (over {MAX_NAME} letters)",
                "too_long_to_index",
                max=MAX_NAME,
            )
        )
    return name


Name = Annotated[Text200, AfterValidator(_searchable)]
SearchText = Annotated[CleanText, StringConstraints(max_length=100)]
MAX_EXTERNAL_ID = 100
ExternalId = Annotated[
    CleanText,
    # A key, not prose: one line without tabs (CleanText lets a tab through).
    StringConstraints(min_length=1, max_length=MAX_EXTERNAL_ID, pattern=r"^[^\t]+$"),
]
CommuneCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{5}$")]
# Record ids are UUIDs (service.writes.new_id); anything else cannot name a record and
# must not reach the database (a NUL there is a PostgreSQL error).
ID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
RecordId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Count = Annotated[int, Field(ge=0, le=100_000)]
BirthYear = Annotated[int, Field(ge=1800, le=2200)]


class ClubIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "CLB Liên thế hệ Nhơn Phú",
                    "commune_code": "29623",
                    "hamlet": "Ấp 1",
                    "founded_on": "2018-03-15",
                    "external_id": "VL-A",
                }
            ]
        }
    )

    name: Name
    commune_code: CommuneCode | None = None
    legacy_commune_code: CommuneCode | None = None
    hamlet: Text100 | None = None
    founded_on: CalendarDate
    external_id: ExternalId | None = None


class ClubPatch(StrictModel):
    name: Name | None = None
    hamlet: Text100 | None = None
    founded_on: CalendarDate | None = None
    external_id: ExternalId | None = None


class RelocationIn(StrictModel):
    commune_code: CommuneCode | None = None
    legacy_commune_code: CommuneCode | None = None
    hamlet: Text100 | None = None
    relocated_on: CalendarDate


class DissolutionIn(StrictModel):
    dissolved_on: CalendarDate
    reason: Text500


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
    founded_on: CalendarDate
    external_id: str | None
    status: str
    dissolved_on: date | None
    version: int
    composition: CompositionOut | None = None


class MemberIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "full_name": "Nguyễn Thị Lan",
                    "sex": "female",
                    "birth_year": 1952,
                    "poverty_status": "near_poor",
                    "is_volunteer": True,
                    "joined_on": "2019-01-10",
                    "external_id": "M-1",
                }
            ]
        }
    )

    full_name: Name
    sex: Sex
    birth_year: BirthYear | None = None
    birth_date: CalendarDate | None = None
    poverty_status: PovertyStatus = PovertyStatus.NONE
    ethnic_minority: bool = False
    is_volunteer: bool = False
    joined_on: CalendarDate
    external_id: ExternalId | None = None


class MemberPatch(StrictModel):
    full_name: Name | None = None
    sex: Sex | None = None
    birth_year: BirthYear | None = None
    birth_date: CalendarDate | None = None
    poverty_status: PovertyStatus | None = None
    ethnic_minority: bool | None = None
    is_volunteer: bool | None = None
    joined_on: CalendarDate | None = None
    external_id: ExternalId | None = None


class LeaveIn(StrictModel):
    left_on: CalendarDate


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


class SeatIn(StrictModel):
    position: BoardPosition
    member_id: RecordId


class BoardIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "effective_on": "2025-01-01",
                    "seats": [
                        {"position": "chair", "member_id": "0f8fad5b-d9cb-469f-a165-70867728950e"}
                    ],
                }
            ]
        }
    )

    effective_on: CalendarDate
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


class MeetingIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "held_on": "2026-01-05",
                    "attendance": 42,
                    "hardship_cases_chosen": 2,
                    "hardship_cases_supported": 2,
                    "plan_recorded": True,
                }
            ]
        }
    )

    held_on: CalendarDate
    attendance: Count
    hardship_cases_chosen: Count = 0
    hardship_cases_supported: Count = 0
    plan_recorded: bool = False
    report_recorded: bool = False
    external_id: ExternalId | None = None


# Answers are not re-validated as input: a stored record always reads back.
class MeetingOut(BaseModel):
    id: str
    club_id: str
    held_on: date
    attendance: int
    hardship_cases_chosen: int
    hardship_cases_supported: int
    plan_recorded: bool
    report_recorded: bool
    external_id: str | None


class ActivityIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"area": "home_care", "held_on": "2026-01-06", "participants": 12}]
        }
    )

    area: ActivityArea
    held_on: CalendarDate
    participants: Count
    external_id: ExternalId | None = None


class ActivityOut(BaseModel):
    id: str
    club_id: str
    area: ActivityArea
    held_on: date
    participants: int
    external_id: str | None


class AuditOut(BaseModel):
    at: UtcInstant
    caller: str
    action: str
    club_id: str | None
    member_id: str | None
    count: int


class RowProblem(BaseModel):
    row: int = Field(description="the row number the spreadsheet shows (the header is row 1)")
    field: str = Field(description="the API's field, e.g. joined_on")
    message: str = Field(
        description="where and what, and what to do, in the language asked (lang=vi|en)"
    )
    column: str | None = Field(
        default=None, description="the column's header exactly as the file has it"
    )
    column_letter: str | None = Field(default=None, description="the column: A, B, ..., AA")
    code: str | None = Field(default=None, description="which check refused it, e.g. in_future")
    candidates: list[dict[str, str]] | None = Field(
        default=None,
        description="the communes meant, maybe: of an ambiguous name, or a split legacy code",
    )


class CommuneOut(BaseModel):
    code: str = Field(description="5 digits, on the map of `boundary`")
    name: str
    province_code: str = Field(description="2 digits, on the same map")
    province_name: str
    boundary: str = Field(description="current (since 1/7/2025) or legacy")


class ImportReport(BaseModel):
    kind: str
    dry_run: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    errors: list[RowProblem]
