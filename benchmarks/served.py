"""The web app served by uvicorn in a subprocess, as the benchmarks that time HTTP
requests against a running server start it, and that process's CPU time from /proc."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest


class Served(NamedTuple):
    base: str
    pid: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(env: dict[str, str], log: Path, options: Sequence[str] = ()) -> Iterator[Served]:
    """`uvicorn carexport.web.app:create_app --factory` on a free port with `options`,
    its output in `log`; stopped when the block ends."""
    port = _free_port()
    command = [
        sys.executable, "-m", "uvicorn", "carexport.web.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), *options,
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base, process, log)
        yield Served(base, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=20)


def _wait_for(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server stopped: {log.read_text()[-2000:]}")
        try:
            httpx.get(f"{base}/healthz", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail("the server did not answer within 60 s")


def cpu_seconds(pid: int) -> float | None:
    """The process's CPU time so far (Linux /proc; None where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # utime and stime, fields 14 and 15 of proc(5), counted from the state (field 3).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of `pid` and its live descendants (uvicorn's workers), from /proc."""
    total = cpu_seconds(pid) or 0.0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return total
    return total + sum(tree_cpu_seconds(int(child)) for child in children)
