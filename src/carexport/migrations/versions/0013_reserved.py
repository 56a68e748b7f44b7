"""reserved placeholder (replace body and rename file when used)

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
