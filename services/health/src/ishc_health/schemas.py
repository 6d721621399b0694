"""Typed request and response models of the health service's routes.

Request bodies are `StrictModel`s (an unknown field is a 422 naming it); dates are
`CalendarDate`s; text people type is `CleanText`; lists are
`ishc_platform.pagination.Page[T]`. Clinical values are answered only to province
tokens of the member's province.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from ishc_contracts.health_events import Beneficiary, CareTask, Checker, ConsentScope
from ishc_health.domain import checks as check_rules
from ishc_health.domain import consent as consent_rules
from ishc_health.domain import insurance as insurance_rules
from ishc_platform.pagination import Page
from ishc_platform.validation import CalendarDate, CleanText, StrictModel, UtcInstant

ID_PATTERN = r"^[0-9A-Za-z-]{1,36}$"
Text = Annotated[CleanText, StringConstraints(min_length=1, max_length=500)]
ExternalId = Annotated[
    CleanText,
    # a key, not prose: one line, no tab (CleanText lets a tab through)
    StringConstraints(min_length=1, max_length=100, pattern=r"^[^\t]+$"),
]
RecordId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]

# --- consent, health checks, the health book, insurance, the audit, erasure ---

Reason = Annotated[
    Text, Field(description="why the health data is read, printed, exported or erased")
]
Reading = Annotated[int, Field(strict=True, description="a whole number")]
StationName = Annotated[CleanText, StringConstraints(min_length=1, max_length=200)]
Measure = Annotated[
    Decimal,
    BeforeValidator(check_rules.measure),
    Field(description='a decimal number, as a JSON number (61.7) or a string ("61.7")'),
]


class ConsentIn(StrictModel):
    """The member's consent to the processing of their health data (sự đồng ý)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "given_on": "2026-11-02",
                    "purpose": "Khám sức khỏe định kỳ và lập sổ theo dõi sức khỏe",
                    "scopes": ["health_checks", "home_care"],
                }
            ]
        }
    )

    given_on: CalendarDate
    purpose: Text
    scopes: Annotated[
        list[ConsentScope], Field(min_length=1, max_length=10, description="each kept once")
    ]


class ConsentWithdrawalIn(StrictModel):
    withdrawn_on: CalendarDate


class ConsentOut(BaseModel):
    id: str
    member_id: str
    club_id: str
    province: str
    given_on: date
    purpose: str
    scopes: list[ConsentScope]
    recorded_by: str
    standing: bool = Field(description="given and not withdrawn")
    withdrawn_on: date | None
    withdrawn_by: str | None


