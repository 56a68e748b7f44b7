"""jobs: the table of background runs (what-if, imports, batch confirmations) on both
databases, and on PostgreSQL procrastinate's queue in a schema of its own
(docs/decisions/0029-jobs.md)

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from carexport.db import UtcDateTime

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | None = None
depends_on: str | None = None

# procrastinate's tables, functions and types live in their own schema, so they never
# mix with ours (and the models-vs-database comparison of public stays exact).
QUEUE_SCHEMA = "procrastinate"


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("requested_by_name", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("progress_done", sa.Integer(), server_default="0", nullable=False),
        sa.Column("progress_total", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("result_ref", sa.String(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("queue_job_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", UtcDateTime(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=True),
        sa.Column("heartbeat_at", UtcDateTime(), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index("ix_jobs_kind_requested", "jobs", ["kind", "requested_at"], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # Imported here: SQLite installs never need procrastinate's schema.
        from procrastinate.schema import SchemaManager

        op.execute(f'CREATE SCHEMA IF NOT EXISTS "{QUEUE_SCHEMA}"')
        driver = bind.connection.driver_connection
        assert driver is not None
        # The raw driver: the schema's text holds `%` that a parameter-aware execute
        # would take for placeholders. SET LOCAL ends with this transaction.
        driver.execute(f'SET LOCAL search_path TO "{QUEUE_SCHEMA}"')
        driver.execute(SchemaManager.get_schema())
        driver.execute("SET LOCAL search_path TO DEFAULT")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f'DROP SCHEMA IF EXISTS "{QUEUE_SCHEMA}" CASCADE')
    op.drop_index("ix_jobs_kind_requested", table_name="jobs")
    op.drop_table("jobs")
