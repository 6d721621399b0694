"""ISHC event contracts: the envelope and every event's versioned payload."""

from ishc_contracts import finance_events, health_events, registry_events
from ishc_contracts.envelope import Envelope, new_event_id
from ishc_contracts.registry import (
    ContractError,
    Event,
    MalformedEvent,
    UnknownEventType,
    event_type,
    known_event_types,
    parse_event,
    payload_model,
    personal_fields,
    public_view,
    type_of,
)

__all__ = [
    "ContractError",
    "Envelope",
    "Event",
    "MalformedEvent",
    "UnknownEventType",
    "event_type",
    "finance_events",
    "health_events",
    "known_event_types",
    "new_event_id",
    "parse_event",
    "payload_model",
    "personal_fields",
    "public_view",
    "registry_events",
    "type_of",
]
