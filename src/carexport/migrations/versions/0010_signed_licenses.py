"""signed licenses: each license's signed versions (docs/decisions/0021-document-pdfs.md)

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "signed_licenses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("license_no", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=True),
        sa.Column("key_id", sa.String(length=64), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("license_status", sa.String(length=16), nullable=False),
        sa.Column("unsigned_reason", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signed_licenses")),
        sa.UniqueConstraint("license_no", "version", name=op.f("uq_signed_licenses_license_no")),
    )
    with op.batch_alter_table("signed_licenses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signed_licenses_license_no"), ["license_no"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("signed_licenses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signed_licenses_license_no"))
    op.drop_table("signed_licenses")
