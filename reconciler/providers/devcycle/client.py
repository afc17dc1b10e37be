"""HTTP client for DevCycle's Management API: auth, errors, pagination.

Built on httpx the way httpx is meant to be used: an `httpx.Auth` that fetches and refreshes
the OAuth token, on top of `ApiClient` (retries, rate limiting, error translation). Tokens and
client secrets never appear in messages.
"""

from __future__ import annotations

import functools
import math
import os
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from reconciler import redact
from reconciler.errors import (
    AnswerShapeError,
    ApiError,
    ApiStatusError,
    CredentialsError,
    NetworkError,
)
from reconciler.providers.bounds import decode
from reconciler.providers.http import (
    ApiClient,
    GaveUp,
    RateLimiter,
    RetryPolicy,
    json_or_none,
    send_with_retries,
)

redact.declare_variables("DEVCYCLE_CLIENT_SECRET", "DEVCYCLE_API_TOKEN")

MAX_PAGE_SIZE = 1000  # the vendor's perPage limit
MAX_PAGES = 1000
"""The most pages of one list read (a million objects): a `count` header claiming more, or
pages that never run short, are an error rather than an endless download."""
AUDIENCE = "https://api.devcycle.com/"
TOKEN_REFRESH_MARGIN = 60.0  # seconds before expiry a token counts as expired
PAGE_WORKERS = 4
BUFFERED_PAGES = 10
"""Pages a `PageStream` downloads ahead of its reader: the downloads overlap with the caller's
work up to 10,000 objects, and memory stays flat beyond that (100,000 features would otherwise
wait as 100 answers while the manifests load)."""


@dataclass(frozen=True)
class Credentials:
    """Either OAuth client credentials or a ready access token (from environment variables)."""

    client_id: str | None = None
    client_secret: str | None = None
    token: str | None = None

    @classmethod
    def from_environment(cls) -> Credentials:
        """Read DEVCYCLE_CLIENT_ID / DEVCYCLE_CLIENT_SECRET, or DEVCYCLE_API_TOKEN."""
        token = os.environ.get("DEVCYCLE_API_TOKEN") or None
        client_id = os.environ.get("DEVCYCLE_CLIENT_ID") or None
        client_secret = os.environ.get("DEVCYCLE_CLIENT_SECRET") or None
        if token or (client_id and client_secret):
            return cls(client_id=client_id, client_secret=client_secret, token=token)
        missing = [
            name
            for name, value in (
                ("DEVCYCLE_CLIENT_ID", client_id),
                ("DEVCYCLE_CLIENT_SECRET", client_secret),
            )
            if not value
        ]
        raise CredentialsError(
            "DevCycle credentials missing: set DEVCYCLE_CLIENT_ID and DEVCYCLE_CLIENT_SECRET "
            "(an API client from your DevCycle organization settings), or DEVCYCLE_API_TOKEN. "
            f"Not set: {', '.join(missing)}"
        )

    def secrets(self) -> list[str]:
        return [value for value in (self.client_secret, self.token) if value]


