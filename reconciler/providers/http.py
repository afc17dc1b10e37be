"""What every vendor client shares: retries, rate limiting, error translation, redaction.

Retries go through stamina (exponential backoff with jitter, bounded attempts and time), on the
answers that mean "try again": 429, 502, 503, 504, timeouts and dropped connections. A 429's
`Retry-After` header is honoured; without it, a vendor that says how long to wait in the body
(in its own words) has its client read that (`ApiClient.throttle_wait`). Every retry is
reported, so a user can see what happened.

A write whose answer was lost may have been committed. The client marks the error of a retried
write (`ApiError.after_lost_attempt`), and the provider decides whether the object it finds
is the one it wrote (then the write succeeded) or a real conflict.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx
import stamina

from reconciler import __version__, redact
from reconciler.errors import AnswerShapeError, ApiStatusError, NetworkError
from reconciler.providers.bounds import (
    MAX_BODY_BYTES,
    AnswerTooLarge,
    decode,
    decode_or_none,
    read_bounded,
)

# flagsync reports retries itself, in its own words; stamina's default hook would also log them.
stamina.instrumentation.set_on_retry_hooks([])

RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_SERVER_WAIT = 120.0  # never sleep longer than this on a server's say-so


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts per request, and the backoff between them (seconds)."""

    attempts: int = 6
    timeout: float = 120.0
    wait_initial: float = 0.2
    wait_max: float = 10.0
    wait_jitter: float = 0.5


class RetryableAnswer(Exception):
    """An HTTP answer that asks to be retried (429, 502, 503, 504)."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


ThrottleWait = Callable[[httpx.Response], float | None]
"""How long a 429 without `Retry-After` asks to wait, read from its body (None: it does not
say)."""


def backoff_hook(error: Exception, throttle_wait: ThrottleWait | None = None) -> bool | float:
    """stamina's retry decision: False (give up), True (back off), or seconds to wait. A URL
    that is not http(s) fails the same way every time: it is not retried."""
    if isinstance(error, RetryableAnswer):
        return server_wait(error.response, throttle_wait) or True
    if isinstance(error, httpx.UnsupportedProtocol):
        return False
    return isinstance(error, httpx.TimeoutException | httpx.TransportError)


def server_wait(
    response: httpx.Response, throttle_wait: ThrottleWait | None = None
) -> float | None:
    """How long the server asked us to wait, from `Retry-After` or, on a 429 without it, from
    the body as the vendor's `throttle_wait` reads it."""
    header = response.headers.get("retry-after")
    if header is not None:
        try:
            return min(max(float(header), 0.0), MAX_SERVER_WAIT)
        except ValueError:
            pass  # an HTTP date: fall through to the body, then to backoff
    if response.status_code == 429 and throttle_wait is not None:
        wait = throttle_wait(response)
        if wait is not None:
            return min(max(wait, 0.0), MAX_SERVER_WAIT)
    return None


class GaveUp(Exception):
    """Retries ran out: the last answer (if any) or the transport failure."""

    def __init__(self, response: httpx.Response | None, reason: str, lost_write: bool) -> None:
        super().__init__(reason)
        self.response = response
        self.reason = reason
        self.lost_write = lost_write


def send_with_retries(
    call: str,
    send: Callable[[], httpx.Response],
    policy: RetryPolicy,
    note: Callable[[str], None],
    writes: bool,
    retry_lost_writes: bool = True,
    throttle_wait: ThrottleWait | None = None,
) -> tuple[httpx.Response, bool]:
    """`send()` until it answers with something other than a retryable status or a transport
    failure; returns the answer and whether a write attempt's answer was lost on the way.
    `note` hears one line per retry. Raises `GaveUp` when the policy is exhausted, or at once
    when a write's answer is lost and `retry_lost_writes` is off (the caller then looks for
    what the write made before sending it again). `throttle_wait` reads a 429's body for how
    long to wait, where the vendor says so there."""
    lost_write = False
    last_reason = ""
    try:
        for attempt in stamina.retry_context(
            on=partial(backoff_hook, throttle_wait=throttle_wait),
            attempts=policy.attempts,
            timeout=policy.timeout,
            wait_initial=policy.wait_initial,
            wait_max=policy.wait_max,
            wait_jitter=policy.wait_jitter,
        ):
            with attempt:
                if attempt.num > 1:
                    note(f"retried {call} (attempt {attempt.num}, after {last_reason})")
                try:
                    response = send()
                except httpx.TransportError as error:
                    last_reason = transport_reason(error)
                    lost_write = lost_write or writes
                    if writes and not retry_lost_writes:
                        raise GaveUp(None, last_reason, True) from error
                    raise
                if response.status_code in RETRY_STATUSES:
                    last_reason = f"HTTP {response.status_code}"
                    raise RetryableAnswer(response)
    except RetryableAnswer as exhausted:
        raise GaveUp(exhausted.response, last_reason, lost_write) from None
    except httpx.HTTPError as error:
        raise GaveUp(None, transport_reason(error), lost_write) from None
    return response, lost_write


