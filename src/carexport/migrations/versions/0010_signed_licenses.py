"""signed licenses: reserved in the chain so parallel work lands without two heads.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
