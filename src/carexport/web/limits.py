"""The request-body limit, enforced while the body arrives (not after reading it whole).

A declared Content-Length over the limit is answered 413 before a byte of the body is
read; a body without one (chunked) is counted as it streams in, and the request stops
at the first chunk that passes the limit. Without this a 2 GB body, or many small
objects, would be held in memory before anything could refuse it.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class _TooLarge(Exception):
    pass


def too_large_body(max_bytes: int) -> bytes:
    reason = f"request body larger than {max_bytes} bytes (CAREXPORT_MAX_BODY_BYTES)"
    return json.dumps(
        {
            "detail": reason,
            "problems": [{"field": "body", "reason": reason, "type": "too_large"}],
        }
    ).encode()


class BodyLimit:
    """ASGI middleware: 413 with `problems` for a request body over `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(send)
            return
        seen = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except _TooLarge:
            if started:  # the app answered before reading it all; nothing more to say
                return
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = too_large_body(self.max_bytes)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
