"""Two imports at once (issue 15): the second is refused at once with a message saying
another import is running, or waits its turn when told to; never `database is locked`
after 30 s, never a PostgreSQL deadlock."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from carexport.bulk import BulkWriter, StoreBusy
from carexport.db import UnitOfWork, make_engine
from carexport.domain.vin import with_check_digit
from carexport.feeds import records, service
from tests.integration.test_import_absent_columns import csv_file

VINS = [with_check_digit(f"LGXCE4CB8P0{n:06d}") for n in range(20000)]


def start_import(database_url: str, path: Path, wait: float = 0.0) -> subprocess.Popen[str]:
    env = {
        "CAREXPORT_DATABASE_URL": database_url,
        "CAREXPORT_IMPORT_LOCK_WAIT_SECONDS": str(wait),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "carexport", "import", "registrations", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM registrations")).scalar_one())


def test_a_second_import_is_refused_at_once_while_one_is_running(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    path = csv_file(tmp_path / "r.csv", "vin,brand", f"{VINS[0]},比亚迪")
    with UnitOfWork(engine) as uow:
        # An import in progress: it holds the registrations table until it ends.
        BulkWriter(uow.session.connection(), [records.REGISTRATIONS])
        started = time.monotonic()
        process = start_import(database_url, path)
        _, stderr = process.communicate(timeout=60)
        elapsed = time.monotonic() - started
    assert process.returncode == 2, stderr
    assert "another import is running" in stderr
    assert "Traceback" not in stderr
    assert "database is locked" not in stderr
    assert elapsed < 15  # not the 30 s busy timeout
    assert count(engine) == 0
    assert not list(tmp_path.glob("*.report.*"))
    # Once the other has finished, the same command goes through.
    process = start_import(database_url, path)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert count(engine) == 1


def test_a_second_import_waits_its_turn_when_told_to(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    path = csv_file(tmp_path / "r.csv", "vin,brand", f"{VINS[0]},比亚迪")
    with UnitOfWork(engine) as uow:
        BulkWriter(uow.session.connection(), [records.REGISTRATIONS])
        process = start_import(database_url, path, wait=60)
        time.sleep(2)
        assert process.poll() is None, "it waits while the other import runs"
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert count(engine) == 1


def test_the_writer_refuses_in_process_with_store_busy(engine: Engine) -> None:
    with UnitOfWork(engine) as first, UnitOfWork(engine) as second:
        BulkWriter(first.session.connection(), [records.REGISTRATIONS])
        with pytest.raises(StoreBusy, match="another import is running"):
            BulkWriter(second.session.connection(), [records.REGISTRATIONS], lock_wait=0.2)


def test_two_imports_of_the_same_keys_in_opposite_order_both_finish(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    seed = csv_file(tmp_path / "seed.csv", "vin,brand", *(f"{v},旧" for v in VINS))
    process = start_import(database_url, seed)
    assert process.communicate(timeout=120)[1] is not None
    assert process.returncode == 0
    # JSON Lines take the row path: staged, then merged in file order at the end (the
    # CSV fast path locks the table for its own reasons).
    forward = tmp_path / "forward.jsonl"
    forward.write_text("".join(f'{{"vin":"{v}","brand":"甲"}}\n' for v in VINS))
    backward = tmp_path / "backward.jsonl"
    backward.write_text("".join(f'{{"vin":"{v}","brand":"乙"}}\n' for v in reversed(VINS)))
    results: dict[str, tuple[int, str]] = {}

    def run(path: Path) -> None:
        process = start_import(database_url, path, wait=120)
        _, stderr = process.communicate(timeout=300)
        results[path.name] = (process.returncode, stderr)

    threads = [threading.Thread(target=run, args=(p,)) for p in (forward, backward)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for name, (code, stderr) in results.items():
        assert code == 0, (name, stderr)
        assert "deadlock" not in stderr
    with engine.connect() as conn:
        brands = set(conn.execute(text("SELECT brand FROM registrations")).scalars())
    assert brands in ({"甲"}, {"乙"})  # one file after the other, never a mix


def test_an_import_starts_on_a_sqlite_connection_that_has_used_temp_storage(
    sqlite_template: Path, tmp_path: Path
) -> None:
    # The lock (BEGIN IMMEDIATE) comes after the connection's PRAGMAs: SQLite refuses
    # to change temp_store inside a transaction once temp storage is in use.
    database = tmp_path / "store.sqlite3"
    shutil.copyfile(sqlite_template, database)
    engine = make_engine(f"sqlite:///{database}", pool_size=1)
    with engine.connect() as conn:
        conn.exec_driver_sql("CREATE TEMP TABLE scratch (x)")
        conn.commit()
    path = csv_file(tmp_path / "r.csv", "vin,brand", f"{VINS[0]},比亚迪")
    with UnitOfWork(engine) as uow:
        result = service.import_feed(uow=uow, kind="registrations", path=path)
    assert result.committed
    assert count(engine) == 1
    engine.dispose()
