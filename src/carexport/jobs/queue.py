"""Hand a job to whoever runs jobs here: procrastinate's workers on PostgreSQL, a thread
of this process on SQLite. Callers see one interface, `enqueue` and `wait`."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine

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
# The jobs this process holds in its executor (queued or running), by engine. While it
# holds them it beats for the queued ones (the runner beats for the running one), so
# another process's sweep (`recover`) can tell them from a dead process's.
_held: dict[int, Engine] = {}
_beater: threading.Thread | None = None


def _local_executor() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="carexport-job")
        return _executor


def _beat_held() -> None:
    while True:
        time.sleep(get_settings().job_heartbeat_seconds)
        with _executor_lock:
            held = list(_held.items())
        for engine in {id(e): e for _, e in held}.values():
            try:
                ids = [job_id for job_id, e in held if e is engine]
                service.beat_queued(engine=engine, job_ids=ids)
            except Exception:  # a missed beat is not a failure of the jobs
                log.warning("queued jobs: heartbeat not written", exc_info=True)


def _run_held(engine: Engine, job_id: int) -> None:
    try:
        runner.run(engine=engine, job_id=job_id)
    finally:
        with _executor_lock:
            _held.pop(job_id, None)


def _submit(engine: Engine, job_id: int) -> None:
    """Run `job_id` in this process's job thread, after the jobs already there."""
    global _beater
    executor = _local_executor()
    with _executor_lock:
        _held[job_id] = engine
        if _beater is None:
            _beater = threading.Thread(target=_beat_held, name="carexport-job-beat", daemon=True)
            _beater.start()
    executor.submit(_run_held, engine, job_id)


def recover(engine: Engine | None = None) -> list[int]:
    """SQLite: take over the jobs a process that ended left `queued` or `running` (its
    thread died with it): run them here, after this process's own, when they have
    attempts left; the others are failed with the reason (service.recover_orphans).
    Called when the web server starts and before each job is queued. On PostgreSQL the
    workers' sweeper does this (jobs.pgqueue); nothing to do here."""
    engine = engine or default_engine()
    if not is_sqlite(engine):
        return []
    with _executor_lock:
        held = set(_held)
    taken = service.recover_orphans(engine=engine, held=held)
    for job_id in taken:
        _submit(engine, job_id)
    return taken


class QueueUnavailable(CarexportError):
    """The job was recorded but could not be handed to the queue."""


def recover_at_start() -> None:
    """At a server's start: `recover` now, and once more when a process that ended just
    before (its heartbeat still fresh now) has been silent for `job_stalled_seconds`.
    A store not reachable or not migrated yet is not the server's failure: logged."""
    engine = default_engine()
    if not is_sqlite(engine):
        return

    def sweep() -> None:
        try:
            if taken := recover(engine):
                log.warning("jobs of a process that ended, run again here: %s", taken)
        except Exception:
            log.warning("in-process jobs: the sweep for orphaned jobs failed", exc_info=True)

    sweep()
    later = threading.Timer(get_settings().job_stalled_seconds, sweep)
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
        _submit(engine, job.id)
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
