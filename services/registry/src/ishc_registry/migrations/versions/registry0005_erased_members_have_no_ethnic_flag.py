"""the ethnic-minority flag back in member events (ADR 0007)

Member events carry `ethnic_minority` again, and erasure clears it. Two things
are needed for what is already stored:

- A member erased before still has the flag in the registry, and a later
  `member.updated` of theirs (a club relocation republishes every member)
  would carry it out: it is cleared. Their logged events hold no flag
  (registry0003 removed it, and events carried none until now).
- Consumers read events written without the flag as False, so every member
  (not erased) whose flag is set gets a `member.updated` event with today's
  facts, recorded in the outbox for the relay to publish, so reporting counts
  them without a rebuild.

The envelope and outbox row are written out here, as registry0004 does: a
migration keeps the shape of its day.

Revision ID: registry0005
Revises: registry0004
Create Date: 2026-11-30 15:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from ishc_contracts import Envelope, new_event_id

revision: str = "registry0005"
down_revision: str | None = "registry0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "p0001"  # the outbox table

BATCH = 1000
member = sa.table(
    "member",
    sa.column("id", sa.String),
    sa.column("club_id", sa.String),
    sa.column("province", sa.String),
    sa.column("sex", sa.String),
    sa.column("birth_year", sa.Integer),
    sa.column("poverty_status", sa.String),
    sa.column("is_volunteer", sa.Boolean),
    sa.column("ethnic_minority", sa.Boolean),
    sa.column("joined_on", sa.Date),
    sa.column("erased_at", sa.DateTime(timezone=True)),
)
outbox = sa.table(
    "outbox",
    sa.column("event_id", sa.String),
    sa.column("type", sa.String),
    sa.column("subject", sa.String),
    sa.column("sequence", sa.Integer),
    sa.column("province", sa.String),
    sa.column("envelope", sa.Text),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def _row(subject: str, sequence: int, province: str, data: dict[str, Any]) -> dict[str, Any]:
    envelope = Envelope(
        id=new_event_id(),
        type="ishc.registry.member.updated.v1",
        source="/ishc/registry",
        time=datetime.now(UTC),
        subject=subject,
        sequence=sequence,
        province=province,
        data=data,
    )
    return {
        "event_id": str(envelope.id),
        "type": envelope.type,
        "subject": envelope.subject,
        "sequence": envelope.sequence,
        "province": envelope.province,
        "envelope": envelope.model_dump_json(),
        "created_at": envelope.time,
    }


def upgrade() -> None:
    connection = op.get_bind()
    connection.execute(
        member.update()
        .where(member.c.erased_at.is_not(None), member.c.ethnic_minority.is_(True))
        .values(ethnic_minority=False)
    )
    last_id = ""
    while True:
        flagged = connection.execute(
            sa.select(member)
            .where(member.c.ethnic_minority.is_(True), member.c.id > last_id)
            .order_by(member.c.id)
            .limit(BATCH)
        ).all()
        if not flagged:
            return
        ids = [m.id for m in flagged]
        last = dict(
            connection.execute(
                sa.select(outbox.c.subject, sa.func.max(outbox.c.sequence))
                .where(outbox.c.subject.in_(ids))
                .group_by(outbox.c.subject)
            ).all()
        )
        rows = [
            _row(
                m.id,
                int(last.get(m.id) or 0) + 1,
                m.province,
                {
                    "member_id": m.id,
                    "club_id": m.club_id,
                    "sex": m.sex,
                    "birth_year": m.birth_year,
                    "poverty_status": m.poverty_status,
                    "is_volunteer": bool(m.is_volunteer),
                    "ethnic_minority": True,
                    "joined_on": m.joined_on.isoformat(),
                },
            )
            for m in flagged
        ]
        connection.execute(outbox.insert(), rows)
        last_id = ids[-1]


def downgrade() -> None:
    """Nothing to restore: the cleared flags are gone on purpose, and the events
    were published."""
