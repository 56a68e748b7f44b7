"""POST /api/v1/check runs at most `check_threads` checks of one process at once; the
others wait their turn and still get their verdict; other routes do not wait for them."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from carexport.applications import views
from carexport.config import get_settings
from carexport.rules.evaluate import evaluate
from carexport.web.app import create_app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BODY = {
    "application": json.loads((EXAMPLES / "application.json").read_text(encoding="utf-8")),
    "facts": json.loads((EXAMPLES / "facts.json").read_text(encoding="utf-8")),
}
VERDICT = json.loads((EXAMPLES / "verdict.json").read_text(encoding="utf-8"))


T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` in an event loop of its own thread: the test's thread may already
    run one (under xdist a worker may have run a Playwright test first)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture
def check_threads(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setenv("CAREXPORT_CHECK_THREADS", "2")
    get_settings.cache_clear()
    yield 2
    get_settings.cache_clear()


class Gauge:
    """How many checks are inside evaluate at once, at most."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.most = 0


@pytest.fixture
def slow_evaluate(monkeypatch: pytest.MonkeyPatch) -> Gauge:
    gauge = Gauge()

    def slow(*args: Any) -> Any:
        with gauge.lock:
            gauge.now += 1
            gauge.most = max(gauge.most, gauge.now)
        time.sleep(0.2)
        try:
            return evaluate(*args)
        finally:
            with gauge.lock:
                gauge.now -= 1

    monkeypatch.setattr(views, "evaluate", slow)
    return gauge


def test_at_most_check_threads_checks_run_at_once(check_threads: int, slow_evaluate: Gauge) -> None:
    async def main() -> tuple[list[httpx.Response], float]:
        transport = httpx.ASGITransport(app=create_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            # Warm up: the first request starts the thread pool, the first check builds
            # the rule registry.
            await client.get("/healthz")
            await client.post("/api/v1/check", json=BODY)
            checks = [
                asyncio.create_task(client.post("/api/v1/check", json=BODY)) for _ in range(6)
            ]
            await asyncio.sleep(0.05)  # the first checks are inside evaluate
            started = time.monotonic()
            health = await client.get("/healthz")
            waited = time.monotonic() - started
            assert health.status_code == 200
            return list(await asyncio.gather(*checks)), waited

    answers, health_wait = run(main())
    assert [a.status_code for a in answers] == [200] * 6
    assert all(a.json() == VERDICT for a in answers)
    assert slow_evaluate.most == check_threads
    # The queued checks wait for a check thread, not the event loop: /healthz answers
    # while six 0.2 s checks (0.6 s in all on two threads) are under way.
    assert health_wait < 0.3


def test_an_invalid_body_is_answered_from_the_check_thread_too(check_threads: int) -> None:
    async def main() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post("/api/v1/check", content=b'{"application": 1, "a": NaN}')

    answer = run(main())
    assert answer.status_code == 422
    fields = {p["field"] for p in answer.json()["problems"]}
    assert fields == {"body.a"}
