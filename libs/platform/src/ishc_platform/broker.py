"""Publishing in FastStream's message format, and the AsyncAPI document of the
streams a service publishes and consumes.

A service publishes its events on one stream, `ishc.<service>`, as FastStream
messages (field `__data__`, FastStream's binary format, JSON envelope body),
pipelined so a batch costs one round trip. The AsyncAPI document is built from
the contracts (`asyncapi_document` says why).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from faststream.redis import RedisBroker
from faststream.redis.message import DATA_KEY
from faststream.redis.parser.binary import BinaryMessageFormatV1
from pydantic import BaseModel
from redis.asyncio import Redis

from ishc_contracts import Envelope, known_event_types, payload_model

_JSON_HEADERS = {"content-type": "application/json"}
_DATA = DATA_KEY.encode()
_prefix: bytes | None = None  # see message_prefix


def stream_of(service: str) -> str:
    return f"ishc.{service}"


def decode_entry(fields: dict[bytes, bytes]) -> bytes:
    """The envelope JSON inside a stream entry written by FastStream.

    An entry the relay wrote starts with `message_prefix()` (once it is known
    in this process) and the rest is the body; any other is parsed by FastStream.
    """
    message = fields[_DATA]
    if _prefix is not None and message.startswith(_prefix):
        return message[len(_prefix) :]
    body, _headers = BinaryMessageFormatV1.parse(message)
    return body


class EventPublisher:
    """Publishes a service's envelopes to its stream through FastStream."""

    def __init__(self, broker: RedisBroker, redis: Redis, stream: str, service: str) -> None:
        self.broker = broker
        self.redis = redis
        self.stream = stream
        self.service = service

    async def publish_many(self, envelopes: Sequence[str]) -> list[str]:
        """XADD each envelope (JSON text), in order, in one pipeline; return entry ids.

        The entries are in FastStream's own message format, but added with
        redis-py directly: FastStream's per-message publish path costs about ten
        times the XADD itself, and the relay publishes every event.
        """
        prefix = await message_prefix()
        async with self.redis.pipeline(transaction=False) as pipe:
            for body in envelopes:
                pipe.xadd(self.stream, {DATA_KEY: prefix + body.encode()})
            results: list[Any] = await pipe.execute()
        return [r.decode() if isinstance(r, bytes) else str(r) for r in results]


async def message_prefix() -> bytes:
    """What FastStream's binary format puts before an envelope's body.

    The relay's headers are the same for every event and the body comes last,
    so the format's header block is encoded once by FastStream itself (about a
    quarter of the relay's CPU went to encoding it per event).
    """
    global _prefix
    if _prefix is None:
        body = b'{"probe":1}'
        message = await BinaryMessageFormatV1.encode(
            message=body, reply_to=None, headers=_JSON_HEADERS, correlation_id="-"
        )
        if not message.endswith(body):  # a future format that does not end with the body
            raise RuntimeError("FastStream's binary message no longer ends with its body")
        _prefix = message[: -len(body)]
    return _prefix


ASYNCAPI_VERSION = "3.0.0"
_SCHEMAS = "#/components/schemas/"


def events_on(stream: str) -> list[str]:
    """The event types carried by `stream`: those of its service (`ishc.<service>.…`)."""
    return [name for name in known_event_types() if stream_of(name.split(".")[1]) == stream]


def asyncapi_document(
    service: str,
    *,
    consumes: Iterable[str] = (),
    prefix: str = "",
    redis_url: str | None = None,
) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of what `service` publishes and consumes.

    One message per event type, whose payload is the envelope with that type and
    that type's versioned payload schema (`ishc_contracts.payload_model`), on the
    channel of the stream that carries it: a `send` operation on the service's
    own stream when the contracts name events of it (a service that publishes
    nothing advertises no channel of its own), a `receive` one on each stream it
    consumes (`consumes`, without `prefix`).

    Built here from the contracts rather than by FastStream (0.7): its generator
    gives each publisher one message (`<title>:Message`) with one payload schema,
    or a `oneOf` of them, so a stream that carries ten event types cannot show ten
    messages; and it documents only publishers and subscribers registered on a
    running broker, while the consumers read with redis-py (`consumer.py`) and the
    relay writes with a pipeline (`EventPublisher`).
    """
    schemas: dict[str, Any] = {"Envelope": _schema_of(Envelope, schemas={})}
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    own = stream_of(service)
    plan = [(own, "send"), *((stream, "receive") for stream in consumes if stream != own)]
    for stream, action in plan:
        names = events_on(stream)
        if not names:
            continue
        for name in names:
            messages[name] = _message(name, schemas)
        channels[stream] = {
            "address": prefix + stream,
            "title": stream,
            "description": _channel_description(stream, service, action),
            "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in names},
        }
        operations[f"{stream}.{action}"] = {
            "action": action,
            "channel": {"$ref": f"#/channels/{stream}"},
            "summary": f"{service} {'publishes' if action == 'send' else 'consumes'} {stream}",
            "messages": [{"$ref": f"#/channels/{stream}/messages/{name}"} for name in names],
        }
    document: dict[str, Any] = {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": f"ISHC {service} events",
            "version": "1",
            "description": "Domain events on Redis Streams (docs/adr/0001-event-delivery.md). "
            "Payloads change additively; a breaking change is a new `vN` type.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }
    if redis_url:
        document["servers"] = {"redis": _server(redis_url)}
    return document


def _message(name: str, schemas: dict[str, Any]) -> dict[str, Any]:
    model = payload_model(name)
    schema = _schema_of(model, schemas)
    if schemas.setdefault(model.__name__, schema) != schema:
        raise ValueError(f"two contract schemas are named {model.__name__}")
    _, service, aggregate, verb, version = name.split(".")
    return {
        "name": name,
        "title": f"{aggregate} {verb} ({version})",
        "summary": (model.__doc__ or "").strip().split("\n")[0]
        or f"A {aggregate} of the {service} service was {verb}.",
        "contentType": "application/json",
        "payload": {
            "allOf": [{"$ref": _SCHEMAS + "Envelope"}],
            "properties": {"type": {"const": name}, "data": {"$ref": _SCHEMAS + model.__name__}},
        },
    }


def _schema_of(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, Any]:
    """`model`'s JSON schema, its nested definitions moved into `schemas`."""
    schema: dict[str, Any] = model.model_json_schema(
        mode="serialization", ref_template=_SCHEMAS + "{model}"
    )
    for key, definition in schema.pop("$defs", {}).items():
        if schemas.setdefault(key, definition) != definition:
            raise ValueError(f"two contract schemas are named {key}")
    return schema


def _channel_description(stream: str, service: str, action: str) -> str:
    entry = (
        "One Redis stream entry per event: field `__data__` holds a FastStream binary "
        "message whose body is the JSON envelope."
    )
    if action == "send":
        return f"Domain events of the {service} service, in order per aggregate. {entry}"
    return f"Consumed by the {service} service in consumer group `{service}`. {entry}"


def _server(redis_url: str) -> dict[str, Any]:
    """Where the streams live, without the URL's credentials."""
    url = urlsplit(redis_url)
    host = url.hostname or "127.0.0.1"
    return {
        "host": f"{host}:{url.port or 6379}",
        "pathname": url.path or "/0",
        "protocol": "redis",
    }
