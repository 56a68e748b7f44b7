"""The store tests run on SQLite (a temporary file) and on PostgreSQL.

PostgreSQL: $CAREXPORT_TEST_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test)
names a server and a database to connect to; the session creates its own uniquely named
database there, migrates it once, truncates it after each test and drops it at the end.
When the server is unreachable the PostgreSQL cases fail when $CI is set and are
skipped with the reason in the summary otherwise: they never pass silently.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

import carexport.accounts.models
import carexport.applications.models
import carexport.audit.models
import carexport.credit.models
import carexport.documents.confirmations_models
import carexport.documents.models
import carexport.feeds.models
import carexport.jobs.models  # noqa: F401  (every table on Base.metadata)
from carexport.db import Base, make_engine
from carexport.migrations import upgrade

PG_URL = os.environ.get(
    "CAREXPORT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    admin_url = make_url(PG_URL).set(drivername="postgresql+psycopg")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the server
        admin.dispose()
        message = (
            f"PostgreSQL unreachable at {admin_url.render_as_string(hide_password=True)} "
            f"({type(exc).__name__}): the PostgreSQL store tests did NOT run. "
            "Set CAREXPORT_TEST_PG_URL to a reachable server."
        )
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    name = f"carexport_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _truncate(engine: Engine) -> None:
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "store.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        eng = make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
    else:
        eng = make_engine(request.getfixturevalue("pg_url"))
        _truncate(eng)
        yield eng
        _truncate(eng)
        eng.dispose()


@pytest.fixture
def postgres_engine(pg_url: str) -> Iterator[Engine]:
    """A migrated, empty PostgreSQL database, for behaviour only PostgreSQL has."""
    eng = make_engine(pg_url)
    _truncate(eng)
    yield eng
    _truncate(eng)
    eng.dispose()


@pytest.fixture
def database_url(engine: Engine) -> str:
    """The URL of `engine`, for commands run in a subprocess."""
    return engine.url.render_as_string(hide_password=False)
