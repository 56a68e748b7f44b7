"""queue index: the agency queue's index in the queue's order (due_on, then id) with
the columns of its rows, partial as the agency's visibility, so that PostgreSQL reads a
queue of 10,000 from the index alone (benchmarks/bench_workflow.py)

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None

_VISIBLE = "content IS NOT NULL AND first_submitted_at IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_queue")
        batch_op.create_index(
            "ix_applications_queue",
            ["agency_key", "status", "due_on", "id"],
            unique=False,
            postgresql_include=[
                "application_no",
                "version",
                "decision",
                "issuing_agency",
                "enterprise_uscc",
                "submitted_on",
            ],
            postgresql_where=sa.text(_VISIBLE),
            sqlite_where=sa.text(_VISIBLE),
        )


def downgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_queue")
        batch_op.create_index(
            "ix_applications_queue", ["agency_key", "status", "due_on"], unique=False
        )
