"""Use cases of the jobs table; the only place that writes it.

Each function opens its own unit of work and commits once: a job's row is changed from
the thread or worker that runs it while the pages read it, so every step is short and
committed on its own (progress included), never held open across the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, exc, func, select, update

from carexport import clock
from carexport.config import get_settings
from carexport.db import UnitOfWork, is_sqlite
from carexport.errors import NotFound
from carexport.jobs.enums import FINISHED, JobKind, JobStatus
from carexport.jobs.models import Job


@dataclass(frozen=True)
class JobView:
    """A job as the pages and commands show it (detached from any session)."""

    id: int
    kind: JobKind
    parameters: dict[str, Any]
    requested_by: int | None
    requested_by_name: str | None
    status: JobStatus
    progress_done: int
    progress_total: int | None
    attempts: int
    result_ref: str | None
    result: dict[str, Any] | None
    error: str | None
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        if not self.progress_total:
            return 0
        return min(100, self.progress_done * 100 // self.progress_total)


def _view(job: Job) -> JobView:
    return JobView(
        id=job.id,
        kind=JobKind(job.kind),
        parameters=dict(job.parameters),
        requested_by=job.requested_by,
        requested_by_name=job.requested_by_name,
        status=JobStatus(job.status),
        progress_done=job.progress_done,
        progress_total=job.progress_total,
        attempts=job.attempts,
        result_ref=job.result_ref,
        result=job.result,
        error=job.error,
        requested_at=job.requested_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


def _job_not_found(job_id: int) -> NotFound:
    return NotFound(f"没有该任务 / no such job: {job_id}")


def result_root() -> Path:
    return Path(get_settings().job_result_dir)


def result_dir(job: JobView) -> Path | None:
    """The directory of a finished job's files, or None while it has none."""
    if job.status != JobStatus.DONE or job.result_ref is None:
        return None
    return result_root() / job.result_ref


def create(
    *,
    uow: UnitOfWork,
    kind: JobKind,
    parameters: dict[str, Any],
    requested_by: int | None,
    requested_by_name: str | None,
) -> JobView:
    job = Job(
        kind=kind.value,
        parameters=parameters,
        requested_by=requested_by,
        requested_by_name=requested_by_name,
        status=JobStatus.QUEUED.value,
        progress_done=0,
        attempts=0,
        requested_at=clock.now(),
    )
    uow.session.add(job)
    uow.session.flush()
    view = _view(job)
    uow.commit()
    return view


def get(*, uow: UnitOfWork, job_id: int) -> JobView:
    job = uow.session.get(Job, job_id)
    if job is None:
        raise _job_not_found(job_id)
    return _view(job)


def recent(
    *, uow: UnitOfWork, kind: JobKind, requested_by: int | None = None, limit: int = 20
) -> list[JobView]:
    """The latest jobs of `kind`, newest first; only `requested_by`'s when given."""
    query = select(Job).where(Job.kind == kind.value)
    if requested_by is not None:
        query = query.where(Job.requested_by == requested_by)
    query = query.order_by(Job.requested_at.desc(), Job.id.desc()).limit(limit)
    return [_view(j) for j in uow.session.scalars(query)]


def set_queue_job(*, engine: Engine, job_id: int, queue_job_id: int) -> None:
    with UnitOfWork(engine) as uow:
        uow.session.execute(update(Job).where(Job.id == job_id).values(queue_job_id=queue_job_id))
        uow.commit()


def start(*, engine: Engine, job_id: int) -> JobView | None:
    """Mark the job running for one more attempt; None when it must not run (finished,
    or gone). The row is locked so that two workers handed the same job (a retry racing
    a slow worker) cannot both start it twice in the same instant."""
    now = clock.now()
    with UnitOfWork(engine) as uow:
        job = uow.session.get(Job, job_id, with_for_update=True)
        if job is None or job.status in FINISHED:
            return None
        job.status = JobStatus.RUNNING.value
        job.attempts += 1
        job.started_at = now
        job.heartbeat_at = now
        job.progress_done = 0
        job.progress_total = None
        job.error = None
        view = _view(job)
        uow.commit()
        return view


