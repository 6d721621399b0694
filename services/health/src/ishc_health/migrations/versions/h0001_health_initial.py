"""health: the service's own branch (its tables come with its features)

Revision ID: health0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

revision: str = "health0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("health",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
