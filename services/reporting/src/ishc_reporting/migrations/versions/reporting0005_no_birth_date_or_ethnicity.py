"""no exact birth date or ethnicity in member facts (ADR 0004)

Revision ID: reporting0005
Revises: reporting0004
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "reporting0005"
down_revision: str | None = "reporting0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("member_fact") as batch:
        batch.drop_column("birth_date")
        batch.drop_column("ethnic_minority")


def downgrade() -> None:
    with op.batch_alter_table("member_fact") as batch:
        batch.add_column(
            sa.Column("ethnic_minority", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("birth_date", sa.Date(), nullable=True))
