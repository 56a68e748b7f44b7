"""procrastinate on PostgreSQL: deferring a job, and the worker that runs them.

procrastinate keeps its tables in the schema `procrastinate` (migration 0014); its
connections put that schema on their search path. A worker sends a heartbeat every
`job_heartbeat_seconds`; a worker silent for `job_stalled_seconds` is dead, and one
sweeper at a time (a PostgreSQL advisory lock, whichever worker gets it) hands the dead
worker's job back to the queue, or fails it after `job_max_attempts` runs.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from functools import cache

from procrastinate import App, PsycopgConnector, SyncPsycopgConnector
from procrastinate.jobs import Status
from procrastinate.utils import sync_to_async
from psycopg.conninfo import make_conninfo
from sqlalchemy import Engine, text

from carexport.config import get_settings
from carexport.jobs import runner, service

log = logging.getLogger(__name__)

QUEUE = "carexport"
TASK = "carexport.jobs.run"
SCHEMA = "procrastinate"
# pg_try_advisory_lock key of the sweeper: "ceSW" as a number.
_SWEEP_LOCK = 0x63655357


def conninfo(engine: Engine) -> str:
    """libpq connection string of `engine`'s database, with procrastinate's schema."""
    url = engine.url
    return make_conninfo(
        "",
        host=url.host or "",
        port=str(url.port or ""),
        user=url.username or "",
        password=url.password or "",
        dbname=url.database or "",
        options=f"-c search_path={SCHEMA}",
        **{str(k): str(v) for k, v in url.query.items()},
    )


@cache
def _deferrer(info: str) -> App:
    # One small pool per process (the web app defers from its request threads).
    app = App(connector=SyncPsycopgConnector(conninfo=info, min_size=1, max_size=2))
    app.open()
    return app


def defer(engine: Engine, job_id: int) -> int:
    """Put `job_id` on the queue; procrastinate's id of it."""
    app = _deferrer(conninfo(engine))
    return int(app.configure_task(TASK, queue=QUEUE).defer(job_id=job_id))


def worker_app(engine: Engine) -> App:
    app = App(connector=PsycopgConnector(conninfo=conninfo(engine)))

    @app.task(name=TASK, queue=QUEUE)
    def run_job(job_id: int) -> None:
        runner.run(engine=engine, job_id=job_id)

    return app


async def sweep(app: App, engine: Engine) -> int:
    """Hand the jobs of dead workers back to the queue (or fail them); how many."""
    settings = get_settings()

    # The lock is taken and released on one connection kept for the whole sweep: two
    # sweepers retrying the same job would hand a job that another worker has just
    # taken back to the queue.
    conn = await sync_to_async(engine.connect)
    try:
        locked = await sync_to_async(
            lambda: bool(conn.execute(text(f"SELECT pg_try_advisory_lock({_SWEEP_LOCK})")).scalar())
        )
        if not locked:
            return 0
        handled = 0
        try:
            stalled = await app.job_manager.get_stalled_jobs(
                queue=QUEUE, task_name=TASK, seconds_since_heartbeat=settings.job_stalled_seconds
            )
            for job in stalled:
                job_id = int(job.task_kwargs["job_id"])  # type: ignore[arg-type]
                again = await sync_to_async(service.worker_died, engine=engine, job_id=job_id)
                if again:
                    log.warning("job %s: its worker died; retrying", job_id)
                    await app.job_manager.retry_job(job)
                else:
                    await app.job_manager.finish_job(job, status=Status.FAILED, delete_job=False)
                handled += 1
            await app.job_manager.prune_stalled_workers(settings.job_stalled_seconds)
        finally:
            await sync_to_async(
                lambda: conn.execute(text(f"SELECT pg_advisory_unlock({_SWEEP_LOCK})"))
            )
        return handled
    finally:
        await sync_to_async(conn.close)


async def _sweep_forever(app: App, engine: Engine) -> None:
    every = get_settings().job_stalled_seconds / 2
    while True:
        try:
            await sweep(app, engine)
        except Exception:
            log.warning("sweeping stalled jobs failed; trying again", exc_info=True)
        await asyncio.sleep(every)


async def run_worker(engine: Engine, *, concurrency: int, name: str | None) -> None:
    """Run jobs until SIGINT/SIGTERM (procrastinate finishes the running ones first)."""
    settings = get_settings()
    app = worker_app(engine)
    async with app.open_async():
        sweeper = asyncio.create_task(_sweep_forever(app, engine))
        try:
            await app.run_worker_async(
                queues=[QUEUE],
                concurrency=concurrency,
                name=name or f"{socket.gethostname()}",
                update_heartbeat_interval=settings.job_heartbeat_seconds,
                stalled_worker_timeout=settings.job_stalled_seconds,
                install_signal_handlers=True,
            )
        finally:
            sweeper.cancel()
