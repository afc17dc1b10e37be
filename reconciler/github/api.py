"""A small client for the GitHub REST API: the few calls the action makes, with clear errors.

Errors name the call, GitHub's own message and the usual cause (a token without
`pull-requests: write`, a fork's read-only token). The token travels only in the
`Authorization` header and is scrubbed from every message, and pagination follows `Link` only to
the API's own origin, so the token is never sent anywhere else.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import Any

import httpx

from reconciler.github.errors import GitHubError

API_VERSION = "2022-11-28"
PER_PAGE = 100
TIMEOUT = 30.0
HINTS = {
    401: "the token is missing, expired or invalid (the action's `github-token` input)",
    403: "the token may not do this: the workflow needs `permissions: pull-requests: write`, "
    "and pull requests from forks only get a read-only token",
    404: "not found, or the token cannot see this repository",
}


class GitHubApi:
    """JSON in, JSON out; raises `GitHubError` for anything but a 2xx answer."""

    def __init__(
        self,
        base_url: str,
        token: str,
        transport: httpx.BaseTransport | None = None,
        timeout: float = TIMEOUT,
    ) -> None:
        self._token = token
        self._origin = httpx.URL(base_url)
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": "flagsync-action",
            },
            timeout=timeout,
            transport=transport,
        )

    def get(self, path: str, params: dict[str, str | int] | None = None) -> Any:
        return self._request("GET", path, params=params).json()

    def post(self, path: str, body: Any) -> Any:
        return self._request("POST", path, json=body).json()

    def patch(self, path: str, body: Any) -> Any:
        return self._request("PATCH", path, json=body).json()

    def paginate(self, path: str, params: dict[str, str | int] | None = None) -> Iterator[Any]:
        """Every item of a list endpoint, page by page (`per_page=100`, following `Link`)."""
        url: str | None = path
        query: dict[str, str | int] | None = {**(params or {}), "per_page": PER_PAGE}
        while url is not None:
            response = self._request("GET", url, params=query)
            items = response.json()
            if not isinstance(items, list):
                raise GitHubError(f"GET {path}: expected a list, got {type(items).__name__}")
            yield from items
            url = self._next_page(response)
            query = None  # the next link carries the query

    def _next_page(self, response: httpx.Response) -> str | None:
        link = response.links.get("next", {}).get("url")
        if not link:
            return None
        target = httpx.URL(link)
        if (target.scheme, target.host, target.port) != (
            self._origin.scheme,
            self._origin.host,
            self._origin.port,
        ):
            raise GitHubError(
                f"refusing to follow a next-page link to another host ({target.host})"
            )
        return str(target)

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        shown = _shown(url)
        try:
            response = self._client.request(method, url, **kwargs)
        except httpx.HTTPError as error:
            raise GitHubError(
                self._scrub(f"{method} {shown}: cannot reach {self._origin}: {error}")
            ) from None
        if response.is_success:
            return response
        message = f"{method} {shown}: {response.status_code} {_message(response)}"
        hint = HINTS.get(response.status_code)
        if hint:
            message += f" ({hint})"
        raise GitHubError(self._scrub(message), response.status_code)

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> GitHubApi:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _shown(url: str) -> str:
    """The path of a call, for messages (no host, no query)."""
    parsed = httpx.URL(url)
    return parsed.path if parsed.is_absolute_url else url.split("?")[0]


def _message(response: httpx.Response) -> str:
    """GitHub's own explanation: `message`, plus validation `errors` when there are some."""
    try:
        data = response.json()
    except ValueError:
        return response.reason_phrase or "error"
    if not isinstance(data, dict):
        return response.reason_phrase or "error"
    text = str(data.get("message") or response.reason_phrase or "error")
    errors = data.get("errors")
    if isinstance(errors, list) and errors:
        details = [e.get("message") or e.get("code") for e in errors if isinstance(e, dict)]
        text += ": " + "; ".join(str(d) for d in details if d)
    return text
