"""The `/_emulator/` control endpoints: fault config at runtime, counters, never faulted."""

from __future__ import annotations

import httpx

from .conftest import set_faults, stats


def test_put_replaces_and_get_returns_the_config(control: httpx.Client) -> None:
    body = set_faults(control, error_rate=0.25, retry_after="never", rate_limit_per_hour=100)
    assert control.get("/_emulator/faults").json() == body
    assert body["error_rate"] == 0.25
    assert body["retry_after"] == "never"
    assert body["rate_limit_per_hour"] == 100
    # Fields left out take their defaults: a PUT replaces, it does not merge.
    body = set_faults(control, throttle_rate=0.5)
    assert body["error_rate"] == 0.0 and body["rate_limit_per_hour"] is None


def test_bad_input_is_a_400_naming_the_problem(control: httpx.Client) -> None:
    before = control.get("/_emulator/faults").json()
    for content, message in [
        (b'{"error_rate": 2}', "error_rate must be between 0 and 1, got 2.0"),
        (b'{"retry_after": 5}', "retry_after must be one of always, never, random"),
        (b'{"nope": 1}', "unknown field(s): nope"),
        (b"{", "the body is not valid JSON"),
        (b"", "the fault config must be a JSON object"),
    ]:
        response = control.put("/_emulator/faults", content=content)
        assert response.status_code == 400, content
        assert message in response.json()["message"]
    assert control.get("/_emulator/faults").json() == before


def test_stats_count_requests_and_faults_and_reset(
    control: httpx.Client, api: httpx.Client
) -> None:
    assert stats(control) == {
        "requests": 0,
        "faults": {"latency": 0, "error": 0, "throttle": 0, "rate_limit": 0, "drop_after_write": 0},
    }
    api.get("/v1/projects")
    set_faults(control, error_rate=1)
    api.get("/v1/projects")
    api.get("/api/projects/1/feature_flags/")
    set_faults(control, throttle_rate=1)
    api.get("/v1/projects")
    counted = stats(control)
    assert counted["requests"] == 4
    assert counted["faults"]["error"] == 2
    assert counted["faults"]["throttle"] == 1
    assert control.post("/_emulator/stats/reset").status_code == 204
    assert stats(control)["requests"] == 0
    assert stats(control)["faults"]["error"] == 0


def test_control_endpoints_are_never_faulted_nor_counted(control: httpx.Client) -> None:
    set_faults(control, error_rate=1, throttle_rate=1, rate_limit_per_minute=1)
    for _ in range(5):
        assert control.get("/_emulator/faults").status_code == 200
        assert control.get("/_emulator/stats").status_code == 200
    assert stats(control)["requests"] == 0
