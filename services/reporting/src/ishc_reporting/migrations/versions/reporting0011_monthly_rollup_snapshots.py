"""monthly snapshots of the roll-ups per province and of the nation

Revision ID: reporting0011
Revises: reporting0010
Create Date: 2026-12-02 02:00:00

Empty at first: the snapshot job writes each built month's roll-ups (ADR 0008);
until then a month end is rolled up from its club snapshots, as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "reporting0011"
down_revision: str | None = "reporting0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rollup_snapshot",
        sa.Column("month_end", sa.Date(), nullable=False),
        sa.Column("boundary", sa.String(length=8), nullable=False),
        sa.Column("per_province", sa.Boolean(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("month_end", "boundary", "per_province", "fingerprint"),
    )


def downgrade() -> None:
    op.drop_table("rollup_snapshot")
