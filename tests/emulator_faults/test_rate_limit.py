"""A real sliding-window rate limit per credential, like PostHog's 480/min + 4800/h."""

from __future__ import annotations

import math

import httpx

from reconciler.emulator.rate_limit import SlidingWindowLimiter

from .conftest import fetch_token, set_faults, stats


def test_sixth_request_in_a_minute_is_limited(control: httpx.Client, api: httpx.Client) -> None:
    set_faults(control, rate_limit_per_minute=5)
    assert [api.get("/v1/projects").status_code for _ in range(5)] == [200] * 5
    limited = api.get("/v1/projects")
    assert limited.status_code == 429
    assert 55 <= int(limited.headers["retry-after"]) <= 60
    assert limited.json()["message"] == "ThrottlerException: Too Many Requests"
    # A refused request consumes nothing, and is refused again.
    assert api.get("/v1/projects").status_code == 429
    assert stats(control)["faults"]["rate_limit"] == 2


def test_another_credential_is_unaffected(control: httpx.Client, api: httpx.Client) -> None:
    set_faults(control, rate_limit_per_minute=3)
    for _ in range(3):
        api.get("/v1/projects")
    assert api.get("/v1/projects").status_code == 429
    other = fetch_token(str(api.base_url).rstrip("/"))
    assert other != api.headers["authorization"]
    response = api.get("/v1/projects", headers={"Authorization": other})
    assert response.status_code == 200


def test_posthog_detail_matches_retry_after(control: httpx.Client, api: httpx.Client) -> None:
    set_faults(control, rate_limit_per_hour=2)
    path = "/api/projects/1/feature_flags/"
    api.get(path)
    api.get(path)
    limited = api.get(path)
    assert limited.status_code == 429
    wait = int(limited.headers["retry-after"])
    assert 3590 <= wait <= 3600
    body = limited.json()
    assert body["type"] == "throttled_error" and body["code"] == "throttled"
    assert body["detail"] == f"Request was throttled. Expected available in {wait} seconds."


def test_rate_limit_without_retry_after_header(control: httpx.Client, api: httpx.Client) -> None:
    set_faults(control, rate_limit_per_minute=1, retry_after="never")
    api.get("/api/projects/1/feature_flags/")
    limited = api.get("/api/projects/1/feature_flags/")
    assert limited.status_code == 429
    assert "retry-after" not in limited.headers
    assert "Expected available in" in limited.json()["detail"]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limiter_windows_slide() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter([(2, 60.0), (3, 3600.0)], clock)
    assert limiter.acquire(b"k") is None
    clock.now += 10
    assert limiter.acquire(b"k") is None
    wait = limiter.acquire(b"k")
    assert wait is not None and math.isclose(wait, 50.0)  # the first request leaves at +60
    assert limiter.acquire(b"other") is None
    clock.now += 50
    assert limiter.acquire(b"k") is None  # the minute slid; third request of the hour
    clock.now += 60
    wait = limiter.acquire(b"k")
    assert wait is not None and math.isclose(wait, 3600 - 120)  # now the hour is full
