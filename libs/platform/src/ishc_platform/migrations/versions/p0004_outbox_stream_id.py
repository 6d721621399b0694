"""platform table: outbox loses stream_id (never read; marking a batch sends only its ids)

Revision ID: p0004
Revises: p0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "p0004"
down_revision: str | None = "p0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("stream_id")


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("stream_id", sa.String(40), nullable=True))