class HealthCheckIn(StrictModel):
    """A health check: when, who checked, and what was measured. Every value is
    optional and range-checked; they are sealed at rest and read back only in the
    health book."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "checked_on": "2026-11-20",
                    "checker": "station",
                    "station": "Trạm y tế xã Long Hồ",
                    "systolic_mmhg": 135,
                    "diastolic_mmhg": 85,
                    "pulse_bpm": 76,
                    "weight_kg": 52.5,
                    "height_cm": "155.0",
                    "glucose_mmol_l": 6.1,
                }
            ]
        }
    )

    checked_on: CalendarDate
    checker: Checker
    checker_member_id: RecordId | None = Field(
        default=None, description="with checker volunteer: a volunteer of the member's club"
    )
    station: StationName | None = Field(default=None, description="the health station, sealed")
    systolic_mmhg: Reading | None = Field(default=None, description="60–260 mmHg")
    diastolic_mmhg: Reading | None = Field(
        default=None, description="30–160 mmHg, below the systolic"
    )
    pulse_bpm: Reading | None = Field(default=None, description="30–220 beats a minute")
    weight_kg: Measure | None = Field(default=None, description="20–250 kg, 1 decimal")
    height_cm: Measure | None = Field(default=None, description="100–220 cm, 1 decimal")
    glucose_mmol_l: Measure | None = Field(default=None, description="1.0–35.0 mmol/L, 1 decimal")
    external_id: ExternalId | None = None


class HealthCheckOut(BaseModel):
    """A check as recorded. It repeats no value (answers to a POST are kept for
    idempotent replays): the values are read in the health book."""

    id: str
    member_id: str
    club_id: str
    province: str
    checked_on: date
    checker: Checker
    checker_member_id: str | None
    erased: bool = Field(description="its values were erased on the member's request")
    external_id: str | None
    recorded_by: str


class CheckValuesOut(BaseModel):
    """Decimals as strings ("61.7"), so no precision is lost."""

    systolic_mmhg: int | None = None
    diastolic_mmhg: int | None = None
    pulse_bpm: int | None = None
    weight_kg: str | None = None
    height_cm: str | None = None
    glucose_mmol_l: str | None = None


class CheckFlagsOut(BaseModel):
    blood_pressure: check_rules.Level | None = Field(description="high at or above 140/90")
    bmi: check_rules.BmiBand | None = Field(description="bands for Asian adults (WHO 2004)")
    glucose: check_rules.Level | None = Field(description="low below 3.9, high from 7.0 mmol/L")


class TrendOut(BaseModel):
    direction: check_rules.Direction
    difference: int | str = Field(description="this value less the earlier one, signed")
    since: date = Field(description="the earlier check that measured it")


class BookCheckOut(BaseModel):
    id: str
    checked_on: date
    checker: Checker
    checker_member_id: str | None
    station: str | None
    erased: bool
    values: CheckValuesOut | None = Field(description="null once erased")
    bmi: str | None = Field(description="kg/m², 1 decimal (the last height when not measured)")
    flags: CheckFlagsOut
    trend: dict[str, TrendOut] = Field(description="per value, since the last check that had it")


class TwiceAYearOut(BaseModel):
    """Checks in the twelve months up to today (from the day after the same date a
    year before) against the rule of at least two."""

    window_from: date
    window_to: date
    checks: int
    required: int
    met: bool


class ConsentStateOut(BaseModel):
    state: consent_rules.ConsentState
    given_on: date | None = Field(description="of the standing consent, else the last one")
    withdrawn_on: date | None
    scopes: list[ConsentScope]


class HealthBookOut(BaseModel):
    """The member's health book (sổ theo dõi sức khỏe). After a withdrawal of
    consent it answers the consent's state and no check, except to an auditor."""

    member_id: str
    club_id: str
    province: str
    as_of: date
    consent: ConsentStateOut
    hidden: bool = Field(description="checks hidden by a withdrawn consent (not shown)")
    audit_view: bool = Field(description="an auditor reads what the withdrawal hides")
    checks: list[BookCheckOut]
    twice_a_year: TwiceAYearOut | None


class HealthBookExportOut(BaseModel):
    """The member's own copy (right of access, PDPL 91/2025)."""

    exported_at: UtcInstant
    exported_by: str
    consents: list[ConsentOut]
    book: HealthBookOut


class HealthBookAccessOut(BaseModel):
    """Who read, printed, exported or erased whose health data, when and why."""

    id: int
    at: UtcInstant
    accessed_by: str
    role: str
    province: str
    club_id: str
    member_id: str
    action: str
    reason: str


class HealthDataErasureIn(StrictModel):
    reason: Reason


class HealthDataErasureOut(BaseModel):
    """What erasure removed; the checks' dates stay, as anonymous counts."""

    member_id: str
    club_id: str
    province: str
    checks_kept: int = Field(description="the member's checks, dates kept")
    checks_erased: int = Field(description="checks whose values this request erased")
    insurance_cards_erased: int
    visit_notes_erased: int


# --- exercise sessions, home-care visits ---
# (and a member's health insurance: api/insurance.py)

MAX_PARTICIPANTS = 500
"""A bound before the rule: a session has no more participants than the club had
active members on the day (`domain.activities.check_participants`)."""
Name = Annotated[CleanText, StringConstraints(min_length=1, max_length=200)]


