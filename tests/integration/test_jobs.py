"""Background jobs: a thread on SQLite, procrastinate workers on PostgreSQL; a worker
killed mid-job (SIGKILL) leaves nothing half-written and the job is retried to
completion, or failed cleanly once it has had its attempts."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from carexport.config import get_settings
from carexport.db import UnitOfWork
from carexport.domain.vin import with_check_digit
from carexport.jobs import queue, runner, service
from carexport.jobs.enums import JobKind, JobStatus
from carexport.jobs.runner import JobContext

ROWS = 150_000


def write_registrations(path: Path, count: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["vin", "brand", "model", "registration_date", "status"])
        for i in range(count):
            writer.writerow(
                [with_check_digit(f"LJB{i:014d}"), "比亚迪", f"M{i % 97}", "2025-06-01", "A"]
            )
    return path


def registrations(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM registrations")).scalar_one())


@pytest.fixture
def job_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Short heartbeats and a results folder of the test's own, for this process and
    the workers it starts."""
    env = {
        "CAREXPORT_JOB_RESULT_DIR": str(tmp_path / "jobs"),
        "CAREXPORT_JOB_HEARTBEAT_SECONDS": "0.5",
        "CAREXPORT_JOB_STALLED_SECONDS": "2",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield env
    get_settings.cache_clear()


def test_a_job_on_sqlite_runs_in_a_thread_and_keeps_its_result(
    engine: Engine, tmp_path: Path, job_settings: dict[str, str]
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the in-process queue is SQLite's")
    path = write_registrations(tmp_path / "r.csv", 500)

    job = queue.enqueue(
        kind=JobKind.IMPORT,
        parameters={"feed": "registrations", "path": str(path)},
        engine=engine,
    )
    done = queue.wait(job.id, timeout=60, engine=engine)

    assert done.status == JobStatus.DONE, done.error
    assert done.attempts == 1
    assert done.result is not None
    assert done.result["rows_loaded"] == 500
    assert registrations(engine) == 500
    folder = service.result_dir(done)
    assert folder is not None
    assert folder.is_dir()


def _explode(context: JobContext) -> dict[str, Any]:
    (context.workdir / "half.csv").write_text("a,b\n1,")
    raise RuntimeError("disk on fire")


def test_a_failed_job_is_failed_with_its_reason_and_leaves_no_files(
    engine: Engine, job_settings: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(runner.HANDLERS, JobKind.WHATIF, f"{__name__}:_explode")
    with UnitOfWork(engine) as uow:
        job = service.create(
            uow=uow, kind=JobKind.WHATIF, parameters={}, requested_by=None, requested_by_name=None
        )

    runner.run(engine=engine, job_id=job.id)

    with UnitOfWork(engine) as uow:
        failed = service.get(uow=uow, job_id=job.id)
    assert failed.status == JobStatus.FAILED
    assert failed.error is not None
    assert "disk on fire" in failed.error
    assert service.result_dir(failed) is None
    root = Path(job_settings["CAREXPORT_JOB_RESULT_DIR"])
    assert list(root.iterdir()) == []  # the half-written temporary folder is gone


def test_a_finished_job_is_not_run_again(engine: Engine, job_settings: dict[str, str]) -> None:
    with UnitOfWork(engine) as uow:
        job = service.create(
            uow=uow, kind=JobKind.WHATIF, parameters={}, requested_by=None, requested_by_name=None
        )
    service.fail(engine=engine, job_id=job.id, error="given up")

    assert service.start(engine=engine, job_id=job.id) is None


# A process that queues two imports on SQLite (they run in its own job thread, one
# after the other) and then waits to be killed.
_QUEUE_AND_WAIT = """
import sys, time
from carexport.db import make_engine
from carexport.jobs import queue
from carexport.jobs.enums import JobKind
engine = make_engine(sys.argv[1])
for path in sys.argv[2:]:
    job = queue.enqueue(kind=JobKind.IMPORT, parameters={"feed": "registrations", "path": path},
                        engine=engine)
    print(job.id, flush=True)
time.sleep(600)
"""


def _kill_sqlite_process_mid_job(
    engine: Engine, env: dict[str, str], big: Path, small: Path
) -> tuple[int, int]:
    """The first job killed while running, the second while still queued behind it."""
    url = engine.url.render_as_string(hide_password=False)
    process = subprocess.Popen(
        [sys.executable, "-c", _QUEUE_AND_WAIT, url, str(big), str(small)],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        first, second = int(process.stdout.readline()), int(process.stdout.readline())
        wait_for(lambda: job_row(engine, first).status == JobStatus.RUNNING, 60, "the job to start")
        time.sleep(1.0)  # well into the file, nothing committed yet
        # While the process lives its jobs are its own, however long they take.
        assert queue.recover(engine) == []
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    return first, second


def test_jobs_of_a_killed_sqlite_process_are_taken_over_and_completed(
    engine: Engine, tmp_path: Path, job_settings: dict[str, str]
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the in-process queue is SQLite's")
    big = write_registrations(tmp_path / "big.csv", ROWS)
    small = write_registrations(tmp_path / "small.csv", 300)
    first, second = _kill_sqlite_process_mid_job(engine, job_settings, big, small)

    # Left behind as the process had them, nothing written.
    assert job_row(engine, first).status == JobStatus.RUNNING
    assert job_row(engine, second).status == JobStatus.QUEUED
    assert registrations(engine) == 0

    assert queue.recover(engine) == [first, second]
    assert queue.recover(engine) == []  # taken once
    done = [queue.wait(job_id, timeout=300, engine=engine) for job_id in (first, second)]

    assert [j.status for j in done] == [JobStatus.DONE, JobStatus.DONE], done
    assert [j.attempts for j in done] == [2, 1]  # the second never ran before
    # The killed transaction left nothing; the runs here loaded the big file once (the
    # small file's VINs are among its first 300).
    assert registrations(engine) == ROWS


def test_a_job_of_a_killed_sqlite_process_on_its_last_attempt_is_failed_with_the_reason(
    engine: Engine,
    tmp_path: Path,
    job_settings: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the in-process queue is SQLite's")
    monkeypatch.setenv("CAREXPORT_JOB_MAX_ATTEMPTS", "1")
    get_settings.cache_clear()
    big = write_registrations(tmp_path / "big.csv", ROWS)
    small = write_registrations(tmp_path / "small.csv", 300)
    first, second = _kill_sqlite_process_mid_job(engine, job_settings, big, small)

    assert queue.recover(engine) == [second]  # it has not had its one attempt yet
    failed = job_row(engine, first)
    assert failed.status == JobStatus.FAILED
    assert failed.error is not None
    assert "process running it ended (1/1)" in failed.error
    assert service.result_dir(failed) is None
    assert queue.wait(second, timeout=120, engine=engine).status == JobStatus.DONE
    assert registrations(engine) == 300


# --- PostgreSQL: workers in their own processes ---


def start_worker(url: str, env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "carexport", "worker", "--name", name],
        env={**os.environ, **env, "CAREXPORT_DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def job_row(engine: Engine, job_id: int) -> service.JobView:
    with UnitOfWork(engine) as uow:
        return service.get(uow=uow, job_id=job_id)


@pytest.fixture
def pg_queue(postgres_engine: Engine) -> Iterator[Engine]:
    def clear() -> None:
        with postgres_engine.begin() as conn:
            conn.execute(
                text(
                    "TRUNCATE procrastinate.procrastinate_jobs, "
                    "procrastinate.procrastinate_workers, procrastinate.procrastinate_events "
                    "RESTART IDENTITY CASCADE"
                )
            )

    clear()
    yield postgres_engine
    clear()


def _kill_mid_job(
    engine: Engine, env: dict[str, str], path: Path
) -> tuple[int, subprocess.Popen[bytes]]:
    url = engine.url.render_as_string(hide_password=False)
    first = start_worker(url, env, "doomed")
    job = queue.enqueue(
        kind=JobKind.IMPORT,
        parameters={"feed": "registrations", "path": str(path)},
        engine=engine,
    )
    # Mid-file: running and some rows read, none committed.
    wait_for(
        lambda: (
            (row := job_row(engine, job.id)).status == JobStatus.RUNNING and row.progress_done > 0
        ),
        120,
        "the job to be under way",
    )
    first.send_signal(signal.SIGKILL)
    first.wait(30)
    assert registrations(engine) == 0  # nothing half-written
    return job.id, first


@pytest.mark.postgres
def test_a_worker_killed_mid_job_is_recovered_by_another_and_the_job_completes(
    pg_queue: Engine, tmp_path: Path, job_settings: dict[str, str]
) -> None:
    engine = pg_queue
    path = write_registrations(tmp_path / "r.csv", ROWS)
    job_id, _ = _kill_mid_job(engine, job_settings, path)

    second = start_worker(engine.url.render_as_string(hide_password=False), job_settings, "heir")
    try:
        wait_for(lambda: job_row(engine, job_id).finished, 180, "the retried job to finish")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(60)

    done = job_row(engine, job_id)
    assert done.status == JobStatus.DONE, done.error
    assert done.attempts == 2
    assert registrations(engine) == ROWS
    folder = service.result_dir(done)
    assert folder is not None
    assert folder.is_dir()


def queue_status(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(text("SELECT status FROM procrastinate.procrastinate_jobs")).scalar_one()
        )


@pytest.mark.postgres
def test_a_job_whose_worker_dies_on_its_last_attempt_is_failed_cleanly(
    pg_queue: Engine,
    tmp_path: Path,
    job_settings: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {**job_settings, "CAREXPORT_JOB_MAX_ATTEMPTS": "1"}
    monkeypatch.setenv("CAREXPORT_JOB_MAX_ATTEMPTS", "1")
    get_settings.cache_clear()
    engine = pg_queue
    path = write_registrations(tmp_path / "r.csv", ROWS)
    job_id, _ = _kill_mid_job(engine, env, path)

    second = start_worker(engine.url.render_as_string(hide_password=False), env, "heir")
    try:
        # The sweeper fails our row, then procrastinate's, one after the other: wait
        # for both (a sweeper that dies between them finds the job again next time).
        wait_for(
            lambda: job_row(engine, job_id).finished and queue_status(engine) == "failed",
            60,
            "the job to be given up",
        )
        status = queue_status(engine)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(60)

    failed = job_row(engine, job_id)
    assert failed.status == JobStatus.FAILED
    assert failed.error is not None
    assert "died 1 times" in failed.error
    assert service.result_dir(failed) is None
    assert registrations(engine) == 0
    assert status == "failed"
