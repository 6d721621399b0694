"""The envelope and the payload contracts (unit: no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from pydantic import BaseModel

from ishc_contracts import (
    MalformedEvent,
    UnknownEventType,
    known_event_types,
    new_event_id,
    parse_event,
    payload_model,
    personal_fields,
    public_view,
)
from ishc_contracts.registry_events import MemberJoined, Sex


def envelope(**overrides: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "id": str(new_event_id()),
        "type": "ishc.registry.member.joined.v1",
        "source": "/ishc/registry",
        "time": "2026-03-01T08:00:00+07:00",
        "subject": "m-1",
        "sequence": 1,
        "province": "86",
        "traceparent": None,
        "data": {
            "member_id": "m-1",
            "club_id": "c-1",
            "sex": "female",
            "birth_year": 1955,
            "poverty_status": "near_poor",
            "joined_on": "2026-03-01",
        },
    }
    raw.update(overrides)
    return raw


def test_a_valid_event_parses_into_its_payload_model() -> None:
    event = parse_event(envelope())
    assert isinstance(event.payload, MemberJoined)
    assert event.payload.sex is Sex.FEMALE
    assert event.envelope.time == datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    assert event.envelope.service == "registry" and event.envelope.version == 1


def test_json_bytes_parse_the_same_way() -> None:
    import json

    raw = envelope()
    assert parse_event(json.dumps(raw).encode()).envelope.id == UUID(raw["id"])


def test_an_unknown_type_is_rejected() -> None:
    with pytest.raises(UnknownEventType, match=r"ishc\.registry\.member\.flew\.v1"):
        parse_event(envelope(type="ishc.registry.member.flew.v1"))


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"type": "member.joined"}, "type"),
        ({"province": "8"}, "province"),
        ({"sequence": 0}, "sequence"),
        ({"time": "2026-03-01T08:00:00"}, "time"),  # no time zone
        ({"id": "not-a-uuid"}, "id"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_a_bad_envelope_names_the_field(override: dict[str, Any], field: str) -> None:
    with pytest.raises(MalformedEvent) as caught:
        parse_event(envelope(**override))
    assert field in [e["field"] for e in caught.value.errors]


def test_a_bad_payload_names_the_field_and_applies_nothing() -> None:
    raw = envelope()
    raw["data"]["sex"] = "x"
    with pytest.raises(MalformedEvent) as caught:
        parse_event(raw)
    assert [e["field"] for e in caught.value.errors] == ["data.sex"]


def test_not_json_is_malformed() -> None:
    with pytest.raises(MalformedEvent, match="not JSON"):
        parse_event(b"{nope")
    with pytest.raises(MalformedEvent, match="not a JSON object"):
        parse_event(b"[1, 2]")


def test_event_ids_are_uuid7_and_increase() -> None:
    ids = [new_event_id() for _ in range(50)]
    assert all(i.version == 7 for i in ids)
    assert ids == sorted(ids)


def test_payloads_accept_additive_fields_from_newer_publishers() -> None:
    raw = envelope()
    raw["data"]["added_in_a_later_version"] = True
    assert isinstance(parse_event(raw).payload, MemberJoined)


PERSONAL = ("name", "phone", "address", "email", "identity", "note")
# A club's name is public (it is on the club's sign and the dashboard's club
# page); it is the one name an event may carry (docs/adr/0003-reporting.md).
PUBLIC_NAMES = {
    (f"ishc.registry.club.{verb}.v1", "name") for verb in ("registered", "updated", "relocated")
}


@pytest.mark.parametrize("event_type", known_event_types())
def test_no_payload_carries_personal_details(event_type: str) -> None:
    model: type[BaseModel] = payload_model(event_type)
    leaks = [
        f
        for f in model.model_fields
        if any(word in f for word in PERSONAL) and (event_type, f) not in PUBLIC_NAMES
    ]
    assert leaks == [], f"{event_type} carries {leaks}"


@pytest.mark.parametrize("verb", ["joined", "updated"])
def test_the_ethnic_minority_flag_is_personal_and_defaults_to_false(verb: str) -> None:
    # ADR 0007: a sensitive attribute, so the log's public view must leave it out.
    event_type = f"ishc.registry.member.{verb}.v1"
    assert "ethnic_minority" in personal_fields(event_type)
    raw = envelope(type=event_type)
    assert parse_event(raw).payload.ethnic_minority is False  # type: ignore[attr-defined]
    raw["data"]["ethnic_minority"] = True
    assert parse_event(raw).payload.ethnic_minority is True  # type: ignore[attr-defined]
    public = public_view(raw)
    assert "ethnic_minority" not in public["data"]
    assert public["data"]["member_id"] == "m-1"  # ids and dates stay public
