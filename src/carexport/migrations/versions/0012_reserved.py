"""reserved placeholder (replace body and rename file when used)

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
