"""registry tables

Revision ID: registry0002
Revises: registry0001
Create Date: 2026-11-22 23:17:33.404445
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "registry0002"
down_revision: str | None = "registry0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("caller", sa.String(length=200), nullable=False),
        sa.Column("province", sa.String(length=2), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("club_id", sa.String(length=36), nullable=True),
        sa.Column("member_id", sa.String(length=36), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entry_province"), ["province"], unique=False)

    op.create_table(
        "club",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("province", sa.String(length=2), nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.Column("legacy_commune_code", sa.String(length=5), nullable=True),
        sa.Column("hamlet", sa.String(length=100), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("founded_on", sa.Date(), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("dissolved_on", sa.Date(), nullable=True),
        sa.Column("dissolution_reason", sa.String(length=500), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("province", "external_id", name="uq_club_external_id"),
    )
    with op.batch_alter_table("club", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_club_commune_code"), ["commune_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_club_name_key"), ["name_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_club_province"), ["province"], unique=False)

    op.create_table(
        "activity",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("club_id", sa.String(length=36), nullable=False),
        sa.Column("province", sa.String(length=2), nullable=False),
        sa.Column("area", sa.String(length=24), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["club_id"],
            ["club.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("province", "external_id", name="uq_activity_external_id"),
    )
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_activity_club_id"), ["club_id"], unique=False)

    op.create_table(
        "meeting",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("club_id", sa.String(length=36), nullable=False),
        sa.Column("province", sa.String(length=2), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("attendance", sa.Integer(), nullable=False),
        sa.Column("hardship_cases_chosen", sa.Integer(), nullable=False),
        sa.Column("hardship_cases_supported", sa.Integer(), nullable=False),
        sa.Column("plan_recorded", sa.Boolean(), nullable=False),
        sa.Column("report_recorded", sa.Boolean(), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["club_id"],
            ["club.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("province", "external_id", name="uq_meeting_external_id"),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_club_id"), ["club_id"], unique=False)

    op.create_table(
        "member",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("club_id", sa.String(length=36), nullable=False),
        sa.Column("province", sa.String(length=2), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("sex", sa.String(length=6), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("poverty_status", sa.String(length=13), nullable=False),
        sa.Column("ethnic_minority", sa.Boolean(), nullable=False),
        sa.Column("is_volunteer", sa.Boolean(), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["club_id"],
            ["club.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_member_club_id"), ["club_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_member_name_key"), ["name_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_member_province"), ["province"], unique=False)
        batch_op.create_index(
            "uq_member_active_external_id",
            ["province", "external_id"],
            unique=True,
            postgresql_where=sa.text("left_on IS NULL"),
            sqlite_where=sa.text("left_on IS NULL"),
        )

    op.create_table(
        "board_seat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("club_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.String(length=10), nullable=False),
        sa.Column("from_on", sa.Date(), nullable=False),
        sa.Column("to_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["club_id"],
            ["club.id"],
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("board_seat", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_board_seat_club_id"), ["club_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("board_seat", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_board_seat_club_id"))

    op.drop_table("board_seat")
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_member_active_external_id",
            postgresql_where=sa.text("left_on IS NULL"),
            sqlite_where=sa.text("left_on IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_member_province"))
        batch_op.drop_index(batch_op.f("ix_member_name_key"))
        batch_op.drop_index(batch_op.f("ix_member_club_id"))

    op.drop_table("member")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_club_id"))

    op.drop_table("meeting")
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_club_id"))

    op.drop_table("activity")
    with op.batch_alter_table("club", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_club_province"))
        batch_op.drop_index(batch_op.f("ix_club_name_key"))
        batch_op.drop_index(batch_op.f("ix_club_commune_code"))

    op.drop_table("club")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_province"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_member_id"))

    op.drop_table("audit_entry")
