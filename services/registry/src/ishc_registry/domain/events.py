"""The payload of every event the registry publishes, one builder per event.

The API and the spreadsheet import both record their events through these, so
the same change publishes the same event whichever way it came in. Payloads
carry only what the contracts allow (ADR 0004): never a member's name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Protocol

from pydantic import BaseModel

from ishc_contracts import registry_events as ev


class ClubFacts(Protocol):
    """What a club event says of the club (a `models.Club` has these)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def commune_code(self) -> str: ...
    @property
    def legacy_commune_code(self) -> str | None: ...
    @property
    def founded_on(self) -> date: ...


class HeldFacts(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def club_id(self) -> str: ...


MEMBER_PAYLOAD_FIELDS = tuple(f for f in ev.MemberJoined.model_fields if f != "member_id")
"""What a member event says of the person (the contract's fields): no name."""


def _placement(club: ClubFacts) -> dict[str, Any]:
    return {
        "club_id": club.id,
        "name": club.name,
        "commune_code": club.commune_code,
        "legacy_commune_code": club.legacy_commune_code,
    }


def club_registered(club: ClubFacts) -> ev.ClubRegistered:
    return ev.ClubRegistered(**_placement(club), founded_on=club.founded_on)


def club_updated(club: ClubFacts) -> ev.ClubUpdated:
    return ev.ClubUpdated(**_placement(club), founded_on=club.founded_on)


def club_relocated(club: ClubFacts, relocated_on: date) -> ev.ClubRelocated:
    return ev.ClubRelocated(**_placement(club), relocated_on=relocated_on)


def club_dissolved(club_id: str, dissolved_on: date) -> ev.ClubDissolved:
    return ev.ClubDissolved(club_id=club_id, dissolved_on=dissolved_on)


def member_facts(member: object | Mapping[str, Any]) -> dict[str, Any]:
    """A member's facts for its events, from a `models.Member`, a row with its
    columns as attributes, or a mapping of its columns (bulk inserts)."""
    if isinstance(member, Mapping):
        values = member
    else:
        values = {f: getattr(member, f) for f in ("id", *MEMBER_PAYLOAD_FIELDS)}
    return {"member_id": values["id"], **{f: values[f] for f in MEMBER_PAYLOAD_FIELDS}}


def member_joined(member: object | Mapping[str, Any]) -> ev.MemberJoined:
    return ev.MemberJoined(**member_facts(member))


def member_updated(member: object | Mapping[str, Any]) -> ev.MemberUpdated:
    return ev.MemberUpdated(**member_facts(member))


def member_left(member_id: str, club_id: str, left_on: date) -> ev.MemberLeft:
    return ev.MemberLeft(member_id=member_id, club_id=club_id, left_on=left_on)


def board_changed(
    club_id: str, effective_on: date, seats: Sequence[tuple[ev.BoardPosition, str]], complete: bool
) -> ev.BoardChanged:
    return ev.BoardChanged(
        club_id=club_id,
        effective_on=effective_on,
        complete=complete,
        seats=[ev.BoardSeatFacts(position=p, member_id=m) for p, m in seats],
    )


def _held(record: HeldFacts, model: type[BaseModel], id_field: str) -> dict[str, Any]:
    fields = set(model.model_fields) - {id_field, "club_id"}
    return {
        id_field: record.id,
        "club_id": record.club_id,
        **{f: getattr(record, f) for f in fields},
    }


def meeting_held(meeting: HeldFacts) -> ev.MeetingHeld:
    return ev.MeetingHeld(**_held(meeting, ev.MeetingHeld, "meeting_id"))


def activity_held(activity: HeldFacts) -> ev.ActivityHeld:
    return ev.ActivityHeld(**_held(activity, ev.ActivityHeld, "activity_id"))


EVENT_TYPES: dict[type[BaseModel], str] = {
    ev.ClubRegistered: "ishc.registry.club.registered.v1",
    ev.ClubUpdated: "ishc.registry.club.updated.v1",
    ev.ClubRelocated: "ishc.registry.club.relocated.v1",
    ev.ClubDissolved: "ishc.registry.club.dissolved.v1",
    ev.MemberJoined: "ishc.registry.member.joined.v1",
    ev.MemberUpdated: "ishc.registry.member.updated.v1",
    ev.MemberLeft: "ishc.registry.member.left.v1",
    ev.BoardChanged: "ishc.registry.board.changed.v1",
    ev.MeetingHeld: "ishc.registry.meeting.held.v1",
    ev.ActivityHeld: "ishc.registry.activity.held.v1",
}
"""The event type each payload is published as."""


def event_type_of(payload: BaseModel) -> str:
    return EVENT_TYPES[type(payload)]
