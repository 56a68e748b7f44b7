"""A database that cannot be used gives one clear line and exit 2, never a traceback (issue 15).

Real subprocesses with CAREXPORT_DATABASE_URL set as a user would: a value that is no URL,
an unknown kind of database, a PostgreSQL server that is not there, a read-only SQLite
file. `check --facts` needs no database and must not even read the URL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
APPLICATION = EXAMPLES / "application.json"
FACTS = EXAMPLES / "facts.json"

NOT_A_URL = "not a database url"
UNKNOWN_KIND = "nonsense://x"
NO_DRIVER = "postgresql+psycopg2://clerk:s3cret-pw@127.0.0.1:1/x"
# Port 1 refuses at once: no server, no waiting on a timeout.
UNREACHABLE = "postgresql+psycopg://nobody:s3cret-pw@127.0.0.1:1/x"


def carexport(
    *args: str | Path, url: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **(env or {}), "CAREXPORT_DATABASE_URL": url}
    environment.pop("CAREXPORT_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "carexport", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=120,
    )


def assert_one_clear_line(
    run: subprocess.CompletedProcess[str], *expected: str, alone: bool = True
) -> str:
    """Exit 2 and one `error:` line that says `expected`; with `alone`, nothing else on
    stderr (demo generate reports the world it made before it reaches the store)."""
    assert run.returncode == 2, (run.returncode, run.stderr)
    assert "Traceback" not in run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert [line for line in lines if "error" in line] == lines[-1:], run.stderr
    if alone:
        assert len(lines) == 1, run.stderr
    line = lines[-1]
    assert line.startswith("error: "), line
    for text in expected:
        assert text in line, line
    assert "s3cret-pw" not in line  # a password is never echoed
    return line


@pytest.fixture
def registrations_csv(tmp_path: Path) -> Path:
    path = tmp_path / "registrations.csv"
    path.write_text("vin,brand\nLGXCE4CB9P0123456,比亚迪\n", encoding="utf-8")
    return path


@pytest.fixture
def read_only_store(tmp_path: Path) -> str:
    """A migrated SQLite store, opened read-only (as a file without write permission is;
    the URI form works for root too, which permission bits would not stop)."""
    path = tmp_path / "store.sqlite3"
    done = carexport("db", "upgrade", url=f"sqlite:///{path}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return f"sqlite:///file:{path}?mode=ro&uri=true"


def commands(csv: Path) -> dict[str, tuple[str | Path, ...]]:
    """Every command that uses the store, with arguments that are fine apart from it."""
    return {
        "db upgrade": ("db", "upgrade"),
        "import": ("import", "registrations", csv),
        "facts import": ("facts", "import", FACTS),
        "facts export": ("facts", "export", APPLICATION),
        "check from the store": ("check", APPLICATION),
        "demo generate": ("demo", "generate", "--vehicles", "5"),
    }


COMMAND_NAMES = list(commands(Path("x")))


@pytest.mark.parametrize("url", [NOT_A_URL, UNKNOWN_KIND, NO_DRIVER, UNREACHABLE])
def test_check_with_facts_never_touches_the_database(url: str, tmp_path: Path) -> None:
    run = carexport("check", APPLICATION, "--facts", FACTS, url=url, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["application_id"] == "TJ-2026-000123"
    assert run.stderr == ""
    assert not (tmp_path / "var").exists()  # not even the SQLite directory was made


def test_check_with_facts_does_not_load_the_database_layer(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from carexport.cli import main\n"
        "try:\n"
        f"    main(['check', {str(APPLICATION)!r}, '--facts', {str(FACTS)!r}])\n"
        "except SystemExit as exit:\n"
        "    assert exit.code in (0, None), exit.code\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'sqlalchemy', 'alembic', 'polars', 'fastapi', 'psycopg'})\n"
        "print(heavy, 'carexport.db' in sys.modules, file=sys.stderr)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "CAREXPORT_DATABASE_URL": UNKNOWN_KIND},
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr.strip().splitlines()[-1] == "[] False"


@pytest.mark.parametrize("command", COMMAND_NAMES)
def test_refuses_a_value_that_is_not_a_database_url(
    command: str, tmp_path: Path, registrations_csv: Path
) -> None:
    run = carexport(*commands(registrations_csv)[command], url=NOT_A_URL, cwd=tmp_path)
    line = assert_one_clear_line(run, "is not a database URL", "sqlite:///PATH")
    assert NOT_A_URL not in line  # it might have held a password


@pytest.mark.parametrize("command", COMMAND_NAMES)
def test_names_an_unknown_kind_of_database(
    command: str, tmp_path: Path, registrations_csv: Path
) -> None:
    run = carexport(*commands(registrations_csv)[command], url=UNKNOWN_KIND, cwd=tmp_path)
    assert_one_clear_line(run, "unknown database or driver not installed", "nonsense://x")


def test_names_a_driver_that_is_not_installed_without_its_password(tmp_path: Path) -> None:
    run = carexport("db", "upgrade", url=NO_DRIVER, cwd=tmp_path)
    assert_one_clear_line(run, "driver not installed", "psycopg2", "clerk:***@127.0.0.1")


@pytest.mark.parametrize("command", COMMAND_NAMES)
def test_says_the_postgresql_server_cannot_be_reached(
    command: str, tmp_path: Path, registrations_csv: Path
) -> None:
    run = carexport(*commands(registrations_csv)[command], url=UNREACHABLE, cwd=tmp_path)
    assert_one_clear_line(
        run,
        "cannot connect to postgresql+psycopg://nobody:***@127.0.0.1:1/x",
        "Connection refused",
        "check that the server is running",
    )


@pytest.mark.parametrize("command", ["import", "facts import", "demo generate"])
def test_says_the_sqlite_store_is_read_only(
    command: str, tmp_path: Path, registrations_csv: Path, read_only_store: str
) -> None:
    run = carexport(*commands(registrations_csv)[command], url=read_only_store, cwd=tmp_path)
    assert_one_clear_line(
        run,
        "the database is read-only",
        "store.sqlite3",
        "writable",
        alone=command != "demo generate",
    )


def test_db_upgrade_says_a_new_read_only_sqlite_file_cannot_be_migrated(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite3"
    path.touch()
    run = carexport("db", "upgrade", url=f"sqlite:///file:{path}?mode=ro&uri=true", cwd=tmp_path)
    assert_one_clear_line(run, "the database is read-only", "empty.sqlite3")


def test_reading_a_read_only_store_still_works(tmp_path: Path, read_only_store: str) -> None:
    run = carexport("facts", "export", APPLICATION, url=read_only_store, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["registrations"] == []


def test_says_when_the_sqlite_directory_cannot_be_made(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    run = carexport("db", "upgrade", url=f"sqlite:///{blocker}/store.sqlite3", cwd=tmp_path)
    assert_one_clear_line(run, "cannot create the directory", "a-file")


PG_URL = os.environ.get(
    "CAREXPORT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="module")
def read_only_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated PostgreSQL database of its own, reached through read-only sessions
    (shared by the cases: nothing can write to it)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin_url = make_url(PG_URL).set(drivername="postgresql+psycopg")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the server
        admin.dispose()
        message = f"PostgreSQL unreachable ({type(exc).__name__}): this case did NOT run"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    name = f"carexport_ro_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        done = carexport("db", "upgrade", url=url, cwd=tmp_path_factory.mktemp("pg"))
        assert done.returncode == 0, done.stderr
        yield url + "?options=-c%20default_transaction_read_only%3Don"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("command", ["import", "facts import", "demo generate"])
def test_says_the_postgresql_store_is_read_only(
    command: str, tmp_path: Path, registrations_csv: Path, read_only_postgres: str
) -> None:
    run = carexport(*commands(registrations_csv)[command], url=read_only_postgres, cwd=tmp_path)
    assert_one_clear_line(
        run, "the database is read-only", "read-only transaction", alone=command != "demo generate"
    )
