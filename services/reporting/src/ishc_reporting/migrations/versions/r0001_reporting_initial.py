"""reporting: the service's own branch (its tables come with its features)

Revision ID: reporting0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

revision: str = "reporting0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("reporting",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