class TokenAuth(httpx.Auth):
    """Adds `Authorization: <token>` (raw, as DevCycle's own tools send it).

    With client credentials, the token is fetched from the OAuth endpoint on first use, reused
    until shortly before it expires, and fetched again once if the API answers 401.
    """

    def __init__(
        self,
        credentials: Credentials,
        auth_url: str,
        timeout: float,
        retry: RetryPolicy,
        note: Callable[[str], None],
        *,
        stopped: Callable[[], bool] = lambda: False,
    ) -> None:
        self._credentials = credentials
        self._stopped = stopped
        self._failure: ApiError | None = None
        """A token request that failed: concurrent first requests (the downloads) wait on the
        lock and would each retry it again; they get this error instead."""
        self._auth_url = auth_url
        self._timeout = timeout
        self._retry = retry
        self._note = note
        self._token: str | None = credentials.token
        self._expires_at = math.inf if credentials.token else 0.0
        self._lock = threading.Lock()  # concurrent first requests share one token request

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._current_token()
        response = yield request
        if response.status_code == 401 and self._credentials.client_id:
            self._expires_at = 0.0
            request.headers["Authorization"] = self._current_token()
            yield request

    def _current_token(self) -> str:
        with self._lock:
            if self._failure is not None:
                raise self._failure
            if self._token is None or time.monotonic() >= self._expires_at:
                try:
                    self._token, lifetime = self._fetch_token()
                except ApiError as error:
                    self._failure = error
                    raise
                self._expires_at = time.monotonic() + max(lifetime - TOKEN_REFRESH_MARGIN, 0.0)
            return self._token

    def _post(self, form: dict[str, str]) -> httpx.Response:
        if self._stopped():
            raise NetworkError(f"POST {self._auth_url}", "stopped: the command is ending")
        return httpx.post(self._auth_url, data=form, timeout=self._timeout)

    def _fetch_token(self) -> tuple[str, float]:
        form = {
            "grant_type": "client_credentials",
            "audience": AUDIENCE,
            "client_id": self._credentials.client_id or "",
            "client_secret": self._credentials.client_secret or "",
        }
        call = f"POST {self._auth_url}"
        try:
            response, _ = send_with_retries(
                call,
                lambda: self._post(form),
                self._retry,
                self._note,
                writes=False,  # asking for a token again is harmless
            )
        except GaveUp as failure:
            if failure.response is None:
                raise NetworkError(call, f"cannot get a DevCycle token: {failure.reason}") from None
            response = failure.response
        if response.status_code >= 500 or response.status_code == 429:
            raise ApiStatusError(
                call,
                f"the token endpoint failed (HTTP {response.status_code}), still after retries",
                status=response.status_code,
            )
        if response.status_code != 200:
            body = json_or_none(response)
            reason = ""
            if isinstance(body, dict):
                reason = str(body.get("error_description") or body.get("error") or "")
            raise ApiStatusError(
                call,
                f"DevCycle refused the client credentials (HTTP {response.status_code}); check "
                "DEVCYCLE_CLIENT_ID and DEVCYCLE_CLIENT_SECRET",
                status=response.status_code,
                vendor_message=reason or None,
            )
        body = json_or_none(response)
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise AnswerShapeError(call, "the token endpoint answered without an access_token")
        redact.remember(body["access_token"])
        return body["access_token"], float(body.get("expires_in") or 3600)


class DevCycleClient(ApiClient):
    """DevCycle's Management API with one set of credentials: paged lists, NestJS errors."""

    vendor = "DevCycle"

    def __init__(
        self,
        api_url: str,
        auth_url: str,
        credentials: Credentials,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        on_retry: Callable[[str], None] | None = None,
    ) -> None:
        retry = retry or RetryPolicy()
        super().__init__(
            api_url,
            auth=TokenAuth(
                credentials,
                auth_url,
                timeout,
                retry,
                lambda text: self._note_retry(text),
                stopped=lambda: self.closed,
            ),
            secrets=credentials.secrets(),
            timeout=timeout,
            transport=transport,
            retry=retry,
            limiter=limiter,
            on_retry=on_retry,
        )

    def vendor_message(self, body: Any) -> str | None:
        """DevCycle (NestJS) says `{statusCode, message, error}`; `message` may be a list."""
        if not isinstance(body, dict):
            return None
        message = body.get("message")
        if isinstance(message, list):
            return "; ".join(map(str, message))
        if message is not None:
            return str(message)
        error = body.get("error")
        return str(error) if error else None

    def list_all(self, path: str, params: dict[str, Any] | None = None) -> list[Any]:
        """Every item of a paged list (see `PageStream`)."""
        stream = PageStream(self, path, params)
        try:
            return [item for page in stream for item in page]
        finally:
            stream.close()


_FINISHED = object()
MAX_PAGES = 10_000
"""A bound on a list without a count header that keeps answering full pages."""


