"""Hand a job to whoever runs jobs here: procrastinate's workers on PostgreSQL, a thread
of this process on SQLite. Callers see one interface, `enqueue` and `wait`."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine

from carexport.db import UnitOfWork, default_engine, is_sqlite
from carexport.errors import CarexportError
from carexport.jobs import runner, service
from carexport.jobs.enums import JobKind
from carexport.jobs.service import JobView

# One thread runs the in-process jobs, one after the other: SQLite has one writer at a
# time, and a second what-if at once would only halve the speed of both.
_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _local_executor() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="carexport-job")
        return _executor


class QueueUnavailable(CarexportError):
    """The job was recorded but could not be handed to the queue."""


def enqueue(
    *,
    kind: JobKind,
    parameters: dict[str, Any],
    requested_by: int | None = None,
    requested_by_name: str | None = None,
    engine: Engine | None = None,
) -> JobView:
    """Record the job (queued) and hand it on; returns at once."""
    engine = engine or default_engine()
    if is_sqlite(engine):
        service.fail_silent_threads(engine=engine)
    with UnitOfWork(engine) as uow:
        job = service.create(
            uow=uow,
            kind=kind,
            parameters=parameters,
            requested_by=requested_by,
            requested_by_name=requested_by_name,
        )
    if is_sqlite(engine):
        _local_executor().submit(runner.run, engine=engine, job_id=job.id)
        return job
    # Imported here: SQLite installs and most commands never load procrastinate.
    from carexport.jobs import pgqueue

    try:
        queue_job_id = pgqueue.defer(engine, job.id)
    except Exception as exc:
        # The row was committed first (the worker reads it); a defer that failed must
        # not leave it queued for ever.
        service.fail(engine=engine, job_id=job.id, error=f"queue unavailable: {exc}")
        raise QueueUnavailable(
            f"任务无法入队 / the job could not be queued: {type(exc).__name__}: {exc}"
        ) from exc
    service.set_queue_job(engine=engine, job_id=job.id, queue_job_id=queue_job_id)
    return job


def wait(job_id: int, *, timeout: float, engine: Engine | None = None) -> JobView:
    """Poll until the job is finished or `timeout` seconds have passed; the last view."""
    engine = engine or default_engine()
    deadline = time.monotonic() + timeout
    while True:
        with UnitOfWork(engine) as uow:
            job = service.get(uow=uow, job_id=job_id)
        if job.finished or time.monotonic() >= deadline:
            return job
        time.sleep(0.2)
