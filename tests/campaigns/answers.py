"""Mangled vendor answers: a transport that passes requests to a real emulator and replaces
one chosen answer with something a broken server or proxy could send."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
from hypothesis import strategies as st

KINDS = (
    "drop",  # a field of the JSON removed
    "retype",  # a value replaced by one of another type
    "empty",  # no body
    "html",  # a web page with the same status
    "error-body",  # an error body with a 2xx status
    "wrapped",  # the JSON put inside a list
    "scalar",  # a number instead of the JSON
    "deep",  # JSON nested 5,000 deep
    "redirect",  # a 302 to another host
    "huge-count",  # a `count` header of a billion
)
OTHER_VALUES = (None, 0, -1, 1.5, "x", "", [], {}, [1, "a"], {"a": 1}, True)


@dataclass
class Mangling:
    """Which answer to replace (its number among the run's requests) and how."""

    target: int
    writes_only: bool  # count only the writes (POST, PATCH, DELETE) towards `target`
    kind: str
    path_choice: int  # which node of the JSON `drop`/`retype` act on
    value: Any = None


manglings = st.builds(
    Mangling,
    target=st.integers(min_value=0, max_value=5),
    writes_only=st.booleans(),
    kind=st.sampled_from(KINDS),
    path_choice=st.integers(min_value=0, max_value=10_000),
    value=st.sampled_from(OTHER_VALUES),
)


def _nodes(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if path else []
    if isinstance(value, dict):
        for name, item in value.items():
            found.extend(_nodes(item, (*path, name)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_nodes(item, (*path, index)))
    return found


def _edit(value: Any, path: tuple[Any, ...], drop: bool, replacement: Any) -> None:
    parent = value
    for part in path[:-1]:
        parent = parent[part]
    if drop:
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement


@dataclass
class Mangler(httpx.HTTPTransport):
    """Forwards every request; replaces the answer of request number `mangling.target`."""

    mangling: Mangling
    sent: int = 0
    mangled: str | None = None  # the call whose answer was replaced
    calls: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        self.calls.append(f"{request.method} {request.url.path}")
        if self.mangling.writes_only and request.method == "GET":
            return response
        number, self.sent = self.sent, self.sent + 1
        if number != self.mangling.target:
            return response
        response.read()
        self.mangled = f"{request.method} {request.url.path}"
        return mangled(response, self.mangling)


def mangled(response: httpx.Response, how: Mangling) -> httpx.Response:
    status, headers = response.status_code, {"content-type": "application/json"}
    kind = how.kind
    try:
        data = json.loads(response.content) if response.content else None
    except ValueError:
        data = None
    if kind in ("drop", "retype"):
        nodes = _nodes(data)
        if not nodes:
            kind = "scalar"
        else:
            _edit(data, nodes[how.path_choice % len(nodes)], kind == "drop", how.value)
            return httpx.Response(status, headers=headers, content=json.dumps(data))
    if kind == "empty":
        return httpx.Response(status)
    if kind == "html":
        page = b"<html><body><h1>Sign in</h1></body></html>"
        return httpx.Response(status, headers={"content-type": "text/html"}, content=page)
    if kind == "error-body":
        body = {"statusCode": 500, "message": "Internal server error", "error": "Oops"}
        return httpx.Response(200, json=body)
    if kind == "wrapped":
        return httpx.Response(status, headers=headers, content=json.dumps([data]))
    if kind == "deep":
        return httpx.Response(status, headers=headers, content=b"[" * 5000 + b"]" * 5000)
    if kind == "redirect":
        return httpx.Response(302, headers={"location": "http://elsewhere.invalid/login"})
    if kind == "huge-count":
        moved = {**response.headers, "count": "1000000000"}
        moved.pop("content-length", None)
        moved.pop("content-encoding", None)
        return httpx.Response(status, headers=moved, content=response.content)
    return httpx.Response(status, headers=headers, content=b"42")


WRITE_BREAKING = frozenset({"empty", "html", "error-body", "wrapped", "scalar", "deep"})
"""Manglings after which a write's answer cannot be the object written."""
