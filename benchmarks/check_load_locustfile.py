"""The locust users of benchmarks/bench_check_load.py: each POSTs the same check body,
back to back (no wait between requests: a closed loop of N clients).

Run by that benchmark as `locust -f THIS --headless …` in a process of its own (locust
patches the standard library with gevent on import, which must not happen inside pytest).
It reads the body from $CHECK_LOAD_BODY and the verdict every answer must be, byte for
byte, from $CHECK_LOAD_EXPECTED; it writes every request's wall time in ms and
every failure to $CHECK_LOAD_TIMINGS (JSON) when the run stops: the benchmark computes
its percentiles from those exact times rather than from locust's rounded histogram.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from locust import FastHttpUser, constant, events, task

BODY = Path(os.environ["CHECK_LOAD_BODY"]).read_text(encoding="utf-8")
TIMINGS = Path(os.environ["CHECK_LOAD_TIMINGS"])
EXPECTED = Path(os.environ["CHECK_LOAD_EXPECTED"]).read_bytes()
HEADERS = {"Content-Type": "application/json"}

_times_ms: list[float] = []
_failures: list[str] = []


def _record(
    request_type: str,
    name: str,
    response_time: float,
    response_length: int,
    exception: BaseException | None = None,
    **_: Any,
) -> None:
    if exception is None:
        _times_ms.append(response_time)
    else:
        _failures.append(f"{request_type} {name}: {exception!r}"[:300])


def _write(**_: Any) -> None:
    TIMINGS.write_text(json.dumps({"times_ms": _times_ms, "failures": _failures}))


# locust leaves EventHook.add_listener unannotated.
events.request.add_listener(_record)  # type: ignore[no-untyped-call]
events.quitting.add_listener(_write)  # type: ignore[no-untyped-call]


class CheckClient(FastHttpUser):
    """An ERP that checks one 50-vehicle application after another."""

    wait_time = constant(0)

    @task
    def check(self) -> None:
        with self.client.post(
            "/api/v1/check", data=BODY, headers=HEADERS, catch_response=True
        ) as answer:
            # Only the expected verdict counts as a success: a 422, a 500 or any other
            # answer is an error of the run.
            if answer.status_code != 200:
                answer.failure(f"HTTP {answer.status_code}: {(answer.text or '')[:200]}")
            elif answer.content != EXPECTED:
                answer.failure(f"another verdict: {(answer.text or '')[:200]}")
            else:
                answer.success()