class RateLimiter:
    """Sliding-window limits per minute and per hour, shared by all threads of one credential.

    `acquire` blocks until a request may go, so a run stays under the vendor's limit instead of
    tripping it and waiting out 429s.
    """

    def __init__(
        self,
        per_minute: int | None = None,
        per_hour: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        margin: float = 1.0,
    ) -> None:
        # The vendor counts requests when they arrive, after varying network delays: a window
        # `margin` seconds longer than the vendor's keeps two requests one window apart from
        # landing in the same vendor window.
        windows = ((per_minute, 60.0 + margin), (per_hour, 3600.0 + margin))
        self._windows = [(limit, span) for limit, span in windows if limit]
        self._sent: list[float] = []  # send times, ascending
        self._lock = threading.Lock()
        self._clock, self._sleep = clock, sleep

    def acquire(self) -> None:
        if not self._windows:
            return
        while True:
            with self._lock:
                now = self._clock()
                wait = self._wait(now)
                if wait <= 0:
                    self._sent.append(now)
                    return
            self._sleep(wait)

    def _wait(self, now: float) -> float:
        """Seconds until one more request fits every window (0: it fits now)."""
        horizon = max(span for _, span in self._windows)
        del self._sent[: bisect.bisect_right(self._sent, now - horizon)]
        wait = 0.0
        for limit, span in self._windows:
            inside = len(self._sent) - bisect.bisect_right(self._sent, now - span)
            if inside >= limit:
                wait = max(wait, self._sent[-limit] + span - now)
        return wait


@dataclass
class ClientStats:
    """What a client did: requests sent (attempts included) and retries, for reports."""

    requests: int = 0
    retries: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self) -> None:
        with self._lock:
            self.requests += 1

    def retried(self, text: str) -> None:
        with self._lock:
            self.retries.append(text)


