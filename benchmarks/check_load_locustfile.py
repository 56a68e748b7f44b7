"""The locust users of benchmarks/bench_check_load.py: each POSTs the same check body.

Two ways to send, chosen by the benchmark through the environment:

- closed loop ($CHECK_LOAD_RATE unset): each user sends its next check as soon as the
  last one is answered, so N users keep N checks in flight (a saturation test);
- open loop ($CHECK_LOAD_RATE = checks per second per user): each user sends at the
  moments of a Poisson process of that rate, started at a random phase, whatever the
  server does; a check's time counts from the moment it was due, so a check that had to
  wait for its user's previous answer counts that wait too (no coordinated omission).

Run by that benchmark as `locust -f THIS --headless …` in a process of its own (locust
patches the standard library with gevent on import, which must not happen inside pytest).
It reads the body from $CHECK_LOAD_BODY and the verdict every answer must be, byte for
byte, from $CHECK_LOAD_EXPECTED; it writes every check's time in ms and every failure to
$CHECK_LOAD_TIMINGS (JSON) when the run stops: the benchmark computes its percentiles
from those exact times rather than from locust's rounded histogram.
"""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path
from typing import Any

from locust import FastHttpUser, events, task

BODY = Path(os.environ["CHECK_LOAD_BODY"]).read_text(encoding="utf-8")
TIMINGS = Path(os.environ["CHECK_LOAD_TIMINGS"])
EXPECTED = Path(os.environ["CHECK_LOAD_EXPECTED"]).read_bytes()
RATE = float(os.environ.get("CHECK_LOAD_RATE") or 0)  # per user; 0: closed loop
HEADERS = {"Content-Type": "application/json"}

_times_ms: list[float] = []
_failures: list[str] = []


def _write(**_: Any) -> None:
    TIMINGS.write_text(json.dumps({"times_ms": _times_ms, "failures": _failures}))


# locust leaves EventHook.add_listener unannotated.
events.quitting.add_listener(_write)  # type: ignore[no-untyped-call]


class CheckClient(FastHttpUser):
    """An ERP that checks one 50-vehicle application after another."""

    def on_start(self) -> None:
        # The moment the next check is due (open loop), from a random phase, so that
        # the users do not all send at the same instant. (time.sleep is gevent's here.)
        if RATE:
            time.sleep(random.uniform(0, 1 / RATE))
        self._due = time.monotonic()

    def wait_time(self) -> float:
        if not RATE:
            return 0.0
        self._due += random.expovariate(RATE)
        return max(0.0, self._due - time.monotonic())

    @task
    def check(self) -> None:
        started = self._due if RATE else time.monotonic()
        with self.client.post(
            "/api/v1/check", data=BODY, headers=HEADERS, catch_response=True
        ) as answer:
            # Only the expected verdict counts as a success: a 422, a 500 or any other
            # answer is an error of the run.
            if answer.status_code != 200:
                failure = f"HTTP {answer.status_code}: {(answer.text or '')[:200]}"
            elif answer.content != EXPECTED:
                failure = f"another verdict: {(answer.text or '')[:200]}"
            else:
                failure = None
            if failure is None:
                answer.success()
                _times_ms.append((time.monotonic() - started) * 1000)
            else:
                answer.failure(failure)
                _failures.append(failure[:300])
