"""Hand a job to whoever runs jobs here: procrastinate's workers on PostgreSQL, a thread
of this process on SQLite. Callers see one interface, `enqueue` and `wait`."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, exc

from carexport import clock
from carexport.config import get_settings
from carexport.db import UnitOfWork, default_engine, is_sqlite
from carexport.errors import CarexportError
from carexport.jobs import runner, service
from carexport.jobs.enums import JobKind
from carexport.jobs.service import JobView

log = logging.getLogger(__name__)

# One thread runs the in-process jobs, one after the other: SQLite has one writer at a
# time, and a second what-if at once would only halve the speed of both.
_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
# The jobs this process holds (queued in its executor or running there), each with an
# exclusive lock (flock) on a file of its own beside the SQLite database. The kernel
# drops a process's locks when it ends, however it ends: a job whose lock another
# process can take was left by a process that is gone. No heartbeat is asked for, so
# a job that holds SQLite's write lock for minutes (an import) never looks dead while
# its process lives, and is never run twice.
_held: dict[int, int] = {}  # job id -> the open lock file's descriptor


def _local_executor() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="carexport-job")
        return _executor


class QueueUnavailable(CarexportError):
    """The job was recorded but could not be handed to the queue."""


def _lock_file(engine: Engine, job_id: int) -> Path | None:
    """The job's lock file: in a folder beside the database file; None for a database
    no other process can open (in memory)."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    folder = Path(f"{database}.jobs")
    folder.mkdir(exist_ok=True)
    return folder / f"{job_id}.lock"


def _try_hold(engine: Engine, job_id: int) -> int | None:
    """The job's lock taken (its descriptor), or None while another process holds it."""
    path = _lock_file(engine, job_id)
    if path is None:
        return -1
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _release(engine: Engine, job_id: int, fd: int) -> None:
    if fd < 0:
        return
    path = _lock_file(engine, job_id)
    # Unlinked while held: a sweeper that opened the old file takes a lock on nothing
    # that matters (the job is finished, take_over leaves it alone).
    if path is not None:
        path.unlink(missing_ok=True)
    os.close(fd)


def _run_held(engine: Engine, job_id: int) -> None:
    try:
        runner.run(engine=engine, job_id=job_id)
    finally:
        with _executor_lock:
            fd = _held.pop(job_id, -1)
        _release(engine, job_id, fd)


def _submit(engine: Engine, job_id: int, fd: int) -> None:
    """Run `job_id` (its lock held: `fd`) in this process's job thread, after the jobs
    already there."""
    executor = _local_executor()
    with _executor_lock:
        _held[job_id] = fd
    executor.submit(_run_held, engine, job_id)


def recover(engine: Engine | None = None) -> list[int]:
    """SQLite: take over the jobs a process that ended left `queued` or `running` (its
    thread died with it; nothing holds their locks): run them here, after this
    process's own, when they have attempts left; the others are failed with the
    reason (service.take_over). Called when the web server starts and before each
    job is queued. On PostgreSQL the workers' sweeper does this (jobs.pgqueue)."""
    engine = engine or default_engine()
    if not is_sqlite(engine):
        return []
    # A job asked for this instant is not locked yet by the process that asked.
    grace = timedelta(seconds=get_settings().job_heartbeat_seconds)
    taken = []
    for job_id in service.unfinished(engine=engine, asked_before=clock.now() - grace):
        with _executor_lock:
            if job_id in _held:
                continue
        fd = _try_hold(engine, job_id)
        if fd is None:
            continue  # its process is alive
        if service.take_over(engine=engine, job_id=job_id):
            _submit(engine, job_id, fd)
            taken.append(job_id)
        else:
            _release(engine, job_id, fd)
    return taken


def recover_at_start() -> None:
    """At a server's start: `recover` now, and once more when the jobs asked for just
    before are past their grace. A store not reachable or not migrated yet is not the
    server's failure: logged."""
    engine = default_engine()
    if not is_sqlite(engine):
        return

    def sweep() -> None:
        try:
            if taken := recover(engine):
                log.warning("jobs of a process that ended, run again here: %s", taken)
        except exc.OperationalError as error:
            # Not migrated yet (no jobs table) or not reachable: one line, no traceback.
            log.warning("in-process jobs: no sweep for orphaned jobs: %s", error.orig)
        except Exception:
            log.warning("in-process jobs: the sweep for orphaned jobs failed", exc_info=True)

    sweep()
    later = threading.Timer(get_settings().job_heartbeat_seconds, sweep)
    later.daemon = True
    later.start()


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
    recover(engine)
    with UnitOfWork(engine) as uow:
        job = service.create(
            uow=uow,
            kind=kind,
            parameters=parameters,
            requested_by=requested_by,
            requested_by_name=requested_by_name,
        )
    if is_sqlite(engine):
        fd = _try_hold(engine, job.id)
        if fd is not None:  # else a sweeping process took it first and runs it
            _submit(engine, job.id, fd)
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
