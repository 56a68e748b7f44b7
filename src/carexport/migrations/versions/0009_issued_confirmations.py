"""issued confirmations: outlets' services; the confirmations a manufacturer issues in the
store (who, when, revocation and its reason) and their gap-free yearly counter

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("outlets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("services", sa.String(), nullable=True))

    op.create_table(
        "confirmation_counters",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_confirmation_counters")),
    )
    op.create_table(
        "issued_confirmations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("confirmation_id", sa.String(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.Integer(), nullable=True),
        sa.Column("revocation_reason", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_issued_confirmations_org_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_confirmations")),
        sa.UniqueConstraint(
            "confirmation_id", name=op.f("uq_issued_confirmations_confirmation_id")
        ),
    )
    with op.batch_alter_table("issued_confirmations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_issued_confirmations_org_id"), ["org_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("issued_confirmations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issued_confirmations_org_id"))
    op.drop_table("issued_confirmations")
    op.drop_table("confirmation_counters")
    with op.batch_alter_table("outlets", schema=None) as batch_op:
        batch_op.drop_column("services")
