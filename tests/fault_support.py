"""Shared by the fault runs (tests/e2e/test_faults.py) and the fault campaign
(tests/campaigns/test_fault_campaign.py): a DevCycle emulator whose faults are switched on for
one apply and off again, the count of faults it injected, and retries quick enough that a run
of hundreds of applies takes seconds, not minutes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from reconciler.emulator import EmulatorServer
from reconciler.providers.http import RetryPolicy

FAST_RETRIES = RetryPolicy(attempts=8, timeout=30, wait_initial=0.001, wait_max=0.01, wait_jitter=0)
"""As many attempts as a user's run makes, without the waits between them."""


def set_faults(server: EmulatorServer, faults: dict[str, Any]) -> None:
    """Replace the emulator's faults (`{}`: none)."""
    assert httpx.put(f"{server.url}/_emulator/faults", json=faults).status_code == 200


@contextmanager
def faults_on(server: EmulatorServer, faults: dict[str, Any]) -> Iterator[None]:
    """The emulator misbehaves as `faults` says inside the block, and is well again after it,
    also when the block fails (the check after a run must see the real state)."""
    set_faults(server, faults)
    try:
        yield
    finally:
        set_faults(server, {})


def fault_count(server: EmulatorServer) -> int:
    """The faults injected since the statistics were last reset (latency is not a fault)."""
    stats = httpx.get(f"{server.url}/_emulator/stats").json()
    return sum(v for k, v in stats["faults"].items() if k != "latency")


def reset_stats(server: EmulatorServer) -> None:
    httpx.post(f"{server.url}/_emulator/stats/reset").raise_for_status()
