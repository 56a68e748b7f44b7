"""BodyLimit stops a request body while it arrives, not after holding all of it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from carexport.web.limits import BodyLimit

CHUNK = b"x" * 65_536


async def reads_everything(scope: Scope, receive: Receive, send: Send) -> None:
    """An app that reads the whole body, as a JSON view does."""
    body = await Request(scope, receive).body()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(len(body)).encode()})


def run_alone(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run `coroutine` on a loop of its own in a thread of its own: another test in this
    worker (Playwright's sync API) may have left this thread's event loop running."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()


def run(headers: list[tuple[bytes, bytes]], limit: int) -> tuple[int, dict[str, Any], int]:
    """(status, answer, chunks pulled) for an endless body of 64 KiB chunks."""
    pulled = 0
    sent: list[Message] = []

    async def endless() -> Message:  # a 2 GB body, or /dev/zero piped into curl
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": CHUNK, "more_body": True}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    run_alone(BodyLimit(reads_everything, max_bytes=limit)(scope, endless, send))
    start, body = sent
    return start["status"], json.loads(body["body"]), pulled


def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    status, answer, pulled = run([(b"content-length", b"2147483648")], limit=1_000_000)
    assert status == 413
    assert pulled == 0
    assert answer["problems"][0]["field"] == "body"


def test_an_undeclared_endless_body_stops_at_the_first_chunk_past_the_limit() -> None:
    status, _, pulled = run([], limit=1_000_000)
    assert status == 413
    assert pulled == 1_000_000 // len(CHUNK) + 1


def test_a_body_within_the_limit_reaches_the_app() -> None:
    sent: list[Message] = []
    chunks = [{"type": "http.request", "body": b"12345", "more_body": False}]

    async def receive() -> Message:
        return chunks.pop()

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": []}
    run_alone(BodyLimit(reads_everything, max_bytes=5)(scope, receive, send))
    assert sent[0]["status"] == 200
    assert sent[1]["body"] == b"5"
