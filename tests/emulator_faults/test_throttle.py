"""`throttle_rate`: 429 in the vendor's shape, with or without `Retry-After`."""

from __future__ import annotations

import httpx

from .conftest import new_key, set_faults, stats


def test_devcycle_429_with_retry_after(control: httpx.Client, api: httpx.Client) -> None:
    set_faults(control, throttle_rate=1, retry_after="always", retry_after_seconds=2)
    response = api.get("/v1/projects")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "2"
    assert response.json() == {
        "statusCode": 429,
        "message": "ThrottlerException: Too Many Requests",
        "error": "Too Many Requests",
    }


def test_posthog_429_states_the_wait_in_its_detail(
    control: httpx.Client, api: httpx.Client
) -> None:
    set_faults(control, throttle_rate=1, retry_after_seconds=2.5)
    response = api.get("/api/projects/1/feature_flags/")
    assert response.status_code == 429
    # Retry-After is whole seconds: fractions are rounded up, in the header and the detail.
    assert response.headers["retry-after"] == "3"
    assert response.json() == {
        "type": "throttled_error",
        "code": "throttled",
        "detail": "Request was throttled. Expected available in 3 seconds.",
        "attr": None,
    }
    set_faults(control, throttle_rate=1, retry_after_seconds=1)
    detail = api.get("/api/projects/1/feature_flags/").json()["detail"]
    assert detail == "Request was throttled. Expected available in 1 second."


def test_retry_after_never(control: httpx.Client, api: httpx.Client) -> None:
    set_faults(control, throttle_rate=1, retry_after="never")
    for path in ("/v1/projects", "/api/projects/1/feature_flags/"):
        response = api.get(path)
        assert response.status_code == 429
        assert "retry-after" not in response.headers


def test_retry_after_random_sends_it_sometimes(control: httpx.Client, api: httpx.Client) -> None:
    set_faults(control, throttle_rate=1, retry_after="random", seed=2)
    sent = ["retry-after" in api.get("/v1/projects").headers for _ in range(20)]
    assert any(sent) and not all(sent)


def test_a_throttled_write_is_not_processed(control: httpx.Client, api: httpx.Client) -> None:
    key = new_key()
    set_faults(control, throttle_rate=1)
    assert api.post("/v1/projects", json={"key": key, "name": "Nope"}).status_code == 429
    set_faults(control)
    assert api.get(f"/v1/projects/{key}").status_code == 404
    assert stats(control)["faults"]["throttle"] == 1
