"""personal data out of the event log (ADR 0004)

Member events no longer carry `birth_date` or `ethnic_minority`; this removes
them from the events already in the log, so the log holds no more than new
events do.

Revision ID: registry0003
Revises: registry0002
Create Date: 2026-11-30 10:00:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "registry0003"
down_revision: str | None = "registry0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "p0001"  # the outbox table

REMOVED = ("birth_date", "ethnic_minority")
BATCH = 1000


def upgrade() -> None:
    connection = op.get_bind()
    outbox = sa.table(
        "outbox", sa.column("id", sa.BigInteger), sa.column("type"), sa.column("envelope")
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(outbox.c.id, outbox.c.envelope)
            .where(outbox.c.id > last, outbox.c.type.like("ishc.registry.member.%"))
            .order_by(outbox.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        changed = []
        for row_id, text in rows:
            envelope = json.loads(text)
            data = envelope.get("data") or {}
            if any(field in data for field in REMOVED):
                envelope["data"] = {k: v for k, v in data.items() if k not in REMOVED}
                changed.append({"row_id": row_id, "envelope": json.dumps(envelope)})
        if changed:
            connection.execute(
                outbox.update()
                .where(outbox.c.id == sa.bindparam("row_id"))
                .values(envelope=sa.bindparam("envelope")),
                changed,
            )
        last = rows[-1][0]


def downgrade() -> None:
    """Nothing to restore: the removed values are gone on purpose."""
