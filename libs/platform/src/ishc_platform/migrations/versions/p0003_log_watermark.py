"""platform table: log_watermark (backfilling a consumer from its sources' logs)

Revision ID: p0003
Revises: p0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "p0003"
down_revision: str | None = "p0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "log_watermark",
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("source", sa.String(50), primary_key=True),
        sa.Column("after_event_id", sa.String(36), nullable=True),
        sa.Column("verified", sa.BigInteger(), nullable=False),
        sa.Column("backfilled", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("log_watermark")
