"""`carexport org add`, `user add`, `org list`, `user list` as a user runs them:
real subprocesses on a migrated SQLite and PostgreSQL database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from carexport.accounts.models import User
from carexport.db import UnitOfWork
from tests.accounts_fixtures import CHEAP_ARGON2
from tests.integration.conftest import (  # noqa: F401  (fixtures)
    database_url,
    engine,
    pg_url,
    sqlite_template,
)

PASSWORD = "correct horse battery"
USCC = "91350100M000100Y43"


def carexport(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **CHEAP_ARGON2, "CAREXPORT_DATABASE_URL": url}
    environment.pop("CAREXPORT_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "carexport", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )


def one_error_line(run: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert run.returncode == 2, run
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("error: ")
    for text in expected:
        assert text in lines[0]


def test_org_add_prints_the_new_id_alone(database_url: str) -> None:  # noqa: F811
    first = carexport(database_url, "org", "add", "agency", "天津市商务局", "--region", "12")
    assert first.returncode == 0, first.stderr
    second = carexport(database_url, "org", "add", "exporter", "福州出口", "--uscc", USCC)
    assert second.returncode == 0, second.stderr
    assert first.stdout.strip().isdigit()
    assert first.stdout == f"{first.stdout.strip()}\n"
    assert int(second.stdout) == int(first.stdout) + 1
    listed = carexport(database_url, "org", "list").stdout.splitlines()
    assert listed == [
        f"{int(first.stdout)}\tagency\t天津市商务局\t\t12",
        f"{int(second.stdout)}\texporter\t福州出口\t{USCC}\t",
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["exporter", "无代码"], "--uscc"),
        (["exporter", "错码", "--uscc", USCC[:-1] + "0"], "--uscc"),
        (["agency", "某商务局"], "--region"),
        (["agency", "某商务局", "--region", "99"], "--region"),
        (["bank", "某银行"], "KIND"),
        (["monitor", "  "], "NAME"),
    ],
)
def test_org_add_refuses_in_one_line_with_exit_2(
    database_url: str,  # noqa: F811
    args: list[str],
    expected: str,
) -> None:
    one_error_line(carexport(database_url, "org", "add", *args), expected)


def test_user_add_reads_the_password_from_standard_input(
    database_url: str,  # noqa: F811
    engine: Engine,  # noqa: F811
) -> None:
    agency = carexport(database_url, "org", "add", "agency", "天津市商务局", "--region", "12")
    run = carexport(
        database_url,
        "user",
        "add",
        "reviewer.tj",
        "--org",
        agency.stdout.strip(),
        "--role",
        "reviewer",
        stdin=PASSWORD + "\n",
    )
    assert run.returncode == 0, run.stderr
    assert PASSWORD not in run.stdout + run.stderr
    with UnitOfWork(engine) as uow:
        user = uow.session.scalars(select(User)).one()
        assert (user.id, user.username, user.role) == (int(run.stdout), "reviewer.tj", "reviewer")
        assert user.password_hash.startswith("$argon2id$")
    admin = carexport(database_url, "user", "add", "root", "--role", "admin", stdin=PASSWORD)
    assert admin.returncode == 0, admin.stderr
    listed = carexport(database_url, "user", "list").stdout.splitlines()
    assert listed[0].split("\t")[1:4] == ["reviewer.tj", "reviewer", agency.stdout.strip()]
    assert listed[1].split("\t")[1:] == ["root", "admin", "", ""]


def test_user_add_refuses_in_one_line_with_exit_2(database_url: str) -> None:  # noqa: F811
    agency = carexport(database_url, "org", "add", "agency", "天津市商务局", "--region", "12")
    org = agency.stdout.strip()
    short = carexport(
        database_url, "user", "add", "r1", "--org", org, "--role", "reviewer", stdin="short pw\n"
    )
    one_error_line(short, "password", "12")
    assert "short pw" not in short.stderr
    misfit = carexport(
        database_url, "user", "add", "r1", "--org", org, "--role", "applicant", stdin=PASSWORD
    )
    one_error_line(misfit, "--role", "applicant")
    orphan = carexport(database_url, "user", "add", "r1", "--role", "reviewer", stdin=PASSWORD)
    one_error_line(orphan, "--org")
    carexport(database_url, "user", "add", "r1", "--org", org, "--role", "reviewer", stdin=PASSWORD)
    taken = carexport(
        database_url, "user", "add", "r1", "--org", org, "--role", "reviewer", stdin=PASSWORD
    )
    one_error_line(taken, "r1")


def test_org_add_on_a_database_without_the_schema_says_to_migrate(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/empty.sqlite3"
    one_error_line(carexport(url, "org", "add", "monitor", "商务部"), "carexport db upgrade")
