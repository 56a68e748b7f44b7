"""reserved placeholder (replace body and rename file when used)

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