class ExerciseSessionIn(StrictModel):
    """A session of dưỡng sinh the club held."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"held_on": "2026-11-30", "participants": 42, "external_id": "DS-1130"}]
        }
    )

    held_on: CalendarDate
    participants: Annotated[
        int,
        Field(
            strict=True,
            ge=1,
            le=MAX_PARTICIPANTS,
            description="people who took part, at most the club's active members that day",
        ),
    ]
    external_id: ExternalId | None = None


class ExerciseSessionOut(BaseModel):
    id: str
    club_id: str
    province: str
    held_on: date
    participants: int
    external_id: str | None


class ExerciseSummaryOut(BaseModel):
    """The club's sessions over a period against the rule of at least 3 a week:
    sessions ÷ (days the club was active in the period ÷ 7)."""

    club_id: str
    province: str
    date_from: date
    date_to: date
    active_from: date | None = Field(description="first day of the period the club was active")
    active_to: date | None = Field(description="last such day (never after today)")
    days_active: int
    weeks_active: Decimal = Field(description="days_active ÷ 7, 2 decimals")
    sessions: int
    participants: int = Field(description="participants of all the sessions, added up")
    sessions_per_week: Decimal | None = Field(
        description="sessions ÷ weeks_active, 2 decimals (null: not active in the period)"
    )
    rule_per_week: int = Field(description="the Vĩnh Long plan's floor: 3 a week")
    meets_rule: bool | None = Field(
        description="sessions_per_week ≥ 3, decided on the exact ratio (null: not active)"
    )


class CommunityPersonIn(StrictModel):
    """A person of the community, not a member, cared for at home: the name is
    sealed and stays in this service."""

    name: Name


class HomeCareVisitIn(StrictModel):
    """A volunteer's home-care visit (chăm sóc tại nhà): who, whom, when, what."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "volunteer_id": "0193a0b2-7c1e-7d2a-9f00-4c1d2e3f4a5b",
                    "beneficiary": "community",
                    "community_person": {"name": "Trần Thị Bích Hạnh"},
                    "visited_on": "2026-11-28",
                    "tasks": ["talking", "cooking"],
                    "note": "Bà bị đau khớp gối, cần đưa đi khám.",
                },
                {
                    "volunteer_id": "0193a0b2-7c1e-7d2a-9f00-4c1d2e3f4a5b",
                    "beneficiary": "member",
                    "beneficiary_member_id": "0193a0b2-8d2f-7e3b-a011-5d2e3f4a5b6c",
                    "visited_on": "2026-11-29",
                    "tasks": ["laundry", "housework"],
                },
            ]
        }
    )

    volunteer_id: RecordId
    beneficiary: Beneficiary
    beneficiary_member_id: RecordId | None = Field(
        default=None, description="when beneficiary is member: a member of the same club"
    )
    community_person: CommunityPersonIn | None = Field(
        default=None, description="when beneficiary is community: a person visited the first time"
    )
    community_person_id: RecordId | None = Field(
        default=None,
        description="when beneficiary is community: the person of an earlier visit",
    )
    visited_on: CalendarDate
    tasks: Annotated[list[CareTask], Field(min_length=1, max_length=len(CareTask) * 2)]
    note: Text | None = Field(default=None, description="sealed at rest; read back with GET")
    external_id: ExternalId | None = None


class HomeCareVisitOut(BaseModel):
    """A visit as recorded. It repeats no name and no note (answers to a POST are
    kept for idempotent replays): read them back in the club's list of visits."""

    id: str
    club_id: str
    province: str
    volunteer_id: str
    beneficiary: Beneficiary
    beneficiary_member_id: str | None
    community_person_id: str | None
    visited_on: date
    tasks: list[CareTask]
    has_note: bool
    external_id: str | None


class HomeCareVisitDetailOut(HomeCareVisitOut):
    """A visit with the community person's name and the note, opened (province
    tokens of the club's province only)."""

    community_person_name: str | None
    note: str | None


class VisitSummaryOut(BaseModel):
    """Home care in a period as counts, naming no one."""

    club_id: str
    province: str
    date_from: date
    date_to: date
    visits: int
    people_cared_for: int = Field(description="distinct people visited, members and others")
    members_cared_for: int
    community_people_cared_for: int
    volunteers: int = Field(description="distinct volunteers who visited")
    by_task: dict[CareTask, int] = Field(description="visits that did each task")


CardNumber = Annotated[
    str,
    StringConstraints(max_length=40),
    AfterValidator(insurance_rules.card_number),
    Field(description="the BHYT card's 15 characters, e.g. HT2797924000123; sealed at rest"),
]


class InsuranceIn(StrictModel):
    """A member's health insurance card (thẻ BHYT) and its validity."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "valid_from": "2026-01-01",
                    "valid_to": "2026-12-31",
                    "card_number": "HT2797924000123",
                }
            ]
        }
    )

    valid_from: CalendarDate
    valid_to: CalendarDate
    card_number: CardNumber | None = None


class InsuranceOut(BaseModel):
    id: str
    member_id: str
    club_id: str
    province: str
    valid_from: date
    valid_to: date
    card_number_masked: str | None = Field(
        description='the first and last 3 characters only, e.g. "HT2•••••••••123"'
    )
    covers_today: bool


class InsurancePage(Page[InsuranceOut]):
    """The member's cards in order of validity, and whether one covers today."""

    member_id: str
    as_of: date
    covered_today: bool
