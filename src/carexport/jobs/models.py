"""The jobs table: what the pages and `carexport jobs` show of each background run.

The queue itself (who takes which job, heartbeats, retries) is procrastinate's on
PostgreSQL and a thread on SQLite; this table is ours, the same on both databases.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from carexport.db import Base, UtcDateTime
from carexport.jobs.enums import JobStatus


class Job(Base):
    __tablename__ = "jobs"
    # The monitor's list of runs of one kind, newest first.
    __table_args__ = (Index("ix_jobs_kind_requested", "kind", "requested_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    requested_by: Mapped[int | None]  # user id; None from the command line
    requested_by_name: Mapped[str | None] = mapped_column(String)
    status: Mapped[str] = mapped_column(String, default=JobStatus.QUEUED.value)
    progress_done: Mapped[int] = mapped_column(default=0, server_default="0")
    progress_total: Mapped[int | None]
    # Runs started (a worker killed mid-run makes the next one a retry).
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    # The directory of the result files under Settings.job_result_dir, set only once
    # every file is complete and renamed into place.
    result_ref: Mapped[str | None] = mapped_column(String)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the summary the page shows
    error: Mapped[str | None] = mapped_column(String)
    queue_job_id: Mapped[int | None]  # procrastinate's job id (PostgreSQL)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
