"""One builder per event: what each payload says, and what it never says (unit)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ishc_contracts import payload_model
from ishc_contracts import registry_events as ev
from ishc_registry.domain import events


@dataclass
class ClubRecord:
    id: str = "c-1"
    name: str = "CLB Nhơn Phú"
    commune_code: str = "29623"
    legacy_commune_code: str | None = None
    founded_on: date = date(2018, 3, 15)


@dataclass
class MemberRecord:
    id: str = "m-1"
    club_id: str = "c-1"
    full_name: str = "Nguyễn Thị Lan"
    sex: str = "female"
    birth_year: int = 1952
    birth_date: date | None = date(1952, 7, 23)
    poverty_status: str = "near_poor"
    is_volunteer: bool = True
    ethnic_minority: bool = True
    joined_on: date = date(2019, 1, 10)


def test_club_payloads_carry_the_name() -> None:
    club = ClubRecord()
    registered = events.club_registered(club)
    assert registered == ev.ClubRegistered(
        club_id="c-1", name="CLB Nhơn Phú", commune_code="29623", founded_on=date(2018, 3, 15)
    )
    assert events.club_updated(club).model_dump() == registered.model_dump()
    moved = events.club_relocated(club, date(2025, 7, 1))
    assert (moved.name, moved.relocated_on) == ("CLB Nhơn Phú", date(2025, 7, 1))
    assert events.club_dissolved("c-1", date(2025, 8, 1)).dissolved_on == date(2025, 8, 1)


def test_member_payloads_say_no_name_or_birth_date() -> None:
    record = MemberRecord()
    joined = events.member_joined(record)
    assert set(joined.model_dump()) == {
        "member_id",
        "club_id",
        "sex",
        "birth_year",
        "poverty_status",
        "is_volunteer",
        "ethnic_minority",  # the flag only (ADR 0007)
        "joined_on",
    }
    assert (joined.member_id, joined.birth_year, joined.is_volunteer) == ("m-1", 1952, True)
    assert joined.ethnic_minority is True
    # The import's bulk rows (mappings) give the same payload as the record.
    row = {**record.__dict__}
    assert events.member_joined(row) == joined
    assert events.member_updated(row).model_dump() == joined.model_dump()
    assert events.member_left("m-1", "c-1", date(2025, 1, 1)) == ev.MemberLeft(
        member_id="m-1", club_id="c-1", left_on=date(2025, 1, 1)
    )


def test_board_meeting_and_activity_payloads() -> None:
    changed = events.board_changed(
        "c-1", date(2025, 1, 1), [(ev.BoardPosition.CHAIR, "m-1")], complete=False
    )
    assert changed.seats == [ev.BoardSeatFacts(position=ev.BoardPosition.CHAIR, member_id="m-1")]

    @dataclass
    class Meeting:
        id: str = "mt-1"
        club_id: str = "c-1"
        held_on: date = date(2026, 1, 5)
        attendance: int = 30
        hardship_cases_chosen: int = 2
        hardship_cases_supported: int = 1
        plan_recorded: bool = True
        report_recorded: bool = False
        external_id: str | None = "MT-1"

    @dataclass
    class Activity:
        id: str = "a-1"
        club_id: str = "c-1"
        area: str = "home_care"
        held_on: date = date(2026, 1, 6)
        participants: int = 12
        external_id: str | None = "A-1"

    meeting = events.meeting_held(Meeting())
    assert (meeting.meeting_id, meeting.attendance, meeting.plan_recorded) == ("mt-1", 30, True)
    assert "external_id" not in meeting.model_dump()
    activity = events.activity_held(Activity())
    assert (activity.activity_id, activity.area) == ("a-1", ev.ActivityArea.HOME_CARE)


def test_each_payload_is_published_as_the_type_its_contract_registers() -> None:
    for model, event_type in events.EVENT_TYPES.items():
        assert payload_model(event_type) is model
    assert events.event_type_of(events.club_registered(ClubRecord())) == (
        "ishc.registry.club.registered.v1"
    )
