"""The audit chain: hashes and links hold, tampering is named, nothing rewrites an entry,
concurrent appends never fork it. SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
import rfc8785
from gmssl import sm3  # an independent SM3, not the one the log uses
from sqlalchemy import Engine, exc, text

from carexport import audit
from carexport.db import UnitOfWork

T0 = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)


class FakeActor:
    user_id = 7
    org_id = 3


def append_entries(engine: Engine, count: int) -> None:
    with UnitOfWork(engine) as uow:
        for i in range(count):
            audit.append(
                uow.session,
                verb="application.submitted",
                object_kind="application",
                object_id=100 + i,
                actor=FakeActor() if i % 2 else None,
                reason=f"第{i}次 / try {i}",
                versions={"from": i, "to": i + 1},
                at=T0,
            )
        uow.commit()


def verify(engine: Engine) -> audit.ChainCheck:
    with UnitOfWork(engine) as uow:
        return audit.verify(uow.session)


def run_verify(database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "carexport", "audit", "verify"],
        capture_output=True,
        text=True,
        env={**os.environ, "CAREXPORT_DATABASE_URL": database_url},
        timeout=120,
    )


@contextmanager
def tampering(engine: Engine) -> Iterator[None]:
    """What an administrator with the database's owner rights could do: switch off the
    triggers that refuse UPDATE and DELETE."""
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        if postgres:
            conn.execute(
                text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only")
            )
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_entries_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_entries_no_delete"))
    try:
        yield
    finally:
        if postgres:
            with engine.begin() as conn:
                conn.execute(
                    text("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only")
                )


def test_each_hash_is_sm3_over_the_rfc8785_entry_and_links_to_the_previous(
    engine: Engine,
) -> None:
    append_entries(engine, 3)
    with UnitOfWork(engine) as uow:
        entries = [
            audit.entry_json(e)
            for e in audit.entries_for(uow.session, [("application", n) for n in (100, 101, 102)])
        ]
    assert [e["seq"] for e in entries] == [1, 2, 3]
    assert entries[0]["prev_hash"] is None
    assert entries[1]["prev_hash"] == entries[0]["hash"]
    assert entries[2]["prev_hash"] == entries[1]["hash"]
    for entry in entries:
        unhashed = {k: v for k, v in entry.items() if k != "hash"}
        assert entry["hash"] == sm3.sm3_hash(list(rfc8785.dumps(unhashed)))
    assert entries[1]["actor"] == "7"
    assert entries[1]["org"] == 3
    assert entries[0]["actor"] == "system"
    assert entries[0]["at"] == "2026-03-10T01:00:00.000000Z"
    assert entries[0]["object"] == {"kind": "application", "id": "100"}
    assert entries[0]["payload"] == {"reason": "第0次 / try 0", "versions": {"from": 0, "to": 1}}


def test_verify_counts_the_entries_of_a_sound_chain(engine: Engine, database_url: str) -> None:
    append_entries(engine, 5)
    check = verify(engine)
    assert check.holds
    assert check.entries == 5
    run = run_verify(database_url)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("valid: 5 entries")


def test_an_empty_log_verifies(engine: Engine, database_url: str) -> None:
    run = run_verify(database_url)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("valid: 0 entries")


def test_an_altered_payload_is_named_by_verify(engine: Engine, database_url: str) -> None:
    append_entries(engine, 5)
    with tampering(engine), engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_entries SET payload = :p WHERE seq = 3"),
            {"p": '{"reason": "nothing to see", "versions": {}}'},
        )
    check = verify(engine)
    assert check.broken is not None
    assert check.broken.seq == 3
    assert "altered" in check.broken.reason
    run = run_verify(database_url)
    assert run.returncode == 1
    assert run.stdout.startswith("invalid: entry 3:")


def test_a_rewritten_entry_with_a_fresh_hash_breaks_the_next_link(engine: Engine) -> None:
    append_entries(engine, 4)
    with UnitOfWork(engine) as uow:
        entry = audit.entries_for(uow.session, [("application", 101)])[0]
        entry.payload = {"reason": "rewritten", "versions": {}}
        forged = audit.entry_hash(entry)
        uow.session.expunge(entry)
    with tampering(engine), engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_entries SET payload = :p, hash = :h WHERE seq = 2"),
            {"p": '{"reason": "rewritten", "versions": {}}', "h": forged},
        )
    check = verify(engine)
    assert check.broken is not None
    assert check.broken.seq == 3
    assert "link" in check.broken.reason


def test_deleted_entries_are_named_in_the_middle_and_at_the_end(engine: Engine) -> None:
    append_entries(engine, 6)
    with tampering(engine), engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_entries WHERE seq = 6"))
    check = verify(engine)
    assert check.broken is not None
    assert check.broken.seq == 6
    with tampering(engine), engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_entries WHERE seq = 2"))
    check = verify(engine)
    assert check.broken is not None
    assert check.broken.seq == 2


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_entries SET verb = 'x'", "DELETE FROM audit_entries WHERE seq = 1"],
)
def test_the_database_refuses_to_update_or_delete_an_entry(engine: Engine, statement: str) -> None:
    append_entries(engine, 2)
    with pytest.raises(exc.DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    assert verify(engine).entries == 2


def test_a_rolled_back_unit_of_work_leaves_no_entry(engine: Engine) -> None:
    append_entries(engine, 2)
    with UnitOfWork(engine) as uow:
        audit.append(uow.session, verb="x", object_kind="thing", object_id=1)
        # no commit: the change and its entry go together
    append_entries(engine, 1)
    check = verify(engine)
    assert check.holds
    assert check.entries == 3


def test_concurrent_appends_do_not_fork_the_chain(engine: Engine) -> None:
    append_entries(engine, 1)  # the head exists; the rest race on it
    workers, each = 8, 5
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            for _ in range(each):
                append_entries(engine, 1)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    check = verify(engine)
    assert check.holds, check.broken
    assert check.entries == 1 + workers * each
