"""The answers an injected fault sends, in the shape of the vendor that owns the path.

A client parses a vendor's 429 or 503 with the same code that parses its other errors, so an
injected error must look like one the vendor sends, or the test exercises a code path the real
vendor never reaches. Faults answer before routing, so the vendor is told by the path alone:
PostHog owns `/api/`, `/flags` and `/decide`, DevCycle's Auth0 tenant owns `/oauth/`, and
DevCycle owns the rest (its mount is the catch-all).

Vendor behaviour unknown (inferred, documented here once):
- A 502 is plain text `Bad Gateway` for every vendor: a 502 comes from a proxy in front of the
  service, whose body is HTML, text or empty in real life; plain text exercises a client's
  handling of an error body that is not JSON.
- 503 and 504 use the vendor's error shape: NestJS `{statusCode, message, error}` for
  DevCycle, exceptions-hog `server_error` for PostHog, `{error, error_description}` for Auth0.
- DevCycle documents no 429 at all. It is a NestJS service, so the emulator answers what
  `@nestjs/throttler` raises (`ThrottlerException: Too Many Requests`) with the reason phrase
  added as `error`, as NestJS's own exceptions carry one.
- Auth0's 429 is `too_many_requests` with the description its tenants report ("Global limit
  has been reached").
- `Retry-After` is whole seconds (RFC 9110 delay-seconds; many clients reject fractions), so
  fractional waits are rounded up. PostHog's body says when too: DRF's `Throttled` detail
  "Expected available in N second(s)." with N the wait rounded up.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from starlette.responses import JSONResponse, PlainTextResponse, Response

Vendor = Literal["devcycle", "posthog", "auth0"]
SERVER_ERRORS = (502, 503, 504)
REASONS = {429: "Too Many Requests", 503: "Service Unavailable", 504: "Gateway Timeout"}
POSTHOG_ROOTS = frozenset({"api", "flags", "decide"})
THROTTLER_MESSAGE = "ThrottlerException: Too Many Requests"


def vendor_of(path: str) -> Vendor:
    """The vendor whose error shape a path gets, from its first segment."""
    root = path.lstrip("/").split("/", 1)[0]
    if root in POSTHOG_ROOTS:
        return "posthog"
    if root == "oauth":
        return "auth0"
    return "devcycle"


def server_error(vendor: Vendor, status: int) -> Response:
    """A 502 (plain text, as from a proxy), 503 or 504 (the vendor's error body)."""
    if status == 502:
        return PlainTextResponse("Bad Gateway", status_code=502)
    reason = REASONS[status]
    body: dict[str, Any]
    if vendor == "posthog":
        body = _posthog("server_error", "error", "A server error occurred.")
    elif vendor == "auth0":
        body = {"error": "server_error", "error_description": reason}
    else:
        body = {"statusCode": status, "message": reason, "error": reason}
    return JSONResponse(body, status_code=status)


def too_many_requests(vendor: Vendor, wait: float, retry_after: bool) -> Response:
    """A 429 saying the caller may retry in `wait` seconds (in the header only if asked)."""
    seconds = math.ceil(wait)
    body: dict[str, Any]
    if vendor == "posthog":
        unit = "second" if seconds == 1 else "seconds"
        detail = f"Request was throttled. Expected available in {seconds} {unit}."
        body = _posthog("throttled_error", "throttled", detail)
    elif vendor == "auth0":
        body = {"error": "too_many_requests", "error_description": "Global limit has been reached"}
    else:
        body = {"statusCode": 429, "message": THROTTLER_MESSAGE, "error": REASONS[429]}
    headers = {"Retry-After": str(seconds)} if retry_after else None
    return JSONResponse(body, status_code=429, headers=headers)


def _posthog(type_: str, code: str, detail: str) -> dict[str, Any]:
    """An exceptions-hog body (`attr` is null: these errors concern no field)."""
    return {"type": type_, "code": code, "detail": detail, "attr": None}
