"""`seed`: the same config and the same requests give the same faults."""

from __future__ import annotations

import httpx

from .conftest import set_faults

MIXED = {
    "error_rate": 0.3,
    "throttle_rate": 0.3,
    "retry_after": "random",
    "latency_jitter_ms": 2,
}


def run(api: httpx.Client) -> list[tuple[int, str | None]]:
    outcomes = []
    for _ in range(30):
        response = api.get("/v1/projects")
        outcomes.append((response.status_code, response.headers.get("retry-after")))
    return outcomes


def test_same_seed_same_faults(control: httpx.Client, api: httpx.Client) -> None:
    set_faults(control, **MIXED, seed=42)
    first = run(api)
    set_faults(control, **MIXED, seed=42)  # a new config restarts the seed's sequence
    assert run(api) == first
    assert {status for status, _ in first} >= {200, 429}
    set_faults(control, **MIXED, seed=43)
    assert run(api) != first
