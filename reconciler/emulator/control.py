"""The emulator's own endpoints under `/_emulator/`: change faults at runtime, count them.

A test suite sets the faults it needs for one test (`PUT /_emulator/faults`), runs its client,
then checks how many faults it actually injected (`GET /_emulator/stats`), so an assertion such
as "the client retried every 503" can be checked against what the emulator did. These paths
belong to no vendor and are never faulted.

- `GET /_emulator/faults`: the current fault config.
- `PUT /_emulator/faults`: replace it (a JSON object with `FaultConfig`'s fields; missing fields
  take their defaults, so `{}` turns every fault off); 400 `{"message": ...}` on bad input.
- `GET /_emulator/stats`: `{"requests": n, "faults": {"latency": n, "error": n, ...}}`.
- `POST /_emulator/stats/reset`: zero the counters (204).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from .fault_injection import FaultInjector
from .faults import FaultConfig

CONTROL_MOUNT = "/_emulator"


def control_mount(injector: FaultInjector, extra: Sequence[BaseRoute] = ()) -> Mount:
    """The `/_emulator` routes acting on `injector`, and `extra` ones (a vendor's seeds)."""

    async def get_faults(request: Request) -> Response:
        return JSONResponse(injector.config.to_json())

    async def put_faults(request: Request) -> Response:
        raw = await request.body()
        try:
            config = FaultConfig.from_json(json.loads(raw or b"null"))
        except json.JSONDecodeError as exc:
            return _bad_request(f"the body is not valid JSON: {exc.msg} at position {exc.pos}")
        except (UnicodeDecodeError, ValueError, TypeError) as exc:
            return _bad_request(str(exc))
        injector.configure(config)
        return JSONResponse(config.to_json())

    async def get_stats(request: Request) -> Response:
        return JSONResponse(injector.stats.to_json())

    async def reset_stats(request: Request) -> Response:
        injector.reset_stats()
        return Response(status_code=204)

    return Mount(
        CONTROL_MOUNT,
        routes=[
            Route("/faults", get_faults, methods=["GET"]),
            Route("/faults", put_faults, methods=["PUT"]),
            Route("/stats", get_stats, methods=["GET"]),
            Route("/stats/reset", reset_stats, methods=["POST"]),
            *extra,
        ],
    )


def _bad_request(message: str) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=400)
