"""`carexport worker` (runs jobs on PostgreSQL) and `carexport jobs` (see, queue imports)."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import uuid
from pathlib import Path
from typing import Annotated

import typer

from carexport.db import UnitOfWork, default_engine, is_sqlite
from carexport.errors import CarexportError
from carexport.feeds.importing import ImportMode
from carexport.jobs import queue, service
from carexport.jobs.enums import JobKind
from carexport.jobs.service import JobView

jobs_app = typer.Typer(
    help="后台任务 / background jobs: list, show, queue an import.", no_args_is_help=True
)


class WorkerNeedsPostgres(CarexportError):
    def __init__(self) -> None:
        super().__init__(
            "worker 需要 PostgreSQL；SQLite 下任务在发起它的进程内运行 / `carexport worker` "
            "needs PostgreSQL (CAREXPORT_DATABASE_URL=postgresql+psycopg://…); on SQLite "
            "jobs run inside the process that asks for them"
        )


def worker(
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="同时运行的任务数 / jobs run at once")
    ] = 1,
    name: Annotated[str | None, typer.Option(help="进程名（日志）/ worker name")] = None,
) -> None:
    """运行后台任务（PostgreSQL）/ run background jobs from the PostgreSQL queue."""
    # One per core on as many machines as needed, all on one database (docs/deploy.md).
    engine = default_engine()
    if is_sqlite(engine):
        raise WorkerNeedsPostgres()
    # Imported here: only a worker needs procrastinate's worker machinery.
    from carexport.jobs import pgqueue

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(pgqueue.run_worker(engine, concurrency=concurrency, name=name))


def _line(job: JobView) -> str:
    total = job.progress_total if job.progress_total is not None else "?"
    return (
        f"{job.id}\t{job.kind}\t{job.status}\t{job.progress_done}/{total}\t"
        f"attempts={job.attempts}\t{job.requested_at:%Y-%m-%dT%H:%M:%SZ}"
        + (f"\t{job.error}" if job.error else "")
    )


@jobs_app.command("list")
def list_jobs(
    kind: Annotated[JobKind, typer.Option(help="任务类型 / kind")] = JobKind.WHATIF,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
) -> None:
    """最近的任务 / the latest jobs of a kind, newest first."""
    with UnitOfWork() as uow:
        for job in service.recent(uow=uow, kind=kind, limit=limit):
            typer.echo(_line(job))


@jobs_app.command("show")
def show(job_id: int) -> None:
    """一个任务（JSON）/ one job as JSON, with its result files."""
    with UnitOfWork() as uow:
        job = service.get(uow=uow, job_id=job_id)
    folder = service.result_dir(job)
    document = {
        "id": job.id,
        "kind": job.kind.value,
        "status": job.status.value,
        "parameters": job.parameters,
        "progress": {"done": job.progress_done, "total": job.progress_total},
        "attempts": job.attempts,
        "error": job.error,
        "result": job.result,
        "files": sorted(str(p) for p in folder.iterdir()) if folder else [],
    }
    typer.echo(json.dumps(document, ensure_ascii=False, indent=2))


@jobs_app.command("import")
def import_in_background(
    feed: Annotated[str, typer.Argument(help="数据类型 / feed, e.g. registrations")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    skip_bad: Annotated[bool, typer.Option("--skip-bad/--all-or-nothing")] = False,
    wait: Annotated[bool, typer.Option(help="等待完成 / wait until it has finished")] = False,
) -> None:
    """后台导入大文件 / Queue a feed import as a background job (prints the job id).

    The file is copied into the shared job directory first, so that a worker on
    another machine can read it."""
    inputs = service.result_root() / "inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    copy = inputs / f"{uuid.uuid4().hex}-{file.name}"
    shutil.copyfile(file, copy)
    mode = ImportMode.SKIP_BAD if skip_bad else ImportMode.ALL_OR_NOTHING
    job = queue.enqueue(
        kind=JobKind.IMPORT,
        parameters={"feed": feed, "path": str(copy.resolve()), "mode": mode.value},
    )
    typer.echo(job.id)
    if wait or is_sqlite(default_engine()):
        # On SQLite the job is a thread of this process: it must finish before we exit.
        done = queue.wait(job.id, timeout=24 * 3600)
        typer.echo(_line(done), err=True)
        if done.status != "done":
            raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
