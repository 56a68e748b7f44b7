"""review notes: notes on applications (internal or visible to the exporter), the
departure flag of status changes, and the indexes of the agency queues

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "application_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("visible_to_exporter", sa.Boolean(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_notes_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_notes")),
    )
    with op.batch_alter_table("application_notes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_application_notes_application_id"), ["application_id"], unique=False
        )
    with op.batch_alter_table("status_changes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("departure", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index(batch_op.f("ix_status_changes_at"), ["at"], unique=False)
    # Decisions taken before this column existed: a refusal or an approval is terminal,
    # so the application's stored decision is still the one it was decided on.
    op.execute(
        sa.text(
            "UPDATE status_changes SET departure = :yes WHERE "
            "(to_status = 'refused' AND application_id IN "
            "(SELECT id FROM applications WHERE decision = 'pass')) OR "
            "(to_status = 'approved' AND application_id IN "
            "(SELECT id FROM applications WHERE decision = 'review'))"
        ).bindparams(yes=True)
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_applications_queue", ["agency_key", "status", "due_on"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_queue")
    with op.batch_alter_table("status_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_changes_at"))
        batch_op.drop_column("departure")
    with op.batch_alter_table("application_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_notes_application_id"))
    op.drop_table("application_notes")
