"""applications: the workflow (status, version, verdict, due_on, content versions, status
changes); licenses issued here (region, year, sequence, valid_from); license counters

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 17:35:16.088086
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "license_counters",
        sa.Column("region", sa.String(length=2), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("region", "year", name=op.f("pk_license_counters")),
    )
    op.create_table(
        "application_contents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("saved_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_contents_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_contents")),
        sa.UniqueConstraint(
            "application_id", "number", name=op.f("uq_application_contents_application_id")
        ),
    )
    with op.batch_alter_table("application_contents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_application_contents_application_id"), ["application_id"], unique=False
        )

    op.create_table(
        "status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("from_status", sa.String(), nullable=True),
        sa.Column("to_status", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_status_changes_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_changes")),
    )
    with op.batch_alter_table("status_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_status_changes_application_id"), ["application_id"], unique=False
        )

    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("org_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("agency_key", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("content", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("license_year", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("verdict", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("decision", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("due_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("first_submitted_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("recommended_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column("submitted_on", existing_type=sa.DATE(), nullable=True)
        batch_op.create_index(
            batch_op.f("ix_applications_agency_key"), ["agency_key"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_applications_due_on"), ["due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_applications_org_id"), ["org_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_applications_org_id_organisations"),
            "organisations",
            ["org_id"],
            ["id"],
            ondelete="RESTRICT",
        )

    with op.batch_alter_table("licenses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("year", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("sequence", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("valid_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("destination_country", sa.String(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_licenses_region"), ["region", "year", "sequence"]
        )


def downgrade() -> None:
    with op.batch_alter_table("licenses", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_licenses_region"), type_="unique")
        batch_op.drop_column("destination_country")
        batch_op.drop_column("valid_from")
        batch_op.drop_column("sequence")
        batch_op.drop_column("year")
        batch_op.drop_column("region")

    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_applications_org_id_organisations"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_applications_org_id"))
        batch_op.drop_index(batch_op.f("ix_applications_due_on"))
        batch_op.drop_index(batch_op.f("ix_applications_agency_key"))
        batch_op.alter_column("submitted_on", existing_type=sa.DATE(), nullable=False)
        batch_op.drop_column("updated_at")
        batch_op.drop_column("created_at")
        batch_op.drop_column("recommended_by")
        batch_op.drop_column("first_submitted_at")
        batch_op.drop_column("due_on")
        batch_op.drop_column("decision")
        batch_op.drop_column("verdict")
        batch_op.drop_column("license_year")
        batch_op.drop_column("content")
        batch_op.drop_column("version")
        batch_op.drop_column("agency_key")
        batch_op.drop_column("org_id")

    with op.batch_alter_table("status_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_changes_application_id"))

    op.drop_table("status_changes")
    with op.batch_alter_table("application_contents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_contents_application_id"))

    op.drop_table("application_contents")
    op.drop_table("license_counters")
