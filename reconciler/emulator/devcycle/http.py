"""The HTTP side of every API route: auth, JSON body, locking, persistence, error bodies.

Handlers are plain functions from a `Call` (path parameters, query, parsed body, who calls) to a
`Reply`; they raise `ApiError`s for failures. `api_endpoint` wraps one into a Starlette endpoint
that checks the token first, runs the handler under the store's lock (no two requests interleave
inside a read-modify-write), persists the state after a successful write, and renders errors in
the vendor's shape.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .auth import TokenRegistry
from .collector import collector_paused
from .errors import REASONS, ApiError, BadRequest
from .pagination import paginate, parse_page_query
from .store import DevCycleStore, Doc

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
BODY_METHODS = ("POST", "PUT", "PATCH")
# The vendor's `source` values; its tools announce themselves in a `dvc-referrer` header.
SOURCES = (
    "api",
    "dashboard",
    "importer",
    "github.code_usages",
    "github.pr_insights",
    "gitlab.code_usages",
    "gitlab.pr_insights",
    "bitbucket.code_usages",
    "bitbucket.pr_insights",
    "terraform",
    "cli",
    "slack",
    "mcp",
)


@dataclass
class Call:
    """What a handler gets: the store, the path parameters, the query, the JSON body."""

    store: DevCycleStore
    path: dict[str, str]
    query: QueryParams
    body: Any
    actor: str
    source: str = "api"
    headers: dict[str, str] = field(default_factory=dict)
    """The request's headers, lower-cased names (preconditions such as `If-Match`)."""

    def param(self, name: str) -> str:
        return self.path[name]


def encode_json(body: Any) -> bytes:
    """JSON exactly as Starlette's `JSONResponse` encodes it."""
    return json.dumps(
        body, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")


@dataclass
class Reply:
    """What a handler returns; `body=None` is an empty body (the vendor's deletes). `encoded`
    is a JSON body the handler encoded itself (while it held the store's lock)."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    encoded: bytes | None = None

    def response(self) -> Response:
        if self.encoded is not None:
            return Response(
                self.encoded,
                status_code=self.status,
                headers=self.headers,
                media_type="application/json",
            )
        if self.body is None:
            return Response(status_code=self.status, headers=self.headers)
        return JSONResponse(self.body, status_code=self.status, headers=self.headers)


Handler = Callable[[Call], Reply]


def paged_reply(
    call: Call,
    items: list[Doc],
    render: Callable[[Doc], Any],
    matches: Callable[[Doc], bool] | None = None,
) -> Reply:
    """One page of a list as the vendor returns it: a bare array plus a `count` header."""
    query = parse_page_query(call.query)
    page, total = paginate(items, query, matches)  # type: ignore[arg-type]
    return Reply([render(dict(doc)) for doc in page], headers={"count": str(total)})


def error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status)


async def _json_body(request: Request) -> Any:
    """The parsed body; an empty body is `{}` as in NestJS, malformed JSON is a 400."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except UnicodeDecodeError as exc:
        raise BadRequest(f"Invalid request body: {exc.reason}") from exc
    except json.JSONDecodeError as exc:
        raise BadRequest(f"{exc.msg} in JSON at position {exc.pos}") from exc


def api_endpoint(
    store: DevCycleStore, tokens: TokenRegistry, handler: Handler
) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint running `handler` with the vendor's auth and error handling."""

    async def endpoint(request: Request) -> Response:
        try:
            tokens.check(request.headers.get("authorization"))
            writes = request.method in WRITE_METHODS
            body = await _json_body(request) if request.method in BODY_METHODS else None
            referrer = request.headers.get("dvc-referrer", "")
            call = Call(
                store=store,
                path=dict(request.path_params),
                query=request.query_params,
                body=body,
                actor=tokens.subject,
                # Vendor behaviour unknown: a request without a known referrer is recorded as `api`.
                source=referrer if referrer in SOURCES else "api",
                headers={name.lower(): value for name, value in request.headers.items()},
            )
            with store.lock, collector_paused():
                store.begin(writes)
                try:
                    reply = handler(call)
                    if writes:
                        store.changed()
                finally:
                    store.end(writes)
        except ApiError as error:
            return error_response(error)
        return reply.response()

    return endpoint


async def nest_http_error(request: Request, exc: Exception) -> Response:
    """Unknown routes and methods, worded as NestJS words them (`Cannot GET /v1/x`)."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status in (404, 405):
        message = f"Cannot {request.method} {request.url.path}"
        return JSONResponse(
            {"statusCode": 404, "message": message, "error": "Not Found"}, status_code=404
        )
    return JSONResponse(
        {
            "statusCode": status,
            "message": REASONS.get(status, "Error"),
            "error": REASONS.get(status, "Error"),
        },
        status_code=status,
    )


async def internal_error(request: Request, exc: Exception) -> Response:
    """An emulator bug still answers in the vendor's shape (NestJS's default 500 body)."""
    return JSONResponse({"statusCode": 500, "message": "Internal server error"}, status_code=500)