def _touch(engine: Engine, job_id: int, values: dict[str, Any]) -> None:
    """Progress and heartbeats: best effort. On SQLite a job that writes (an import, a
    batch) holds the database's one write lock for its whole transaction; waiting for it
    would stall the job on its own progress report, so the report is skipped instead."""
    statement = (
        update(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING.value).values(values)
    )
    if not is_sqlite(engine):
        with UnitOfWork(engine) as uow:
            uow.session.execute(statement)
            uow.commit()
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA busy_timeout=20")
        try:
            conn.execute(statement)
            conn.commit()
        except exc.OperationalError:
            conn.rollback()
        finally:
            conn.exec_driver_sql("PRAGMA busy_timeout=30000")


def report_progress(*, engine: Engine, job_id: int, done: int, total: int | None) -> None:
    _touch(
        engine,
        job_id,
        {"progress_done": done, "progress_total": total, "heartbeat_at": clock.now()},
    )


def beat(*, engine: Engine, job_id: int) -> None:
    _touch(engine, job_id, {"heartbeat_at": clock.now()})


def finish(*, engine: Engine, job_id: int, result_ref: str | None, result: dict[str, Any]) -> None:
    """Done: the result files are already complete in place (runner renamed them)."""
    with UnitOfWork(engine) as uow:
        uow.session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(
                status=JobStatus.DONE.value,
                result_ref=result_ref,
                result=result,
                error=None,
                finished_at=clock.now(),
                progress_done=func.coalesce(Job.progress_total, Job.progress_done),
            )
        )
        uow.commit()


def fail(*, engine: Engine, job_id: int, error: str) -> None:
    with UnitOfWork(engine) as uow:
        uow.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status != JobStatus.DONE.value)
            .values(status=JobStatus.FAILED.value, error=error[:2000], finished_at=clock.now())
        )
        uow.commit()


def worker_died(*, engine: Engine, job_id: int) -> bool:
    """The worker running `job_id` stopped beating. True: run it again (the row is queued
    again); False: it has had its attempts and is failed, or it is already finished."""
    max_attempts = get_settings().job_max_attempts
    with UnitOfWork(engine) as uow:
        job = uow.session.get(Job, job_id, with_for_update=True)
        if job is None or job.status in FINISHED:
            return False
        again = _again_or_failed(
            job,
            max_attempts,
            f"执行该任务的进程{job.attempts}次中断，已放弃 / the worker running it died "
            f"{job.attempts} times; given up",
        )
        uow.commit()
        return again


# Why a job of a process that ended is failed (SQLite: its thread died with it).
PROCESS_ENDED = "运行该任务的进程已结束 / the process running it ended"
_UNFINISHED = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)


def unfinished(*, engine: Engine, asked_before: datetime) -> list[int]:
    """The jobs `queued` or `running` that were asked for before `asked_before`, oldest
    first: on SQLite, those a process that ended may have left behind."""
    with UnitOfWork(engine) as uow:
        return list(
            uow.session.scalars(
                select(Job.id)
                .where(Job.status.in_(_UNFINISHED), Job.requested_at < asked_before)
                .order_by(Job.id)
            )
        )


def take_over(*, engine: Engine, job_id: int) -> bool:
    """A job whose process ended (the caller knows: it holds the job's lock, see
    jobs.queue) is queued again while it has attempts left (True: the caller runs it),
    else failed with the reason (False). False too when it was finished meanwhile."""
    max_attempts = get_settings().job_max_attempts
    with UnitOfWork(engine) as uow:
        job = uow.session.get(Job, job_id)
        if job is None or job.status not in _UNFINISHED:
            return False
        again = _again_or_failed(
            job, max_attempts, f"{PROCESS_ENDED} ({job.attempts}/{max_attempts})"
        )
        uow.commit()
        return again


def _again_or_failed(job: Job, max_attempts: int, given_up: str) -> bool:
    """A job whose runner is gone: queued again while it has attempts left (True), else
    failed with `given_up` (False). The caller commits."""
    if job.attempts >= max_attempts:
        job.status = JobStatus.FAILED.value
        job.error = given_up
        job.finished_at = clock.now()
        return False
    job.status = JobStatus.QUEUED.value
    job.progress_done = 0
    job.progress_total = None
    return True
