"""Latency: every vendor request waits at least `latency_ms`, at most `+ latency_jitter_ms`."""

from __future__ import annotations

import time

import httpx

from .conftest import set_faults, stats


def timed_get(api: httpx.Client, path: str) -> float:
    start = time.perf_counter()
    api.get(path)
    return (time.perf_counter() - start) * 1000


def test_latency_is_at_least_the_configured_delay(control: httpx.Client, api: httpx.Client) -> None:
    baseline = min(timed_get(api, "/v1/projects") for _ in range(3))
    set_faults(control, latency_ms=120)
    delayed = [timed_get(api, "/v1/projects") for _ in range(3)]
    assert min(delayed) >= 120
    assert min(delayed) >= baseline + 100
    assert stats(control)["faults"]["latency"] == 3


def test_jitter_stays_within_its_bound(control: httpx.Client, api: httpx.Client) -> None:
    set_faults(control, latency_ms=30, latency_jitter_ms=60, seed=1)
    delays = [timed_get(api, "/v1/projects") for _ in range(5)]
    assert min(delays) >= 30
    # Generous upper bound: 90 ms of injected delay plus a slow machine's request time.
    assert max(delays) < 90 + 400


def test_latency_applies_before_other_faults(control: httpx.Client, api: httpx.Client) -> None:
    set_faults(control, latency_ms=60, error_rate=1)
    assert timed_get(api, "/api/projects/1/feature_flags/") >= 60
    counted = stats(control)["faults"]
    assert counted["latency"] == 1 and counted["error"] == 1
