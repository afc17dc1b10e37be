"""A real PostHog emulator on 127.0.0.1 and a raw HTTP client: the conformance cases send the
requests PostHog's own code answers, and compare status codes and bodies with that code."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reconciler.emulator import EmulatorConfig, EmulatorServer
from reconciler.emulator.posthog import PERSONAL_API_KEY

FLAGS = "/api/projects/1/feature_flags/"
EXPERIMENTS = "/api/projects/1/experiments/"
_serial = itertools.count(1)


@pytest.fixture(scope="module")
def server(posthog_validation: str) -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(posthog_validation=posthog_validation)) as running:
        yield running


@pytest.fixture
def http(server: EmulatorServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {PERSONAL_API_KEY}"}
    with httpx.Client(base_url=server.url, headers=headers) as client:
        yield client


def unique(prefix: str) -> str:
    """A key no other case of the module uses (the emulator is shared by the module)."""
    return f"{prefix}-{next(_serial)}"


def new_flag(http: httpx.Client, **body: Any) -> dict[str, Any]:
    """Create a flag (everyone, 100 %) and return it, asserting 201."""
    payload = {
        "key": unique("flag"),
        "filters": {"groups": [{"properties": [], "rollout_percentage": 100}]},
        **body,
    }
    response = http.post(FLAGS, json=payload)
    assert response.status_code == 201, response.text
    return dict(response.json())


def new_experiment(http: httpx.Client, **body: Any) -> dict[str, Any]:
    """Create a draft experiment with no metrics and return it, asserting 201."""
    payload = {"name": unique("Experiment"), "feature_flag_key": unique("exp"), **body}
    response = http.post(EXPERIMENTS, json=payload)
    assert response.status_code == 201, response.text
    return dict(response.json())


def detail(response: httpx.Response) -> str:
    """The exceptions-hog `detail` of an error answer."""
    return str(response.json()["detail"])