class ApiClient:
    """One vendor API base URL with one credential: retried, rate-limited, redacted requests.

    Subclasses say how the vendor words its errors (`vendor_message`) and may add auth.
    """

    vendor = "the API"
    max_body_bytes = MAX_BODY_BYTES
    """The largest answer read (decompressed); beyond it the call fails."""

    def __init__(
        self,
        api_url: str,
        *,
        auth: httpx.Auth | None = None,
        headers: dict[str, str] | None = None,
        secrets: list[str] | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        on_retry: Callable[[str], None] | None = None,
    ) -> None:
        self._secrets = [s for s in secrets or [] if s]
        redact.remember(*self._secrets)
        self._http = httpx.Client(
            base_url=api_url,
            auth=auth,
            timeout=timeout,
            headers={
                "User-Agent": f"flagsync/{__version__}",
                "Accept": "application/json",
                **(headers or {}),
            },
            transport=transport,
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=32),
        )
        self.retry = retry or RetryPolicy()
        self.limiter = limiter or RateLimiter()
        self.stats = ClientStats()
        self._on_retry = on_retry
        self._closed = threading.Event()
        self._unreachable: str | None = None
        """Why the API could not be reached, once a request gave up on it: the other requests
        (downloads run concurrently) then fail at once instead of each retrying again."""

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    @property
    def request_count(self) -> int:
        return self.stats.requests

    def close(self) -> None:
        """Stop: requests still retrying in background threads give up at their next attempt,
        silently, so nothing is retried or printed after the command's outcome."""
        self._closed.set()
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: Any = None,
        retry_lost_writes: bool = True,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request with retries; raise `ApiError` when it finally fails. `headers`
        are added to this request only (a precondition such as `If-Match`)."""
        call = f"{method} {path}"
        if self._unreachable is not None:
            raise NetworkError(call, self._unreachable)
        try:
            response, lost_write = send_with_retries(
                call,
                lambda: self._send(method, path, params, body, headers),
                self.retry,
                self._note_retry,
                writes=method != "GET",
                retry_lost_writes=retry_lost_writes,
                throttle_wait=self.throttle_wait,
            )
        except AnswerTooLarge as error:
            raise AnswerShapeError(call, f"the answer is too large to read ({error})") from None
        except GaveUp as failure:
            if failure.response is not None:
                raise self._error(call, failure.response, failure.lost_write) from None
            reason = self._redact(f"cannot reach {self._http.base_url}: {failure.reason}")
            if not failure.lost_write:
                self._unreachable = reason
            raise NetworkError(call, reason, after_lost_attempt=failure.lost_write) from None
        if response.status_code >= 400:
            raise self._error(call, response, lost_write)
        if response.status_code >= 300:
            # httpx follows no redirect, and flagsync wants none: a redirect means the API URL
            # is not the API (a moved host, a login page), and following it could carry the
            # credentials elsewhere.
            target = self._redact(response.headers.get("location", "?"))
            raise ApiStatusError(
                call,
                f"the API answered with a redirect (HTTP {response.status_code}) to {target}; "
                "flagsync follows none: check the API URL",
                status=response.status_code,
                after_lost_attempt=lost_write,
            )
        return response

    def _send(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        body: Any,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        if self.closed:
            raise NetworkError(f"{method} {path}", "stopped: the command is ending")
        self.limiter.acquire()
        self.stats.count()
        request = self._http.build_request(method, path, params=params, json=body, headers=headers)
        return read_bounded(self._http.send(request, stream=True), self.max_body_bytes)

    def _note_retry(self, text: str) -> None:
        if self.closed:
            return
        text = redact.redact(text)
        self.stats.retried(text)
        if self._on_retry is not None:
            self._on_retry(text)

    def json(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: Any = None,
        retry_lost_writes: bool = True,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """`request`, returning the decoded JSON body (None for an empty body); an answer that
        is not JSON (a web page, too deep) is an `ApiError` naming the call."""
        response = self.request(
            method,
            path,
            params=params,
            body=body,
            retry_lost_writes=retry_lost_writes,
            headers=headers,
        )
        return decode(f"{method} {path}", response)

    def vendor_message(self, body: Any) -> str | None:
        """The vendor's own words in an error body (subclasses know the shape)."""
        return None

    def throttle_wait(self, response: httpx.Response) -> float | None:
        """How long a 429 without `Retry-After` asks to wait, in the vendor's words in its body
        (subclasses know them); None: it does not say, and the backoff decides."""
        return None

    def _error(self, call: str, response: httpx.Response, lost_write: bool) -> ApiStatusError:
        status = response.status_code
        body = json_or_none(response)
        vendor = self.vendor_message(body)
        explanation = {
            400: "rejected",
            401: f"{self.vendor} did not accept the credentials",
            403: "the credentials lack permission for this",
            404: "not found",
            405: "not allowed",
            409: "conflict",
            412: "precondition failed",
            429: f"rate limited by {self.vendor}, still after retries",
        }.get(status, f"HTTP {status}")
        if status >= 500:
            explanation = f"{self.vendor} server error (HTTP {status}), still after retries"
        return ApiStatusError(
            call,
            self._redact(explanation),
            status=status,
            vendor_message=self._redact(vendor) if vendor else None,
            after_lost_attempt=lost_write,
            body=body,
        )

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return redact.redact(text)


def json_or_none(response: httpx.Response) -> Any:
    """The JSON of an answer, or None when it is not (safely) JSON."""
    return decode_or_none(response)


def transport_reason(error: httpx.HTTPError) -> str:
    if isinstance(error, httpx.TimeoutException):
        return "timed out"
    if isinstance(error, httpx.ConnectError):
        return "connection refused or host unreachable"
    if isinstance(error, httpx.RemoteProtocolError | httpx.ReadError):
        return "connection dropped"
    if isinstance(error, httpx.UnsupportedProtocol):
        return "not an http:// or https:// URL"
    if isinstance(error, httpx.DecodingError):
        return "the answer's compression is broken"
    return type(error).__name__
