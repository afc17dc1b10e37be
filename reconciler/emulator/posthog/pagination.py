"""DRF `LimitOffsetPagination` with PostHog's page size of 100.

The page links are DRF's, byte for byte: absolute URLs built from the request's own URL, with
`limit`/`offset` replaced and the query re-encoded in sorted key order; the previous link drops
`offset` when it would be 0. A client that follows `next` until it is null sees every row once.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from starlette.requests import Request

DEFAULT_LIMIT = 100


def _positive_int(raw: str, strict: bool) -> int:
    value = int(raw)
    if value < 0 or (strict and value == 0):
        raise ValueError(raw)
    return value


def _limit(request: Request) -> int:
    try:
        return _positive_int(request.query_params["limit"], strict=True)
    except (KeyError, ValueError):
        return DEFAULT_LIMIT


def _offset(request: Request) -> int:
    try:
        return _positive_int(request.query_params["offset"], strict=False)
    except (KeyError, ValueError):
        return 0


def _replace_param(url: str, key: str, value: int) -> str:
    scheme, netloc, path, query, fragment = urlsplit(url)
    params = parse_qs(query, keep_blank_values=True)
    params[key] = [str(value)]
    return urlunsplit(
        (scheme, netloc, path, urlencode(sorted(params.items()), doseq=True), fragment)
    )


def _remove_param(url: str, key: str) -> str:
    scheme, netloc, path, query, fragment = urlsplit(url)
    params = parse_qs(query, keep_blank_values=True)
    params.pop(key, None)
    return urlunsplit(
        (scheme, netloc, path, urlencode(sorted(params.items()), doseq=True), fragment)
    )


def paginate(request: Request, rows: list[Any]) -> dict[str, Any]:
    """`{count, next, previous, results}` for one page of `rows` (already filtered, ordered)."""
    limit, offset, count = _limit(request), _offset(request), len(rows)
    url = str(request.url)
    results = [] if count == 0 or offset > count else rows[offset : offset + limit]
    next_link = None
    if offset + limit < count:
        next_link = _replace_param(_replace_param(url, "limit", limit), "offset", offset + limit)
    previous_link = None
    if offset > 0:
        if offset - limit <= 0:
            previous_link = _replace_param(_remove_param(url, "offset"), "limit", limit)
        else:
            previous_link = _replace_param(
                _replace_param(url, "limit", limit), "offset", offset - limit
            )
    return {"count": count, "next": next_link, "previous": previous_link, "results": results}
