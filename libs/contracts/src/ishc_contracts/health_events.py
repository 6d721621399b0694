"""Payloads of the health service's events (stream `ishc.health`).

Health data is sensitive personal data (PDPL 91/2025/QH15): these events carry ids,
dates, kinds and counts, never a clinical value, a name, a card number or a note,
and a check's event does not say whether anything was abnormal. Which member was
checked, visited or insured is marked `personal`: the event log's public view
leaves it out. Subjects: consent, check and insurance events are the member's;
session and visit events the club's.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ishc_contracts.registry import PERSONAL, event_type

STREAM = "ishc.health"


class ConsentScope(StrEnum):
    """What a member agreed to (phạm vi đồng ý)."""

    HEALTH_CHECKS = "health_checks"  # khám, theo dõi sức khỏe
    HOME_CARE = "home_care"  # chăm sóc tại nhà


class Checker(StrEnum):
    STATION = "station"  # trạm y tế xã
    VOLUNTEER = "volunteer"  # tình nguyện viên


class Beneficiary(StrEnum):
    MEMBER = "member"
    COMMUNITY = "community"  # a person of the community, not a member


class CareTask(StrEnum):
    TALKING = "talking"  # trò chuyện
    COOKING = "cooking"  # nấu ăn
    LAUNDRY = "laundry"  # giặt giũ
    HOUSEWORK = "housework"  # dọn dẹp nhà cửa
    CLINIC = "clinic"  # đưa đi khám
    OTHER = "other"


class _Payload(BaseModel):
    # Additive changes only: consumers must accept fields they do not know yet.
    model_config = ConfigDict(extra="ignore", frozen=True)


@event_type("ishc.health.consent.given.v1")
class ConsentGiven(_Payload):
    consent_id: str
    member_id: Annotated[str, PERSONAL]
    club_id: str
    given_on: date
    scopes: list[ConsentScope]


@event_type("ishc.health.consent.withdrawn.v1")
class ConsentWithdrawn(_Payload):
    consent_id: str
    member_id: Annotated[str, PERSONAL]
    club_id: str
    withdrawn_on: date


@event_type("ishc.health.check.done.v1")
class HealthCheckDone(_Payload):
    """A check happened: who was checked, when and by whom, never what was found."""

    check_id: str
    member_id: Annotated[str, PERSONAL]
    club_id: str
    checked_on: date
    checker: Checker


@event_type("ishc.health.exercise.held.v1")
class ExerciseSessionHeld(_Payload):
    """A session of dưỡng sinh."""

    session_id: str
    club_id: str
    held_on: date
    participants: Annotated[int, Field(ge=0)]


@event_type("ishc.health.visit.made.v1")
class HomeCareVisitMade(_Payload):
    """A volunteer's home-care visit. `beneficiary_id` is a member's id or the
    health service's own id for a person of the community (whose name stays there),
    so reporting counts the people cared for without knowing who they are."""

    visit_id: str
    club_id: str
    volunteer_id: Annotated[str, PERSONAL]
    beneficiary: Beneficiary
    beneficiary_id: Annotated[str, PERSONAL]
    visited_on: date
    tasks: list[CareTask]


@event_type("ishc.health.insurance.recorded.v1")
class InsuranceRecorded(_Payload):
    """A member's health insurance (BHYT) and its validity (the card number stays
    in the health service)."""

    insurance_id: str
    member_id: Annotated[str, PERSONAL]
    club_id: str
    valid_from: date
    valid_to: date
