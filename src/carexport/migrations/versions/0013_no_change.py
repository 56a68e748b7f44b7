"""no change: a number reserved while credit and jobs were built side by side and left
unused; it stays on the chain so that a database that ran it still upgrades

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
