"""DevCycle's events API, as a sink: `POST /v1/events/batch` from server SDKs.

Server SDKs queue evaluation and custom events and post them in batches (`{"batch": [{"user":
..., "events": [...]}]}`) with the SDK key as `Authorization`. The emulator has no analytics,
so it checks who posts and what the body looks like, counts the events, and drops them: an
application pointed at the emulator (`events_api_uri`) flushes without errors instead of
sending its events to the vendor.

Vendor behaviour unknown, and the emulator's choices: a missing or unknown server key is a 401
(the SDK stops sending), a body that is not a batch is a 400, and success is a 201 with a
`message` (the SDK reads that field).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .sdk_keys import environment_for_key
from .store import DevCycleStore

EVENTS_PATH = "/v1/events/batch"


def events_endpoint(store: DevCycleStore) -> Callable[[Request], Awaitable[Response]]:
    """The batch endpoint for one emulated organization."""

    async def endpoint(request: Request) -> Response:
        with store.lock:
            env = environment_for_key(store, request.headers.get("authorization", "").strip())
        if env is None:
            return _error(401, "Unauthorized", "Invalid SDK key")
        try:
            body = json.loads(await request.body())
        except (UnicodeDecodeError, json.JSONDecodeError):
            return _error(400, "Bad Request", "Invalid request body")
        count = _event_count(body)
        if count is None:
            return _error(400, "Bad Request", "batch must be an array of user event records")
        return JSONResponse({"message": f"Successfully received {count} events."}, 201)

    return endpoint


def _event_count(body: Any) -> int | None:
    """How many events a batch carries, or None if it is not shaped like one."""
    if not isinstance(body, dict) or not isinstance(body.get("batch"), list):
        return None
    count = 0
    for record in body["batch"]:
        if not isinstance(record, dict) or not isinstance(record.get("events", []), list):
            return None
        count += len(record.get("events", []))
    return count


def _error(status: int, error: str, message: str) -> JSONResponse:
    return JSONResponse({"statusCode": status, "message": message, "error": error}, status)
