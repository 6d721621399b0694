"""directory: whether a member is a home-care volunteer

Revision ID: d0002
Revises: d0001
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d0002"
down_revision: str | None = "d0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("directory_member") as batch:
        batch.add_column(
            sa.Column("is_volunteer", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("directory_member") as batch:
        batch.drop_column("is_volunteer")
