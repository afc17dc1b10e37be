"""The shared HTTP layer: what is retried, how long it waits, how it paces requests."""

from __future__ import annotations

import httpx
import pytest

from reconciler.errors import ApiError
from reconciler.providers.http import (
    ApiClient,
    RateLimiter,
    RetryableAnswer,
    RetryPolicy,
    backoff_hook,
    server_wait,
)
from reconciler.providers.posthog.client import PostHogClient
from reconciler.providers.posthog.client import throttle_wait as posthog_throttle_wait

FAST = RetryPolicy(attempts=4, timeout=10, wait_initial=0.001, wait_max=0.002, wait_jitter=0)


def _response(
    status: int, headers: dict[str, str] | None = None, json: object = None
) -> httpx.Response:
    return httpx.Response(status, headers=headers, json=json)


def test_retry_after_header_is_honoured() -> None:
    assert server_wait(_response(429, {"Retry-After": "7"})) == 7.0


def test_posthog_throttle_detail_is_honoured_without_header() -> None:
    """The generic layer reads no vendor's words: PostHog's client supplies the hook."""
    body = {
        "type": "throttled_error",
        "code": "throttled",
        "detail": "Request was throttled. Expected available in 12 seconds.",
        "attr": None,
    }
    assert server_wait(_response(429, json=body), posthog_throttle_wait) == 12.0
    assert server_wait(_response(429, json=body)) is None
    with PostHogClient("http://posthog.test", "phx_key") as client:
        hint = backoff_hook(RetryableAnswer(_response(429, json=body)), client.throttle_wait)
    assert hint == 12.0


def test_backoff_without_server_hint() -> None:
    assert backoff_hook(RetryableAnswer(_response(503))) is True
    assert backoff_hook(httpx.ConnectError("refused")) is True
    assert backoff_hook(ValueError("bug")) is False


def _client(handler: httpx.MockTransport, retries: list[str]) -> ApiClient:
    return ApiClient("http://vendor.test", transport=handler, retry=FAST, on_retry=retries.append)


def test_transient_failures_are_retried_and_reported() -> None:
    answers = iter(
        [_response(503), _response(429, {"Retry-After": "0"}), _response(200, json={"ok": True})]
    )
    retries: list[str] = []
    client = _client(httpx.MockTransport(lambda request: next(answers)), retries)
    assert client.json("GET", "/thing") == {"ok": True}
    assert retries == [
        "retried GET /thing (attempt 2, after HTTP 503)",
        "retried GET /thing (attempt 3, after HTTP 429)",
    ]
    assert client.request_count == 3


def test_client_errors_are_not_retried() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return _response(400, json={"message": ["key should not be empty"]})

    with pytest.raises(ApiError) as caught:
        _client(httpx.MockTransport(handler), []).json("POST", "/thing", body={})
    assert len(calls) == 1
    assert caught.value.status == 400


def test_dropped_write_is_marked_as_possibly_committed() -> None:
    state = {"calls": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        state["calls"] += 1
        if state["calls"] == 1:
            raise httpx.RemoteProtocolError("peer closed connection")
        return _response(
            409, json={"statusCode": 409, "message": "Duplicate key 'x'", "error": "Conflict"}
        )

    with pytest.raises(ApiError) as caught:
        _client(httpx.MockTransport(handler), []).json("POST", "/thing", body={"key": "x"})
    assert caught.value.status == 409
    assert caught.value.after_lost_attempt is True


def test_gives_up_after_the_attempts() -> None:
    retries: list[str] = []
    client = _client(httpx.MockTransport(lambda request: _response(502)), retries)
    with pytest.raises(ApiError) as caught:
        client.json("GET", "/thing")
    assert caught.value.status == 502
    assert "still after retries" in str(caught.value)
    assert len(retries) == 3


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_rate_limiter_paces_to_the_minute_limit() -> None:
    clock = FakeClock()
    limiter = RateLimiter(per_minute=3, clock=clock, sleep=clock.sleep, margin=0)
    times = []
    for _ in range(7):
        limiter.acquire()
        times.append(clock.now)
    assert times == [0.0, 0.0, 0.0, 60.0, 60.0, 60.0, 120.0]


def test_rate_limiter_keeps_a_margin_for_network_delays() -> None:
    clock = FakeClock()
    limiter = RateLimiter(per_minute=2, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(3):
        limiter.acquire()
        times.append(clock.now)
    assert times == [0.0, 0.0, 61.0]


def test_rate_limiter_respects_both_windows() -> None:
    clock = FakeClock()
    limiter = RateLimiter(per_minute=2, per_hour=3, clock=clock, sleep=clock.sleep, margin=0)
    times = []
    for _ in range(4):
        limiter.acquire()
        times.append(clock.now)
    assert times == [0.0, 0.0, 60.0, 3600.0]
