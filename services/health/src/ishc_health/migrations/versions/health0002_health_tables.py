"""health: consent, checks (values sealed), the book audit, sessions, visits, insurance

Revision ID: health0002
Revises: health0001
Create Date: 2026-11-30 12:09:01.396223
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "health0002"
down_revision: str | None = "health0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "community_person",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("club_id", sa.String(length=36), nullable=False),
        sa.Column("name_sealed", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("community_person", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_community_person_club_id"), ["club_id"], unique=False)

    op.create_table(
        "consent",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("club_id", sa.String(length=36), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.Column("scopes", sa.String(length=100), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_club_id"), ["club_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consent_member_id"), ["member_id"], unique=False)

    op.create_table(
        "exercise_session",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("club_id", sa.String(length=36), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("club_id", "external_id", name="uq_exercise_key"),
    )
    with op.batch_alter_table("exercise_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exercise_session_club_id"), ["club_id"], unique=False)

    op.create_table(
        "health_book_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("club_id", sa.String(length=36), nullable=False),
        sa.Column("province", sa.String(length=2), nullable=False),
        sa.Column("accessed_by", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("health_book_access", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_health_book_access_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index("ix_health_book_access_province_at", ["province", "at"], unique=False)

    op.create_table(
        "health_check",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("club_id", sa.String(length=36), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("checker", sa.String(length=10), nullable=False),
        sa.Column("checker_member_id", sa.String(length=36), nullable=True),
        sa.Column("values_sealed", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("health_check", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_health_check_club_id"), ["club_id"], unique=False)
        batch_op.create_index(
            "ix_health_check_member_on", ["member_id", "checked_on"], unique=False
        )

    op.create_table(
        "home_care_visit",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("club_id", sa.String(length=36), nullable=False),
        sa.Column("volunteer_id", sa.String(length=36), nullable=False),
        sa.Column("beneficiary", sa.String(length=10), nullable=False),
        sa.Column("beneficiary_id", sa.String(length=36), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("tasks", sa.String(length=200), nullable=False),
        sa.Column("note_sealed", sa.Text(), nullable=True),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("home_care_visit", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_home_care_visit_beneficiary_id"), ["beneficiary_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_home_care_visit_club_id"), ["club_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_home_care_visit_volunteer_id"), ["volunteer_id"], unique=False
        )

    op.create_table(
        "insurance",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("club_id", sa.String(length=36), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("card_sealed", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("insurance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_insurance_club_id"), ["club_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_insurance_member_id"), ["member_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("insurance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_insurance_member_id"))
        batch_op.drop_index(batch_op.f("ix_insurance_club_id"))

    op.drop_table("insurance")
    with op.batch_alter_table("home_care_visit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_home_care_visit_volunteer_id"))
        batch_op.drop_index(batch_op.f("ix_home_care_visit_club_id"))
        batch_op.drop_index(batch_op.f("ix_home_care_visit_beneficiary_id"))

    op.drop_table("home_care_visit")
    with op.batch_alter_table("health_check", schema=None) as batch_op:
        batch_op.drop_index("ix_health_check_member_on")
        batch_op.drop_index(batch_op.f("ix_health_check_club_id"))

    op.drop_table("health_check")
    with op.batch_alter_table("health_book_access", schema=None) as batch_op:
        batch_op.drop_index("ix_health_book_access_province_at")
        batch_op.drop_index(batch_op.f("ix_health_book_access_member_id"))

    op.drop_table("health_book_access")
    with op.batch_alter_table("exercise_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exercise_session_club_id"))

    op.drop_table("exercise_session")
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_member_id"))
        batch_op.drop_index(batch_op.f("ix_consent_club_id"))

    op.drop_table("consent")
    with op.batch_alter_table("community_person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_person_club_id"))

    op.drop_table("community_person")
