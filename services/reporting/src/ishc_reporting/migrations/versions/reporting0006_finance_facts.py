"""finance facts: funds, loans, instalments, repayment allocations, money flows
and their sums by month

Revision ID: reporting0006
Revises: reporting0005
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "reporting0006"
down_revision: str | None = "reporting0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fund_fact",
        sa.Column("fund_id", sa.String(length=36), nullable=False),
        sa.Column("club_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("fund_id"),
    )
    with op.batch_alter_table("fund_fact", schema=None) as batch_op:
        batch_op.create_index("ix_fund_fact_club", ["club_id", "opened_on"], unique=False)

    op.create_table(
        "loan_fact",
        sa.Column("loan_id", sa.String(length=36), nullable=False),
        sa.Column("club_id", sa.String(length=36), nullable=False),
        sa.Column("fund_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=True),
        sa.Column("principal", sa.BigInteger(), nullable=True),
        sa.Column("disbursed_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("repaid_on", sa.Date(), nullable=True),
        sa.Column("written_off_on", sa.Date(), nullable=True),
        sa.Column("written_off_vnd", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("loan_id"),
    )
    with op.batch_alter_table("loan_fact", schema=None) as batch_op:
        batch_op.create_index(
            "ix_loan_fact_club_disbursed", ["club_id", "disbursed_on"], unique=False
        )

    op.create_table(
        "instalment_fact",
        sa.Column("loan_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("principal", sa.BigInteger(), nullable=False),
        sa.Column("interest", sa.BigInteger(), nullable=False),
        sa.Column("settled_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("loan_id", "number"),
    )

    op.create_table(
        "allocation_fact",
        sa.Column("repayment_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.String(length=36), nullable=False),
        sa.Column("club_id", sa.String(length=36), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("principal", sa.BigInteger(), nullable=False),
        sa.Column("interest", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("repayment_id", "number"),
    )
    with op.batch_alter_table("allocation_fact", schema=None) as batch_op:
        batch_op.create_index("ix_allocation_fact_loan", ["loan_id", "number"], unique=False)
        batch_op.create_index("ix_allocation_fact_club_paid", ["club_id", "paid_on"], unique=False)

    op.create_table(
        "money_flow",
        sa.Column("ref_id", sa.String(length=36), nullable=False),
        sa.Column("fund_id", sa.String(length=36), nullable=False),
        sa.Column("club_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("counts_as", sa.String(length=24), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("booked_on", sa.Date(), nullable=False),
        sa.Column("area", sa.String(length=30), nullable=True),
        sa.Column("reversed_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("ref_id"),
    )
    with op.batch_alter_table("money_flow", schema=None) as batch_op:
        batch_op.create_index("ix_money_flow_club_booked", ["club_id", "booked_on"], unique=False)
        batch_op.create_index("ix_money_flow_kind_booked", ["kind", "booked_on"], unique=False)
        batch_op.create_index("ix_money_flow_reversed", ["reversed_id"], unique=False)

    op.create_table(
        "money_month",
        sa.Column("club_id", sa.String(length=36), nullable=False),
        sa.Column("counts_as", sa.String(length=24), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("club_id", "counts_as", "month"),
    )


def downgrade() -> None:
    op.drop_table("money_month")
    for table, indexes in (
        (
            "money_flow",
            ("ix_money_flow_club_booked", "ix_money_flow_kind_booked", "ix_money_flow_reversed"),
        ),
        ("allocation_fact", ("ix_allocation_fact_loan", "ix_allocation_fact_club_paid")),
        ("instalment_fact", ()),
        ("loan_fact", ("ix_loan_fact_club_disbursed",)),
        ("fund_fact", ("ix_fund_fact_club",)),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for index in indexes:
                batch_op.drop_index(index)
        op.drop_table(table)
