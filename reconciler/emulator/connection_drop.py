"""Commit a write, then lose its response: the fault that idempotent retries exist for.

The client sees its request fail with a transport error although the vendor applied it, and
must not apply it twice when it retries. ASGI cannot close a connection, so the response is cut
short instead: the app runs to completion (the write is committed and persisted), its status
line and headers go out announcing a body, no body follows, and the app returns. The server
then closes the connection with the response incomplete, and an HTTP client raises (httpx:
`RemoteProtocolError`, "peer closed connection without sending complete message body").

uvicorn logs every incomplete response as an error ("ASGI callable returned without completing
response."); a log filter drops that record only for responses cut short here on purpose, so
an app bug that returns early is still logged.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Statuses that carry no body: once sent, the client considers the response complete, so the
# cut response announces 200 instead (the client never gets to see it either way).
BODILESS = frozenset({204, 205, 304})
FRAMING_HEADERS = frozenset({b"content-length", b"transfer-encoding"})
SERVER_LOGGER = "uvicorn.error"
INCOMPLETE_MESSAGE = "ASGI callable returned without completing response."

_cut_on_purpose: ContextVar[bool] = ContextVar("flagsync_emulator_cut_on_purpose", default=False)


class _DeliberateCutFilter(logging.Filter):
    """Drops the server's "incomplete response" error for responses cut on purpose.

    uvicorn logs it from the task that ran the request, after the app returned, so the context
    variable set while cutting the response is still visible there and nowhere else."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (_cut_on_purpose.get() and record.msg == INCOMPLETE_MESSAGE)


_FILTER = _DeliberateCutFilter()


async def run_and_drop(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Run `app` fully, then send only the start of its response and return."""
    started: Message | None = None
    length = 0

    async def withhold(message: Message) -> None:
        nonlocal started, length
        if message["type"] == "http.response.start":
            started = message
        elif message["type"] == "http.response.body":
            # Swallowed: the response never arrives; only its length is announced.
            length += len(message.get("body", b""))

    await app(scope, receive, withhold)
    status = started["status"] if started is not None else 200
    headers = [
        (name, value)
        for name, value in (started.get("headers", []) if started is not None else [])
        if name.lower() not in FRAMING_HEADERS
    ]
    # The body's real length (at least one byte), never delivered: the client knows the
    # response is incomplete whatever the HTTP version and the original framing.
    headers.append((b"content-length", str(max(length, 1)).encode()))
    logging.getLogger(SERVER_LOGGER).addFilter(_FILTER)  # idempotent; survives log reconfig
    _cut_on_purpose.set(True)
    await send(
        {
            "type": "http.response.start",
            "status": 200 if status in BODILESS else status,
            "headers": headers,
        }
    )
