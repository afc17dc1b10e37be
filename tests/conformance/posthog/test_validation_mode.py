"""`flagsync emulator --posthog-validation`: strict enforces the filter rules PostHog enforces
only where its deployment setting lists them (`_filters_rule_is_enforced`, feature_flag.py),
lenient accepts them as an unconfigured deployment does."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

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


@contextmanager
def _emulator(*options: str) -> Iterator[str]:
    """`flagsync emulator` on a port the system picks (`--port 0`): the URL is the one its
    banner announces once it serves, so no other process can have taken the port meanwhile."""
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "emulator", "--port", "0", *options],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            deadline = time.monotonic() + 30
            while (found := re.search(r"Emulators on (http://\S+)", _read(log))) is None:
                assert process.poll() is None, _read(log)
                assert time.monotonic() < deadline, "the emulator did not start"
                time.sleep(0.05)
            yield found.group(1)
        finally:
            process.terminate()
            process.wait(timeout=10)


def _read(log: IO[str]) -> str:
    log.seek(0)
    return log.read()


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
