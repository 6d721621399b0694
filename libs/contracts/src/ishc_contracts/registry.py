"""Which event types exist, and the payload model of each.

A payload is a contract: changes are additive only; a breaking change is a new
`vN` type, and consumers accept both while they migrate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from ishc_contracts.envelope import Envelope


class ContractError(ValueError):
    """An event that does not meet its contract; it must not be applied."""


class UnknownEventType(ContractError):
    def __init__(self, event_type: str) -> None:
        super().__init__(f"unknown event type {event_type!r}")
        self.event_type = event_type


class MalformedEvent(ContractError):
    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


@dataclass(frozen=True)
class Event[P: BaseModel]:
    """An envelope whose payload has been checked against its contract."""

    envelope: Envelope
    payload: P


_PAYLOADS: dict[str, type[BaseModel]] = {}

PERSONAL = Field(json_schema_extra={"personal": True})
"""Marks a payload field as an attribute of a person (`Annotated[T, PERSONAL]`):
consumers that own the right to it read it; the event log's public view omits it."""


def event_type[M: type[BaseModel]](name: str) -> Callable[[M], M]:
    """Register `model` as the payload of event type `name` (a class decorator)."""

    def register(model: M) -> M:
        if name in _PAYLOADS and _PAYLOADS[name] is not model:
            raise ValueError(f"event type {name!r} is registered twice")
        _PAYLOADS[name] = model
        return model

    return register


def type_of(payload: BaseModel) -> str:
    """The event type `payload` is published as (its model is registered once)."""
    for name, model in _PAYLOADS.items():
        if type(payload) is model:
            return name
    raise UnknownEventType(type(payload).__name__)


def payload_model(name: str) -> type[BaseModel]:
    try:
        return _PAYLOADS[name]
    except KeyError:
        raise UnknownEventType(name) from None


def personal_fields(name: str) -> frozenset[str]:
    """The payload fields of event type `name` that describe a person."""
    fields = _PERSONAL.get(name)
    if fields is None:
        model = payload_model(name)
        fields = frozenset(
            field
            for field, info in model.model_fields.items()
            if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get("personal")
        )
        _PERSONAL[name] = fields
    return fields


_PERSONAL: dict[str, frozenset[str]] = {}


def public_view(envelope: dict[str, Any]) -> dict[str, Any]:
    """An envelope without its personal attributes: what national and ops tokens
    see of the event log. An unknown type keeps only the envelope (no `data`)."""
    try:
        hidden = personal_fields(str(envelope.get("type")))
    except UnknownEventType:
        return {k: v for k, v in envelope.items() if k != "data"}
    data = envelope.get("data")
    if not hidden or not isinstance(data, dict):
        return envelope
    return {**envelope, "data": {k: v for k, v in data.items() if k not in hidden}}


def known_event_types() -> list[str]:
    return sorted(_PAYLOADS)


def _short_errors(exc: ValidationError, prefix: str) -> list[dict[str, Any]]:
    return [
        {"field": ".".join([prefix, *map(str, e["loc"])]).strip("."), "message": e["msg"]}
        for e in exc.errors()
    ]


def parse_event(raw: bytes | str | dict[str, Any]) -> Event[BaseModel]:
    """Check an envelope and its payload; raise a ContractError, never half-parse."""
    try:
        # pydantic-core parses JSON text itself, well over twice as fast as
        # json.loads followed by validation: this runs once per consumed event.
        if isinstance(raw, bytes | str):
            envelope = Envelope.model_validate_json(raw)
        else:
            envelope = Envelope.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]["type"] if exc.error_count() else ""
        if first == "json_invalid":
            raise MalformedEvent(f"event is not JSON: {exc.errors()[0]['msg']}") from None
        if first == "model_type":
            raise MalformedEvent("event is not a JSON object") from None
        raise MalformedEvent("bad envelope", _short_errors(exc, "")) from None
    model = payload_model(envelope.type)
    try:
        payload = model.model_validate(envelope.data)
    except ValidationError as exc:
        raise MalformedEvent(
            f"bad payload for {envelope.type}", _short_errors(exc, "data")
        ) from None
    return Event(envelope=envelope, payload=payload)
