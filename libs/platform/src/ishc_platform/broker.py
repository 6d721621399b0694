"""Publishing through FastStream, whose AsyncAPI document lists every stream.

A service publishes its events on one stream, `ishc.<service>`, as FastStream
messages (field `__data__`, FastStream's binary format, JSON envelope body),
pipelined so a batch costs one round trip. The publisher registered on the
broker describes the stream in the AsyncAPI document.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from faststream.redis import RedisBroker
from faststream.redis.message import DATA_KEY
from faststream.redis.parser.binary import BinaryMessageFormatV1
from faststream.specification import AsyncAPI
from redis.asyncio import Redis

from ishc_contracts import Envelope

_JSON_HEADERS = {"content-type": "application/json"}


def stream_of(service: str) -> str:
    return f"ishc.{service}"


def decode_entry(fields: dict[bytes, bytes]) -> bytes:
    """The envelope JSON inside a stream entry written by FastStream."""
    body, _headers = BinaryMessageFormatV1.parse(fields[DATA_KEY.encode()])
    return body


class EventPublisher:
    """Publishes a service's envelopes to its stream through FastStream."""

    def __init__(self, broker: RedisBroker, redis: Redis, stream: str, service: str) -> None:
        self.broker = broker
        self.redis = redis
        self.stream = stream
        self._publisher = broker.publisher(
            stream=stream,
            title=f"{stream}:publish",
            description=f"Domain events of the {service} service (CloudEvents-aligned envelope).",
            schema=Envelope,
        )

    async def publish_many(self, envelopes: Sequence[str]) -> list[str]:
        """XADD each envelope (JSON text), in order, in one pipeline; return entry ids.

        The entries are encoded in FastStream's own message format, but added
        with redis-py directly: FastStream's per-message publish path costs
        about ten times the XADD itself, and the relay publishes every event.
        """
        async with self.redis.pipeline(transaction=False) as pipe:
            for body in envelopes:
                message = await BinaryMessageFormatV1.encode(
                    message=body.encode(),
                    reply_to=None,
                    headers=_JSON_HEADERS,
                    correlation_id="-",
                )
                pipe.xadd(self.stream, {DATA_KEY: message})
            results: list[Any] = await pipe.execute()
        return [r.decode() if isinstance(r, bytes) else str(r) for r in results]


def asyncapi_document(broker: RedisBroker, service: str) -> dict[str, Any]:
    spec = AsyncAPI(broker, title=f"ISHC {service} events", version="1")
    document: dict[str, Any] = spec.to_specification().to_jsonable()
    return document
