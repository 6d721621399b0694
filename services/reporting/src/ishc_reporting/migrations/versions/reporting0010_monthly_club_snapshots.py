"""monthly club snapshots, the date from which a club's changes alter them, and
the trends' monthly quality shares

Revision ID: reporting0010
Revises: reporting0009
Create Date: 2026-12-01 04:10:00

No snapshot exists yet, so no club is marked changed: the snapshot job builds
each month from the facts (ADR 0008).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "reporting0010"
down_revision: str | None = "reporting0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "club_snapshot",
        sa.Column("month_end", sa.Date(), nullable=False),
        sa.Column("older_age", sa.Integer(), nullable=False),
        sa.Column("club_id", sa.String(length=36), nullable=False),
        sa.Column("record", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("month_end", "older_age", "club_id"),
    )
    op.create_table(
        "snapshot_month",
        sa.Column("month_end", sa.Date(), nullable=False),
        sa.Column("older_age", sa.Integer(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("month_end", "older_age"),
    )
    op.create_table(
        "trend_shares",
        sa.Column("month_end", sa.Date(), nullable=False),
        sa.Column("boundary", sa.String(length=8), nullable=False),
        sa.Column("province", sa.String(length=2), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("shares", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("month_end", "boundary", "province"),
    )
    with op.batch_alter_table("club_touch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("changed_from", sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f("ix_club_touch_changed_from"), ["changed_from"])


def downgrade() -> None:
    with op.batch_alter_table("club_touch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_club_touch_changed_from"))
        batch_op.drop_column("changed_from")
    op.drop_table("trend_shares")
    op.drop_table("snapshot_month")
    op.drop_table("club_snapshot")
