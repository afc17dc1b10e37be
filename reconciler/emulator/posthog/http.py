"""The HTTP layer: one Starlette endpoint per PostHog URL, DRF's request pipeline inside.

DRF handles a request in a fixed order, and the order shows in what a client sees when two
things are wrong at once: authenticate (401), check project permissions (404 "Project not
found."), pick the method handler (405), then parse the body (400 parse error) and run the
view. `resource` reproduces that order for every route, runs the handler under the state lock,
renders `ApiError` as an exceptions-hog body, and calls `on_change` after every successful write
so persistence sees each committed change exactly once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from .auth import authenticate, resolve_project
from .errors import (
    ApiError,
    method_not_allowed,
    parse_error,
    server_error,
    unsupported_media_type,
    validation_error,
)
from .state import PostHogState, Record

logger = logging.getLogger(__name__)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class Call:
    """Everything a handler needs about one request, already authenticated."""

    request: Request
    state: PostHogState
    user: Record
    params: Mapping[str, str]
    body: Any
    project: Record | None = None

    @property
    def query(self) -> QueryParams:
        """The query string."""
        return self.request.query_params

    @property
    def project_id(self) -> int:
        """The addressed project's id (only for project-scoped routes)."""
        assert self.project is not None
        return int(self.project["id"])

    def data(self) -> dict[str, Any]:
        """The body as a serializer sees it; DRF rejects a non-object body at the top level."""
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise validation_error(
                f"Invalid data. Expected a dictionary, but got {type(self.body).__name__}.",
                None,
                "invalid",
            )
        return self.body


@dataclass
class Reply:
    """A handler's answer. `data=None` sends no body, as DRF's `Response(status=...)` does."""

    data: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    text: str | None = None
    """`data` already encoded as `render` would encode it (a handler that keeps encoded
    parts between requests), sent as it is."""


Handler = Callable[[Call], Reply]


def encode(data: Any) -> str:
    """DRF's JSONRenderer text: compact separators, non-ASCII characters as they are."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def render(reply: Reply) -> Response:
    """DRF's JSONRenderer output; an empty body also drops Content-Type, as DRF does."""
    if reply.data is None:
        return Response(status_code=reply.status, headers=reply.headers)
    payload = reply.text if reply.text is not None else encode(reply.data)
    return Response(
        payload.encode("utf-8"),
        status_code=reply.status,
        media_type="application/json",
        headers=reply.headers,
    )


def render_error(error: ApiError) -> Response:
    """An exceptions-hog error response (401s carry DRF's WWW-Authenticate header)."""
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else {}
    return render(Reply(error.body(), error.status, headers))


def parse_body(request: Request, raw: bytes) -> Any:
    """The request body as DRF's parsers read it (JSON only; no content type means no data)."""
    if not raw:
        return None
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";")[0].strip().lower()
    if media_type == "":
        return None
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise unsupported_media_type(content_type)
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise parse_error(str(exc)) from None


class _LazyBody:
    """The parsed body, parsed on first use: DRF only reads `request.data` when something asks
    (the key lookup when there is no Authorization header, or the view), so a malformed body
    behind a bad key is a 401, not a 400."""

    def __init__(self, request: Request, raw: bytes) -> None:
        self._request = request
        self._raw = raw
        self._parsed: Any = None
        self._done = False

    def get(self) -> Any:
        if not self._done:
            self._parsed = parse_body(self._request, self._raw)
            self._done = True
        return self._parsed


def resource(
    state: PostHogState,
    on_change: Callable[[], None],
    handlers: Mapping[str, Handler],
    *,
    project_scoped: bool = True,
) -> Callable[[Request], Any]:
    """A Starlette endpoint that runs DRF's pipeline and dispatches to `handlers` by method."""

    async def endpoint(request: Request) -> Response:
        raw = await request.body()
        method = "GET" if request.method == "HEAD" else request.method
        with state.lock:
            # Django runs each request in a transaction that an error rolls back; the write
            # journal gives writes the same all-or-nothing behaviour.
            journal = state.begin_write() if method in WRITE_METHODS else None
            state.begin(method in WRITE_METHODS)
            try:
                body = _LazyBody(request, raw if method in WRITE_METHODS else b"")
                user = authenticate(request, state, body.get)
                project = None
                if project_scoped:
                    project = resolve_project(state, user, request.path_params["project_id"])
                handler = handlers.get(method)
                if handler is None:
                    raise method_not_allowed(request.method)
                call = Call(request, state, user, request.path_params, body.get(), project)
                reply = handler(call)
                if method in WRITE_METHODS and 200 <= reply.status < 300:
                    on_change()
            except ApiError as error:
                if getattr(error, "keeps_state", False):
                    on_change()  # a gated write: its change request is committed
                elif journal is not None:
                    journal.undo()
                return render_error(error)
            except Exception:
                if journal is not None:
                    journal.undo()
                logger.exception("PostHog emulator: unhandled error on %s %s", method, request.url)
                return render_error(server_error())
            finally:
                state.end(method in WRITE_METHODS)
        return render(reply)

    return endpoint
