"""application materials: Annex 2 files attached to the modified vehicles of an
application, keyed by (application, VIN, item)

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "application_materials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("vin", sa.String(), nullable=False),
        sa.Column("vin_key", sa.String(), nullable=False),
        sa.Column("item", sa.String(), nullable=False),
        sa.Column("filename", sa.String(), nullable=False),
        sa.Column("content_type", sa.String(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_materials_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_materials")),
        sa.UniqueConstraint(
            "application_id",
            "vin_key",
            "item",
            name=op.f("uq_application_materials_application_id"),
        ),
    )
    with op.batch_alter_table("application_materials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_application_materials_application_id"),
            ["application_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("application_materials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_materials_application_id"))
    op.drop_table("application_materials")
