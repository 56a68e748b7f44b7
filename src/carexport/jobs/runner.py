"""Run one job: the same code in a `carexport worker` (PostgreSQL) and in a thread of
the process that asked (SQLite).

What a job leaves is all or nothing: its handler writes its files into a fresh
temporary directory beside the results; only when the handler has returned is that
directory renamed to the job's own (one atomic rename on one file system), and only
then is the row marked done. A worker killed before the rename leaves a temporary
directory nobody links to (the next run of the job makes a new one); killed between
the rename and the commit, the retry writes the same files again.
"""

from __future__ import annotations

import importlib
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from carexport.config import get_settings
from carexport.errors import CarexportError
from carexport.jobs import service
from carexport.jobs.enums import JobKind

log = logging.getLogger(__name__)

# Each kind's handler, imported only when a job of that kind runs (a worker that only
# imports feeds never loads the what-if code, and `jobs` imports no feature at load).
HANDLERS: dict[JobKind, str] = {
    JobKind.WHATIF: "carexport.whatif.jobs:run_whatif",
    JobKind.IMPORT: "carexport.jobs.imports:run_import",
    JobKind.CONFIRMATIONS_BATCH: "carexport.documents.confirmations_batch:run_batch_job",
}

# Progress is written at most this often: a row update per line would cost more than
# the work it reports.
_PROGRESS_EVERY_SECONDS = 0.5


@dataclass
class JobContext:
    """What a handler gets: its parameters, where to write files, how to report."""

    job_id: int
    parameters: dict[str, Any]
    workdir: Path  # the handler's files go here; renamed into place when it returns
    engine: Engine
    _last: float = field(default=0.0)

    def progress(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - self._last < _PROGRESS_EVERY_SECONDS and (total is None or done < total):
            return
        self._last = now
        service.report_progress(engine=self.engine, job_id=self.job_id, done=done, total=total)


Handler = Callable[[JobContext], dict[str, Any]]


def handler_for(kind: JobKind) -> Handler:
    module, _, attribute = HANDLERS[kind].partition(":")
    found: Handler = getattr(importlib.import_module(module), attribute)
    return found


class _Heartbeat:
    """Touches the row's heartbeat while a long step reports no progress: the pages and
    `carexport jobs show` tell a job under way from a stuck one by it. (Who is alive is
    procrastinate's heartbeat on PostgreSQL and the job's file lock on SQLite.)"""

    def __init__(self, engine: Engine, job_id: int) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(engine, job_id), name=f"job-{job_id}-heartbeat", daemon=True
        )

    def _run(self, engine: Engine, job_id: int) -> None:
        every = get_settings().job_heartbeat_seconds
        while not self._stop.wait(every):
            try:
                service.beat(engine=engine, job_id=job_id)
            except Exception:  # a missed beat is not a failure of the job
                log.warning("job %s: heartbeat not written", job_id, exc_info=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run(*, engine: Engine, job_id: int) -> None:
    """Run `job_id` once; every outcome ends in the jobs table (done or failed)."""
    job = service.start(engine=engine, job_id=job_id)
    if job is None:
        return
    root = service.result_root()
    root.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f".job-{job_id}-", dir=root))
    try:
        with _Heartbeat(engine, job_id):
            context = JobContext(
                job_id=job_id, parameters=job.parameters, workdir=workdir, engine=engine
            )
            result = handler_for(job.kind)(context)
        final = root / str(job_id)
        if final.exists():
            # A run killed after its rename but before its commit: same job, same files.
            shutil.rmtree(final)
        os.replace(workdir, final)
        service.finish(engine=engine, job_id=job_id, result_ref=str(job_id), result=result)
    except CarexportError as exc:
        service.fail(engine=engine, job_id=job_id, error=str(exc))
    except Exception as exc:
        log.exception("job %s failed", job_id)
        service.fail(
            engine=engine,
            job_id=job_id,
            error=f"内部错误 / internal error: {type(exc).__name__}: {exc}",
        )
    finally:
        if workdir.exists():
            shutil.rmtree(workdir, ignore_errors=True)
