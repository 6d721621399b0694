"""directory of clubs and members, built from registry events

Revision ID: d0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("directory",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "directory_club",
        sa.Column("club_id", sa.String(36), primary_key=True),
        sa.Column("province", sa.String(2), nullable=False, index=True),
        sa.Column("commune_code", sa.String(5), nullable=True),
        sa.Column("legacy_commune_code", sa.String(5), nullable=True),
        sa.Column("founded_on", sa.Date(), nullable=True),
        sa.Column("placement_sequence", sa.Integer(), nullable=False),
        sa.Column("dissolved_on", sa.Date(), nullable=True),
        sa.Column("status_sequence", sa.Integer(), nullable=False),
    )
    op.create_table(
        "directory_member",
        sa.Column("member_id", sa.String(36), primary_key=True),
        sa.Column("club_id", sa.String(36), nullable=False, index=True),
        sa.Column("province", sa.String(2), nullable=False, index=True),
        sa.Column("joined_on", sa.Date(), nullable=True),
        sa.Column("facts_sequence", sa.Integer(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("status_sequence", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("directory_member")
    op.drop_table("directory_club")