class PageStream:
    """A paged list being downloaded in the background.

    The largest pages the vendor allows; the first one first, then, once its `count` header
    tells how many there are, the rest concurrently. Created early (before the manifests are
    read, say), it downloads while the caller works; iterating hands out each page in the
    order they arrive, its JSON parsed only then, so a caller that works page by page holds
    one parsed page at a time. An error of any request is raised where the page is taken.
    """

    def __init__(
        self, client: DevCycleClient, path: str, params: dict[str, Any] | None = None
    ) -> None:
        self._client = client
        self._path = path
        self._query = {**(params or {}), "perPage": MAX_PAGE_SIZE, "page": 1}
        self._arrived: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._room = threading.Semaphore(BUFFERED_PAGES)
        self._stopped = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=PAGE_WORKERS)
        self._pool.submit(self._guarded, self._start)

    def _guarded(self, fetch: Callable[[], None]) -> None:
        try:
            fetch()
        except BaseException as error:  # handed to the caller's thread, raised there
            self._arrived.put(error)

    def _fetch(self, number: int) -> httpx.Response:
        return self._client.request("GET", self._path, params={**self._query, "page": number})

    def _wait_for_room(self) -> bool:
        """Wait until fewer than `BUFFERED_PAGES` pages are downloaded and not yet taken;
        False once the stream is closed."""
        while not self._stopped.is_set():
            if self._room.acquire(timeout=0.1):
                return True
        return False

    def _start(self) -> None:
        self._wait_for_room()
        first = self._fetch(1)
        total = _count_header(first)
        if total is None:  # no count header: read until a short page
            number, page = 1, _page_items(first, self._path)
            self._arrived.put(page)
            while len(page) == MAX_PAGE_SIZE:
                number += 1
                if number > MAX_PAGES:
                    raise self._too_many(f"pages of {MAX_PAGE_SIZE} never ran short")
                if not self._wait_for_room():
                    return
                page = _page_items(self._fetch(number), self._path)
                self._arrived.put(page)
            self._arrived.put(_FINISHED)
            return
        pages = max(1, math.ceil(total / MAX_PAGE_SIZE))
        if pages > MAX_PAGES:
            raise self._too_many(f"its count header says {total:,} objects")
        self._arrived.put(pages)  # how many to expect
        self._arrived.put((1, pages, first))
        for number in range(2, pages + 1):
            self._pool.submit(
                self._guarded, functools.partial(self._fetch_into_queue, number, pages)
            )

    def _too_many(self, reason: str) -> ApiError:
        return AnswerShapeError(
            f"GET {self._path}",
            f"{reason}: more than the {MAX_PAGES * MAX_PAGE_SIZE:,} flagsync reads from one list",
        )

    def _fetch_into_queue(self, number: int, pages: int) -> None:
        if not self._wait_for_room():
            return
        self._arrived.put((number, pages, self._fetch(number)))

    def __iter__(self) -> Iterator[list[Any]]:
        expected: int | None = None
        taken = 0
        while expected is None or taken < expected:
            item = self._arrived.get()
            if isinstance(item, BaseException):
                raise item
            if item is _FINISHED:
                return
            if isinstance(item, int):
                expected = item
                continue
            taken += 1
            self._room.release()  # room for the next download
            if isinstance(item, list):
                page = item
            else:
                number, pages, response = item
                page = _page_items(response, self._path)
                if number < pages and len(page) < MAX_PAGE_SIZE:
                    # the count header promised more: a page before the last runs full
                    raise AnswerShapeError(
                        f"GET {self._path}",
                        f"page {number} of {pages} has {len(page)} objects, not "
                        f"{MAX_PAGE_SIZE}: the count header does not match the list",
                    )
            del item  # only the pages not yet taken stay in memory
            yield page

    def close(self) -> None:
        """Stop: requests not yet sent are dropped; one in flight finishes on its own."""
        self._stopped.set()
        self._pool.shutdown(wait=False, cancel_futures=True)


class Download:
    """One GET in the background, for an unpaged answer a read needs (metric associations);
    `result` gives its JSON, or raises the request's error, when the reader gets to it."""

    def __init__(self, client: DevCycleClient, path: str) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._answer = self._pool.submit(client.json, "GET", path)

    def result(self) -> Any:
        return self._answer.result()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _page_items(response: httpx.Response, path: str) -> list[Any]:
    body = decode(f"GET {path}", response)
    if not isinstance(body, list):
        raise AnswerShapeError(f"GET {path}", "expected a JSON array from a list endpoint")
    return body


def _count_header(response: httpx.Response) -> int | None:
    value = response.headers.get("count")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
