"""The lazy CLI root: its table matches the features, and its last guard keeps tracebacks
from users (docs/decisions/0012-cli-errors-and-lazy-commands.md)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import typer
import typer.main

from carexport import cli
from carexport.cli import COMMANDS, LazyCommand, load_command, main
from carexport.errors import CarexportError, InputProblem, InvalidInput


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_listed_command_loads_with_the_help_the_table_shows(name: str) -> None:
    command = load_command(name)
    assert command.name == name
    assert command.help is not None
    assert command.help.strip() == COMMANDS[name].help


def test_the_table_lists_every_command_the_features_declare() -> None:
    declared: set[str] = set()
    for entry in {(e.module, e.attribute) for e in COMMANDS.values()}:
        module = __import__(entry[0], fromlist=[entry[1]])
        target = getattr(module, entry[1])
        holder = typer.Typer()
        if isinstance(target, typer.Typer):
            declared.add(next(n for n, e in COMMANDS.items() if e.attribute == entry[1]))
            continue
        target(holder)
        declared |= set(typer.main.get_group(holder).commands)
    assert declared == set(COMMANDS)


def test_root_help_lists_every_command_without_importing_a_feature() -> None:
    probe = (
        "import sys\n"
        "from carexport.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = [m for m in sys.modules if m.startswith('carexport.') and "
        "m.endswith('.cli') and m != 'carexport.cli']\n"
        "heavy = {m.split('.')[0] for m in sys.modules} & "
        "{'sqlalchemy', 'alembic', 'polars', 'pydantic'}\n"
        "print('LOADED', loaded, sorted(heavy))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    for name in COMMANDS:
        assert f"│ {name} " in run.stdout, name
    assert "Check an application and print the verdict JSON." in run.stdout
    assert run.stdout.strip().splitlines()[-1] == "LOADED [] []"


def register_failing(app: typer.Typer) -> None:
    @app.command("boom")
    def boom(kind: str) -> None:
        if kind == "carexport":
            raise CarexportError("快递 / the thing failed; do this")
        if kind == "invalid":
            raise InvalidInput(
                [InputProblem("A.json", "x", "bad"), InputProblem("A.json", "y", "worse")]
            )
        raise KeyError("a bug\nsecond line")


@pytest.fixture
def with_boom(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(cli.COMMANDS, "boom", LazyCommand(__name__, "register_failing", "fails"))
    monkeypatch.delenv("CAREXPORT_DEBUG", raising=False)


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        main(args)
    code = exited.value.code
    assert isinstance(code, int)
    return code, capsys.readouterr().err


def test_a_carexport_error_a_command_leaves_is_one_error_line(
    with_boom: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(["boom", "carexport"], capsys) == (2, "error: 快递 / the thing failed; do this\n")


def test_invalid_input_a_command_leaves_is_one_line_per_problem(
    with_boom: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(["boom", "invalid"], capsys) == (2, "A.json: x: bad\nA.json: y: worse\n")


def test_an_unexpected_exception_is_one_internal_error_line(
    with_boom: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _run(["boom", "bug"], capsys)
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("internal error: KeyError: 'a bug")
    assert "CAREXPORT_DEBUG=1" in err
    assert "Traceback" not in err


def test_carexport_debug_adds_the_traceback(
    with_boom: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CAREXPORT_DEBUG", "1")
    code, err = _run(["boom", "bug"], capsys)
    assert code == 2
    assert err.startswith("internal error: KeyError")
    assert "Traceback (most recent call last)" in err
    assert "register_failing" in err or "boom" in err


def test_a_mistyped_command_is_told_the_close_one(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(["chek"], capsys)
    assert code == 2
    assert "No such command 'chek'. Did you mean 'check'?" in err
