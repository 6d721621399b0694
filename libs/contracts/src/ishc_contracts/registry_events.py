"""Payloads of the registry's events (stream `ishc.registry`).

Privacy (docs/adr/0004-personal-data-in-events.md, amended by
docs/adr/0007-ethnic-minority-flag.md): only what the indicators need — ids,
commune codes, sex, birth year, poverty status, the volunteer and
ethnic-minority flags and dates. Never names, phone numbers, addresses, an
exact birth date or the ethnicity itself (only whether the person belongs to an
ethnic minority). The person's attributes are marked `PERSONAL`: the event
log's public view leaves them out.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ishc_contracts.registry import PERSONAL, event_type

CommuneCode = Annotated[str, Field(pattern=r"^[0-9]{5}$")]
STREAM = "ishc.registry"


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"


class PovertyStatus(StrEnum):
    POOR = "poor"
    NEAR_POOR = "near_poor"
    DISADVANTAGED = "disadvantaged"
    NONE = "none"


class _Payload(BaseModel):
    # Additive changes only: consumers must accept fields they do not know yet.
    model_config = ConfigDict(extra="ignore", frozen=True)


class ClubPlacement(_Payload):
    club_id: str
    name: str | None = None  # a club's name is public (added in v1, so optional)
    commune_code: CommuneCode
    legacy_commune_code: CommuneCode | None = None


@event_type("ishc.registry.club.registered.v1")
class ClubRegistered(ClubPlacement):
    founded_on: date


@event_type("ishc.registry.club.updated.v1")
class ClubUpdated(ClubPlacement):
    founded_on: date


@event_type("ishc.registry.club.relocated.v1")
class ClubRelocated(ClubPlacement):
    relocated_on: date


@event_type("ishc.registry.club.dissolved.v1")
class ClubDissolved(_Payload):
    club_id: str
    dissolved_on: date


class MemberFacts(_Payload):
    """What the indicators need of a person. Events before ADR 0004 also carried
    `birth_date`; they still parse (unknown fields are ignored), and the
    registry's migration removed it from its log.

    `ethnic_minority` came back with ADR 0007 for the plans' priority counts: a
    flag, never the ethnicity, and sensitive data, so `PERSONAL`. Events written
    without it parse as False; erasing the member sets it back to False in the
    registry's log."""

    member_id: str
    club_id: str
    sex: Annotated[Sex, PERSONAL]
    birth_year: Annotated[int, Field(ge=1850, le=2200), PERSONAL]
    poverty_status: Annotated[PovertyStatus, PERSONAL]
    is_volunteer: Annotated[bool, PERSONAL] = False
    ethnic_minority: Annotated[bool, PERSONAL] = False


@event_type("ishc.registry.member.joined.v1")
class MemberJoined(MemberFacts):
    joined_on: date


@event_type("ishc.registry.member.updated.v1")
class MemberUpdated(MemberFacts):
    joined_on: date


@event_type("ishc.registry.member.left.v1")
class MemberLeft(_Payload):
    member_id: str
    club_id: str
    left_on: date


class BoardPosition(StrEnum):
    """Ban chủ nhiệm: chủ nhiệm, phó chủ nhiệm, ủy viên."""

    CHAIR = "chair"
    VICE_CHAIR = "vice_chair"
    MEMBER = "member"


class ActivityArea(StrEnum):
    """The eight activity areas of the HelpAge model."""

    INCOME_GENERATION = "income_generation"  # tăng thu nhập
    HEALTH_CARE = "health_care"  # chăm sóc sức khỏe
    HOME_CARE = "home_care"  # chăm sóc tại nhà
    SELF_HELP = "self_help"  # tự giúp nhau và hỗ trợ cộng đồng
    RIGHTS = "rights"  # hoạt động quyền và lợi ích
    LIFELONG_LEARNING = "lifelong_learning"  # nâng cao nhận thức, học tập suốt đời
    SPIRITUAL_CULTURAL = "spiritual_cultural"  # chăm sóc đời sống tinh thần
    RESOURCE_MOBILISATION = "resource_mobilisation"  # vận động nguồn lực


class BoardSeatFacts(_Payload):
    position: BoardPosition
    member_id: str


@event_type("ishc.registry.board.changed.v1")
class BoardChanged(_Payload):
    club_id: str
    effective_on: date
    seats: list[BoardSeatFacts]
    complete: bool


@event_type("ishc.registry.meeting.held.v1")
class MeetingHeld(_Payload):
    meeting_id: str
    club_id: str
    held_on: date
    attendance: Annotated[int, Field(ge=0)]
    hardship_cases_chosen: Annotated[int, Field(ge=0)]
    hardship_cases_supported: Annotated[int, Field(ge=0)]
    plan_recorded: bool
    report_recorded: bool


@event_type("ishc.registry.activity.held.v1")
class ActivityHeld(_Payload):
    activity_id: str
    club_id: str
    area: ActivityArea
    held_on: date
    participants: Annotated[int, Field(ge=0)]
