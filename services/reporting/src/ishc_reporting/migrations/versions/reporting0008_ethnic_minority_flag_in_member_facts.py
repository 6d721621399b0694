"""ethnic-minority flag in member facts (ADR 0007, amending 0004)

Revision ID: reporting0008
Revises: reporting0007
Create Date: 2026-11-30 14:41:57
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "reporting0008"
down_revision: str | None = "reporting0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows read False until the next member event (or a rebuild) sets them.
    with op.batch_alter_table("member_fact", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ethnic_minority", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("member_fact", schema=None) as batch_op:
        batch_op.drop_column("ethnic_minority")
