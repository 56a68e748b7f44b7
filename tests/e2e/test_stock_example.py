"""The stock-check example of the README, run as a user would: its output is the block
the README shows under the command, line for line."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _readme_command_and_output() -> tuple[str, str]:
    lines = README.splitlines()
    at = next(
        i for i, line in enumerate(lines) if line.startswith(".venv/bin/carexport check-stock")
    )
    match = re.search(r"```csv\n(.*?)\n```", "\n".join(lines[at:]), re.S)
    assert match is not None, "README.md shows no output after the check-stock command"
    return lines[at].strip(), match.group(1)


def test_the_readme_stock_check_prints_what_the_readme_shows() -> None:
    command, shown = _readme_command_and_output()
    argv = shlex.split(command)
    run = subprocess.run(
        [sys.executable, "-m", "carexport", *argv[1:]],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )

    assert run.returncode == 0, run.stderr
    assert run.stdout.rstrip("\n") == shown
    assert "1 pass, 0 review, 4 fail; 2 near-new" in run.stderr


def test_a_near_new_vehicle_needs_no_confirmation_from_its_free_day_on() -> None:
    command, shown = _readme_command_and_output()
    row = next(line for line in shown.splitlines() if line.startswith("LGXCE4CB3P0123789"))
    free_from = row.split(",")[3]
    argv = shlex.split(command)
    at = argv.index("--on") + 1
    outcomes = {}
    for day in ("2026-07-19", free_from):
        argv[at] = day
        run = subprocess.run(
            [sys.executable, "-m", "carexport", *argv[1:]],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
            check=True,
        )
        line = next(x for x in run.stdout.splitlines() if x.startswith("LGXCE4CB3P0123789"))
        outcomes[day] = line.split(",")

    assert free_from == "2026-07-20"
    assert outcomes["2026-07-19"][1] == "fail"
    assert outcomes["2026-07-19"][4] == "N180.CONFIRMATION_MISSING"
    assert outcomes[free_from][1] == "pass"
