"""The event envelope every service publishes (CloudEvents-aligned).

The envelope's `id` is the idempotency key consumers record in their inbox;
`sequence` orders events of one aggregate (`subject`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

import uuid_utils
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

EVENT_TYPE_PATTERN = r"^ishc\.[a-z]+\.[a-z_]+\.[a-z_]+\.v[1-9][0-9]*$"
PROVINCE_CODE_PATTERN = r"^[0-9]{2}$"


def new_event_id() -> UUID:
    """A UUIDv7: unique, and sortable by creation time."""
    return UUID(str(uuid_utils.uuid7()))


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("time must carry a time zone")
    return value.astimezone(UTC)


class Envelope(BaseModel):
    """One domain event as it travels between services."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: UUID
    type: Annotated[str, Field(pattern=EVENT_TYPE_PATTERN)]
    source: Annotated[str, Field(min_length=1, max_length=200)]
    time: Annotated[datetime, AfterValidator(_aware)]
    subject: Annotated[str, Field(min_length=1, max_length=100)]
    sequence: Annotated[int, Field(ge=1)]
    province: Annotated[str, Field(pattern=PROVINCE_CODE_PATTERN)]
    traceparent: str | None = None
    data: dict[str, Any]

    @property
    def service(self) -> str:
        """The publishing service, read from the type (`ishc.<service>.…`)."""
        return self.type.split(".")[1]

    @property
    def version(self) -> int:
        return int(self.type.rsplit(".v", 1)[1])
