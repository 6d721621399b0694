"""finance: regulations, funds, the ledger and the operations that post to it

Revision ID: finance0002
Revises: finance0001
Create Date: 2026-11-30 11:30:17.066733
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "finance0002"
down_revision: str | None = "finance0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "contribution",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("fund_id", sa.String(length=36), nullable=False),
        sa.Column("club_id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("amount_vnd", sa.BigInteger(), nullable=False),
        sa.Column("in_kind", sa.Boolean(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("reversed_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("fund_id", "external_id", name="uq_contribution_key"),
    )
    with op.batch_alter_table("contribution", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contribution_club_id"), ["club_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contribution_fund_id"), ["fund_id"], unique=False)

    op.create_table(
        "expense",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("fund_id", sa.String(length=36), nullable=False),
        sa.Column("club_id", sa.String(length=36), nullable=False),
        sa.Column("area", sa.String(length=30), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.Column("spent_on", sa.Date(), nullable=False),
        sa.Column("amount_vnd", sa.BigInteger(), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("reversed_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("fund_id", "external_id", name="uq_expense_key"),
    )
    with op.batch_alter_table("expense", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_expense_club_id"), ["club_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_expense_fund_id"), ["fund_id"], unique=False)

    op.create_table(
        "fee",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("fund_id", sa.String(length=36), nullable=False),
        sa.Column("club_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("month_key", sa.String(length=7), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("amount_vnd", sa.BigInteger(), nullable=False),
        sa.Column("reversed_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("fund_id", "member_id", "month_key", name="uq_fee_member_month"),
    )
    with op.batch_alter_table("fee", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fee_club_id"), ["club_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fee_fund_id"), ["fund_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fee_member_id"), ["member_id"], unique=False)

    op.create_table(
        "fund",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("club_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("club_id", "kind", name="uq_fund_club_kind"),
    )
    with op.batch_alter_table("fund", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fund_club_id"), ["club_id"], unique=False)

    op.create_table(
        "ledger_entry",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("club_id", sa.String(length=36), nullable=False),
        sa.Column("entry_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("reference_id", sa.String(length=36), nullable=False),
        sa.Column("reverses_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_entry_club_id"), ["club_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ledger_entry_reference_id"), ["reference_id"], unique=False
        )

    op.create_table(
        "ledger_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("fund_id", sa.String(length=36), nullable=False),
        sa.Column("account", sa.String(length=30), nullable=False),
        sa.Column("entry_on", sa.Date(), nullable=False),
        sa.Column("amount_vnd", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ledger_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_line_entry_id"), ["entry_id"], unique=False)
        batch_op.create_index("ix_ledger_line_fund_on", ["fund_id", "entry_on"], unique=False)

    op.create_table(
        "loan",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("fund_id", sa.String(length=36), nullable=False),
        sa.Column("activity_fund_id", sa.String(length=36), nullable=False),
        sa.Column("club_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("principal_vnd", sa.BigInteger(), nullable=False),
        sa.Column("monthly_rate", sa.Numeric(precision=8, scale=6), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=30), nullable=False),
        sa.Column("rounding_unit_vnd", sa.Integer(), nullable=False),
        sa.Column("regulation_version", sa.Integer(), nullable=False),
        sa.Column("disbursed_on", sa.Date(), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("settled_early", sa.Boolean(), nullable=False),
        sa.Column("written_off_on", sa.Date(), nullable=True),
        sa.Column("written_off_vnd", sa.BigInteger(), nullable=True),
        sa.Column("write_off_reason", sa.String(length=500), nullable=True),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("fund_id", "external_id", name="uq_loan_key"),
    )
    with op.batch_alter_table("loan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loan_club_id"), ["club_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_loan_fund_id"), ["fund_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_loan_member_id"), ["member_id"], unique=False)

    op.create_table(
        "loan_instalment",
        sa.Column("loan_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("principal_vnd", sa.BigInteger(), nullable=False),
        sa.Column("interest_vnd", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("loan_id", "number"),
    )
    op.create_table(
        "recovery",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("loan_id", sa.String(length=36), nullable=False),
        sa.Column("fund_id", sa.String(length=36), nullable=False),
        sa.Column("recovered_on", sa.Date(), nullable=False),
        sa.Column("amount_vnd", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("recovery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_fund_id"), ["fund_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_recovery_loan_id"), ["loan_id"], unique=False)

    op.create_table(
        "regulation",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("club_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("rate_min", sa.Numeric(precision=8, scale=6), nullable=False),
        sa.Column("rate_max", sa.Numeric(precision=8, scale=6), nullable=False),
        sa.Column("fee_min_vnd", sa.BigInteger(), nullable=False),
        sa.Column("fee_max_vnd", sa.BigInteger(), nullable=False),
        sa.Column("max_loan_vnd", sa.BigInteger(), nullable=False),
        sa.Column("max_term_months", sa.Integer(), nullable=False),
        sa.Column("methods", sa.String(length=200), nullable=False),
        sa.Column("rounding_unit_vnd", sa.Integer(), nullable=False),
        sa.Column("adopted_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("club_id", "version", name="uq_regulation_version"),
    )
    with op.batch_alter_table("regulation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_regulation_club_id"), ["club_id"], unique=False)

    op.create_table(
        "repayment",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("loan_id", sa.String(length=36), nullable=False),
        sa.Column("fund_id", sa.String(length=36), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("amount_vnd", sa.BigInteger(), nullable=False),
        sa.Column("principal_vnd", sa.BigInteger(), nullable=False),
        sa.Column("interest_vnd", sa.BigInteger(), nullable=False),
        sa.Column("settles_loan", sa.Boolean(), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("loan_id", "external_id", name="uq_repayment_key"),
    )
    with op.batch_alter_table("repayment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_repayment_fund_id"), ["fund_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_repayment_loan_id"), ["loan_id"], unique=False)

    op.create_table(
        "repayment_allocation",
        sa.Column("repayment_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.String(length=36), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("principal_vnd", sa.BigInteger(), nullable=False),
        sa.Column("interest_vnd", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("repayment_id", "number"),
    )
    with op.batch_alter_table("repayment_allocation", schema=None) as batch_op:
        batch_op.create_index("ix_allocation_loan", ["loan_id", "paid_on"], unique=False)

    op.create_table(
        "reversal",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("reversed_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("fund_id", sa.String(length=36), nullable=False),
        sa.Column("reversed_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reversed_id"),
    )
    with op.batch_alter_table("reversal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reversal_fund_id"), ["fund_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("reversal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reversal_fund_id"))

    op.drop_table("reversal")
    with op.batch_alter_table("repayment_allocation", schema=None) as batch_op:
        batch_op.drop_index("ix_allocation_loan")

    op.drop_table("repayment_allocation")
    with op.batch_alter_table("repayment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repayment_loan_id"))
        batch_op.drop_index(batch_op.f("ix_repayment_fund_id"))

    op.drop_table("repayment")
    with op.batch_alter_table("regulation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_regulation_club_id"))

    op.drop_table("regulation")
    with op.batch_alter_table("recovery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_loan_id"))
        batch_op.drop_index(batch_op.f("ix_recovery_fund_id"))

    op.drop_table("recovery")
    op.drop_table("loan_instalment")
    with op.batch_alter_table("loan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loan_member_id"))
        batch_op.drop_index(batch_op.f("ix_loan_fund_id"))
        batch_op.drop_index(batch_op.f("ix_loan_club_id"))

    op.drop_table("loan")
    with op.batch_alter_table("ledger_line", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_line_fund_on")
        batch_op.drop_index(batch_op.f("ix_ledger_line_entry_id"))

    op.drop_table("ledger_line")
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_entry_reference_id"))
        batch_op.drop_index(batch_op.f("ix_ledger_entry_club_id"))

    op.drop_table("ledger_entry")
    with op.batch_alter_table("fund", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fund_club_id"))

    op.drop_table("fund")
    with op.batch_alter_table("fee", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fee_member_id"))
        batch_op.drop_index(batch_op.f("ix_fee_fund_id"))
        batch_op.drop_index(batch_op.f("ix_fee_club_id"))

    op.drop_table("fee")
    with op.batch_alter_table("expense", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_expense_fund_id"))
        batch_op.drop_index(batch_op.f("ix_expense_club_id"))

    op.drop_table("expense")
    with op.batch_alter_table("contribution", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contribution_fund_id"))
        batch_op.drop_index(batch_op.f("ix_contribution_club_id"))

    op.drop_table("contribution")
