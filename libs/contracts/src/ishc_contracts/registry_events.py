"""Payloads of the registry's events (stream `ishc.registry`).

Privacy: only what the indicators need — ids, commune codes, sex, birth year,
poverty status, flags and dates. Never names, phone numbers or addresses.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ishc_contracts.registry import event_type

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
    member_id: str
    club_id: str
    sex: Sex
    birth_year: Annotated[int, Field(ge=1850, le=2200)]
    birth_date: date | None = None
    poverty_status: PovertyStatus
    ethnic_minority: bool = False
    is_volunteer: bool = False


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
