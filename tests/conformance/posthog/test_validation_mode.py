"""`flagsync emulator --posthog-validation`: strict enforces the filter rules PostHog enforces
only where its deployment setting lists them (`_filters_rule_is_enforced`, feature_flag.py),
lenient accepts them as an unconfigured deployment does."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from reconciler.emulator.posthog import PERSONAL_API_KEY

OVER_100 = {
    "key": "over-100",
    "filters": {
        "groups": [{"properties": []}],
        "multivariate": {
            "variants": [
                {"key": "a", "rollout_percentage": 70},
                {"key": "b", "rollout_percentage": 70},
            ]
        },
    },
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _emulator(*options: str) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "emulator", "--port", str(port), *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(f"{url}/api/projects/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("options", "status"),
    [
        ((), 400),
        (("--posthog-validation", "strict"), 400),
        (("--posthog-validation", "lenient"), 201),
    ],
)
def test_the_cli_option_chooses_the_deployment(options: tuple[str, ...], status: int) -> None:
    with _emulator(*options) as url:
        answer = httpx.post(
            f"{url}/api/projects/1/feature_flags/",
            json=OVER_100,
            headers={"Authorization": f"Bearer {PERSONAL_API_KEY}"},
        )
    assert answer.status_code == status, answer.text
