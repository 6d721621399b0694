"""health facts: checks, exercise sessions, home-care visits and insurance cards

Revision ID: reporting0007
Revises: reporting0006
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "reporting0007"
down_revision: str | None = "reporting0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "health_check_fact",
        sa.Column("check_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("club_id", sa.String(length=36), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("check_id"),
    )
    with op.batch_alter_table("health_check_fact", schema=None) as batch_op:
        batch_op.create_index(
            "ix_health_check_fact_member", ["member_id", "checked_on"], unique=False
        )
        batch_op.create_index("ix_health_check_fact_club", ["club_id", "checked_on"], unique=False)

    op.create_table(
        "exercise_session_fact",
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("club_id", sa.String(length=36), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("session_id"),
    )
    with op.batch_alter_table("exercise_session_fact", schema=None) as batch_op:
        batch_op.create_index(
            "ix_exercise_session_fact_club", ["club_id", "held_on"], unique=False
        )

    op.create_table(
        "home_care_visit_fact",
        sa.Column("visit_id", sa.String(length=36), nullable=False),
        sa.Column("club_id", sa.String(length=36), nullable=False),
        sa.Column("beneficiary", sa.String(length=10), nullable=False),
        sa.Column("beneficiary_id", sa.String(length=36), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("visit_id"),
    )
    with op.batch_alter_table("home_care_visit_fact", schema=None) as batch_op:
        batch_op.create_index(
            "ix_home_care_visit_fact_club", ["club_id", "visited_on"], unique=False
        )

    op.create_table(
        "insurance_fact",
        sa.Column("insurance_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("club_id", sa.String(length=36), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("insurance_id"),
    )
    with op.batch_alter_table("insurance_fact", schema=None) as batch_op:
        batch_op.create_index("ix_insurance_fact_member", ["member_id", "valid_from"], unique=False)
        batch_op.create_index("ix_insurance_fact_club", ["club_id", "valid_from"], unique=False)


def downgrade() -> None:
    for table, indexes in (
        ("insurance_fact", ("ix_insurance_fact_member", "ix_insurance_fact_club")),
        ("home_care_visit_fact", ("ix_home_care_visit_fact_club",)),
        ("exercise_session_fact", ("ix_exercise_session_fact_club",)),
        ("health_check_fact", ("ix_health_check_fact_member", "ix_health_check_fact_club")),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for index in indexes:
                batch_op.drop_index(index)
        op.drop_table(table)
