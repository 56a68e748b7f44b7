"""An import killed at any moment leaves the database as it was before or after it,
never in between (one transaction, committed once at the end)."""

from __future__ import annotations

import csv
import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text

from carexport import bulk
from carexport.db import UnitOfWork, make_engine
from carexport.domain.uscc import uscc_check_character
from carexport.domain.vin import with_check_digit
from carexport.feeds import service

ROWS = 60_000
OWNER = "91120116MA06ABCDE" + uscc_check_character("91120116MA06ABCDE")


def write_registrations(path: Path, count: int, status: str) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["vin", "brand", "model", "registration_date", "status", "owner_uscc"])
        for i in range(count):
            vin = with_check_digit(f"LGX{i:014d}")
            writer.writerow([vin, "比亚迪", f"M{i % 97}", "2025-06-01", status, OWNER])
    return path


def state(engine: Engine) -> tuple[int, str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT vin_key, model, status FROM registrations ORDER BY vin_key")
        ).all()
    digest = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
    return len(rows), digest


def start_import(url: str, path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CAREXPORT_DATABASE_URL": url}
    return subprocess.Popen(
        [sys.executable, "-m", "carexport", "import", "registrations", str(path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def load(engine: Engine, path: Path) -> None:
    with UnitOfWork(engine) as uow:
        result = service.import_feed(uow=uow, kind="registrations", path=path)
    assert result.committed


def test_killed_import_leaves_before_or_after(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    rnd = random.Random(2026)
    # Before: the first rows with another status, so the big file both adds and updates.
    small = write_registrations(tmp_path / "small.csv", 500, "G")
    big = write_registrations(tmp_path / "big.csv", ROWS, "A")

    def reset() -> None:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM registrations"))
        load(engine, small)

    reset()
    before = state(engine)
    started = time.monotonic()
    full = start_import(database_url, big)
    assert full.wait(timeout=300) == 0
    duration = time.monotonic() - started
    after = state(engine)
    assert after[0] == ROWS
    assert before != after

    outcomes = []
    for _ in range(4):
        reset()
        engine.dispose()
        process = start_import(database_url, big)
        time.sleep(rnd.uniform(0.1, duration))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        # A fresh engine, as the next process would open it (SQLite replays its WAL).
        fresh = make_engine(database_url)
        now = state(fresh)
        fresh.dispose()
        assert now in (before, after), f"half-loaded: {now[0]} rows"
        outcomes.append("after" if now == after else "before")
    if "before" not in outcomes:
        pytest.fail(f"every kill came too late to test anything: {outcomes}")


def indexes(engine: Engine) -> list[tuple[str | None, tuple[str | None, ...], bool]]:
    inspector = inspect(engine)
    found = [
        (ix["name"], tuple(ix["column_names"]), bool(ix["unique"]))
        for ix in inspector.get_indexes("registrations")
    ]
    found += [
        (uq["name"], tuple(uq["column_names"]), True)
        for uq in inspector.get_unique_constraints("registrations")
    ]
    primary = inspector.get_pk_constraint("registrations")
    found.append((primary["name"], tuple(primary["constrained_columns"]), True))
    return sorted(set(found), key=repr)


def test_killed_first_load_leaves_empty_table_and_indexes(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    """Into an empty table, PostgreSQL drops and rebuilds the indexes inside the
    transaction (decision 0006): a kill must leave the table empty and indexed."""
    rnd = random.Random(2027)
    big = write_registrations(tmp_path / "big.csv", ROWS, "A")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM registrations"))
    before = state(engine)
    shape = indexes(engine)
    assert any(name == "uq_registrations_vin_key" for name, _, _ in shape)
    started = time.monotonic()
    engine.dispose()
    full = start_import(database_url, big)
    assert full.wait(timeout=300) == 0
    duration = time.monotonic() - started
    after = state(engine)
    assert after[0] == ROWS
    assert indexes(engine) == shape

    outcomes = []
    for _ in range(4):
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM registrations"))
        engine.dispose()
        process = start_import(database_url, big)
        time.sleep(rnd.uniform(0.1, duration))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        fresh = make_engine(database_url)
        now = state(fresh)
        assert indexes(fresh) == shape
        fresh.dispose()
        assert now in (before, after), f"half-loaded: {now[0]} rows"
        outcomes.append("after" if now == after else "before")
    if "before" not in outcomes:
        pytest.fail(f"every kill came too late to test anything: {outcomes}")


@pytest.mark.postgres
def test_a_failed_background_copy_fails_the_import(
    postgres_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The columnar path copies on a thread (PostgreSQL only): its error reaches the
    caller, nothing is committed."""
    engine = postgres_engine
    small = write_registrations(tmp_path / "small.csv", 500, "G")
    load(engine, small)
    before = state(engine)
    big = write_registrations(tmp_path / "big.csv", 2000, "A")
    monkeypatch.setattr(bulk.BulkWriter, "_destination", lambda self, target: "no_such_table")
    with pytest.raises(Exception, match="no_such_table"):
        load(engine, big)
    assert state(engine) == before
