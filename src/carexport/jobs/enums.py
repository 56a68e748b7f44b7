"""What a job is and where it stands."""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


# Nothing moves a job out of these.
FINISHED = frozenset({JobStatus.DONE, JobStatus.FAILED})


class JobKind(StrEnum):
    WHATIF = "whatif"
    IMPORT = "import"
    CONFIRMATIONS_BATCH = "confirmations_batch"
