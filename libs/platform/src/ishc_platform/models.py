"""Tables every service has: the outbox (its durable event log), the inbox and
the stored responses of idempotent requests. Created by the platform's own
Alembic branch, so each service's migrations only hold its own tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel


class PlatformTable(SQLModel):
    metadata = MetaData()


def _utc(nullable: bool = False) -> Column:  # type: ignore[type-arg,unused-ignore]
    return Column(DateTime(timezone=True), nullable=nullable)


class OutboxEvent(PlatformTable, table=True):
    """An event written with the state change that caused it.

    `id` is insertion order; `position` is the log order, given when the relay
    publishes, so a reader of the log never skips an event that committed late.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("subject", "sequence", name="uq_outbox_subject_sequence"),
        Index(
            "ix_outbox_unpublished",
            "id",
            postgresql_where=text("position IS NULL"),
            sqlite_where=text("position IS NULL"),
        ),
    )

    # BIGINT on PostgreSQL; SQLite autoincrements only an INTEGER primary key.
    id: int | None = Field(
        default=None, sa_type=BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    event_id: str = Field(max_length=36, unique=True)
    type: str = Field(max_length=120)
    subject: str = Field(max_length=100)
    sequence: int
    province: str = Field(max_length=2)
    envelope: str = Field(sa_type=Text)
    created_at: datetime = Field(sa_column=_utc())
    position: int | None = Field(default=None, sa_type=BigInteger, unique=True)
    published_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class InboxEntry(PlatformTable, table=True):
    """An event a consumer has applied: recorded in the same transaction."""

    __tablename__ = "inbox"

    consumer: str = Field(max_length=100, primary_key=True)
    event_id: str = Field(max_length=36, primary_key=True)
    applied_at: datetime = Field(sa_column=_utc())


class LogWatermark(PlatformTable, table=True):
    """How far a consumer has checked a source's event log (`ishc_platform.backfill`):
    every event of the log up to `after_event_id` is in the consumer's inbox.

    `consumer` is the inbox key (`<group>:<stream>`); `verified` counts the log
    events checked and `backfilled` those the log gave that the stream had not.
    """

    __tablename__ = "log_watermark"

    consumer: str = Field(max_length=100, primary_key=True)
    source: str = Field(max_length=50, primary_key=True)
    after_event_id: str | None = Field(default=None, max_length=36)
    verified: int = Field(default=0, sa_type=BigInteger)
    backfilled: int = Field(default=0, sa_type=BigInteger)
    updated_at: datetime = Field(sa_column=_utc())


class IdempotencyRecord(PlatformTable, table=True):
    """The stored answer to a POST sent with an `Idempotency-Key`.

    `caller` is `idempotency.caller_scope(...)`: a SHA-256 (hex) of the token's
    subject, role and provinces, so a record is only ever replayed to the same
    authority. (Records written before that change, keyed by the bare `sub`,
    are never matched again and expire with their TTL.)
    """

    __tablename__ = "idempotency"
    __table_args__ = (Index("ix_idempotency_created_at", "created_at"),)  # the hourly purge

    caller: str = Field(max_length=200, primary_key=True)
    key: str = Field(max_length=200, primary_key=True)
    method: str = Field(max_length=10)
    path: str = Field(max_length=500)
    request_hash: str = Field(max_length=64)
    status_code: int | None = None
    content_type: str | None = Field(default=None, max_length=100)
    response_body: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(sa_column=_utc())


platform_metadata = PlatformTable.metadata
