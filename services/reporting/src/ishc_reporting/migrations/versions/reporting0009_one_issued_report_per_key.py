"""one issued report per scope, province, period, map and figures day

Revision ID: reporting0009
Revises: reporting0008
Create Date: 2026-11-30 21:30:00

Existing reports get their key (a report issued on or before its period's last
day, in Vietnam, is an interim one: its key says so); where several were issued for the same key,
the earliest (by `issued_at`, then id, which is time-ordered) keeps it and the
later ones keep NULL: they stay readable at their ids, as issued, and an issue
of the same report from now on returns the earliest. Nothing is deleted.
"""

import json
from collections.abc import Sequence
from datetime import UTC
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "reporting0009"
down_revision: str | None = "reporting0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")  # where a report's issue day is counted

_reports = sa.table(
    "issued_report",
    sa.column("id", sa.String),
    sa.column("scope", sa.String),
    sa.column("province", sa.String),
    sa.column("period_kind", sa.String),
    sa.column("period_start", sa.Date),
    sa.column("period_end", sa.Date),
    sa.column("boundary", sa.String),
    sa.column("issued_at", sa.DateTime(timezone=True)),
    sa.column("content", sa.Text),
    sa.column("issue_key", sa.String),
)


def _key(row: sa.Row) -> str:
    # Frozen here: the formula of `report_layout.issue_key` when this ran.
    as_of = str(json.loads(row.content).get("as_of") or row.period_end.isoformat())[:10]
    issued = row.issued_at if row.issued_at.tzinfo else row.issued_at.replace(tzinfo=UTC)
    interim = issued.astimezone(VIETNAM).date() <= row.period_end
    day = f"interim:{as_of}" if interim else as_of
    return (
        f"{row.scope}|{row.province or ''}|{row.period_kind}|"
        f"{row.period_start.isoformat()}|{row.boundary}|{day}"
    )


def upgrade() -> None:
    with op.batch_alter_table("issued_report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issue_key", sa.String(length=120), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.select(_reports).order_by(_reports.c.issued_at, _reports.c.id)).all()
    seen: set[str] = set()
    for row in rows:
        key = _key(row)
        if key in seen:
            continue  # a later duplicate: kept, without the key
        seen.add(key)
        bind.execute(sa.update(_reports).where(_reports.c.id == row.id).values(issue_key=key))
    with op.batch_alter_table("issued_report", schema=None) as batch_op:
        batch_op.create_index("ix_issued_report_issue_key", ["issue_key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("issued_report", schema=None) as batch_op:
        batch_op.drop_index("ix_issued_report_issue_key")
        batch_op.drop_column("issue_key")
