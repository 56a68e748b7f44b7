"""Whole-process start-up of the CLI: `carexport --help` and the README check (issue 14).

Each figure is the median wall time of several fresh `python -m carexport` processes, so
it includes the interpreter, every import and the work itself: what a user waits for.
Quick by default (5 runs each); CAREXPORT_BENCH=full runs 25. Speed is only printed
against the targets (0.3 s / 0.5 s) and the 2.0 s / 2.1 s measured before the commands
were loaded lazily; the assertion is a generous bound a slow machine still meets.

    .venv/bin/python -m benchmarks.bench_startup      # or: make bench
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FULL = os.environ.get("CAREXPORT_BENCH") == "full"
RUNS = 25 if FULL else 5
# Far above the targets: fails only when start-up is back to importing everything on a
# slow machine, never on timing noise.
GENEROUS_BOUND = 5.0


@dataclass(frozen=True)
class Case:
    name: str
    args: tuple[str, ...]
    target: float  # seconds, issue 14
    before: float  # seconds, measured with every feature imported at start-up


CASES = (
    Case("carexport --help", ("--help",), target=0.3, before=2.0),
    Case(
        "carexport check (README example)",
        (
            "check",
            str(EXAMPLES / "application.json"),
            "--facts",
            str(EXAMPLES / "facts.json"),
        ),
        target=0.5,
        before=2.1,
    ),
)


@dataclass(frozen=True)
class Timing:
    case: Case
    seconds: list[float]  # wall
    cpu: list[float]  # user + system of the child: steadier on a busy machine

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    # check --facts needs no database: a URL that cannot work proves it is not touched.
    env["CAREXPORT_DATABASE_URL"] = "nonsense://not-used"
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return env


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run_once(case: Case, env: dict[str, str]) -> tuple[float, float]:
    cpu = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "carexport", *case.args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    cpu = _children_cpu() - cpu
    # A command that fails fast would look fast: it must have done its work.
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    assert done.stdout, f"{case.name}: printed nothing"
    return elapsed, cpu


def measure() -> list[Timing]:
    env = _environment()
    timings = []
    for case in CASES:
        _run_once(case, env)  # warm the file cache and the bytecode
        runs = [_run_once(case, env) for _ in range(RUNS)]
        timings.append(Timing(case, [wall for wall, _ in runs], [cpu for _, cpu in runs]))
    return timings


def report(timings: list[Timing]) -> str:
    lines = [f"CLI start-up, whole process, median of {RUNS} runs ({'full' if FULL else 'quick'}):"]
    for timing in timings:
        case = timing.case
        lines.append(
            f"  {case.name:<34} {timing.median:6.3f} s  "
            f"(min {min(timing.seconds):.3f}, max {max(timing.seconds):.3f}, "
            f"cpu {statistics.median(timing.cpu):.3f}); "
            f"{timing.median / case.target:4.2f}x the {case.target:g} s target, "
            f"{case.before / timing.median:4.1f}x faster than {case.before:g} s before"
        )
    return "\n".join(lines)


def test_cli_start_up_times() -> None:
    timings = measure()
    print("\n" + report(timings), flush=True)
    assert all(timing.median < GENEROUS_BOUND for timing in timings)


def main() -> None:
    print(report(measure()), flush=True)


if __name__ == "__main__":
    main()
