"""An experiment create whose answer is lost (committed, connection dropped): flagsync finds
the experiment it made instead of making a second one on the same flag."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reconciler.emulator import EmulatorServer
from reconciler.emulator.posthog import PERSONAL_API_KEY
from reconciler.errors import ApiError
from reconciler.plan import ApiCall
from reconciler.providers.http import RetryPolicy
from reconciler.providers.posthog.client import PostHogClient
from reconciler.providers.posthog.experiment_recovery import create_experiment
from tests.e2e.posthog_support import AUTH

EXPERIMENTS = "/api/projects/1/experiments/"
BODY = {
    "name": "Pricing page layout",
    "description": "",
    "feature_flag_key": "pricing-page-test",
    "parameters": {
        "feature_flag_variants": [
            {"key": "control", "rollout_percentage": 50},
            {"key": "compact", "rollout_percentage": 50},
        ]
    },
}


@pytest.fixture
def client(emulator: EmulatorServer) -> Iterator[PostHogClient]:
    fast = RetryPolicy(attempts=3, wait_initial=0.01, wait_max=0.05, wait_jitter=0)
    with PostHogClient(emulator.url, PERSONAL_API_KEY, retry=fast) as made:
        yield made


def _faults(emulator: EmulatorServer, **faults: Any) -> None:
    assert httpx.put(f"{emulator.url}/_emulator/faults", json=faults).status_code == 200


def _experiments(emulator: EmulatorServer) -> list[dict[str, Any]]:
    answer = httpx.get(f"{emulator.url}{EXPERIMENTS}", headers=AUTH).json()
    return list(answer["results"])


def test_a_lost_create_is_found_not_repeated(
    emulator: EmulatorServer, client: PostHogClient
) -> None:
    _faults(emulator, drop_after_write_rate=1)
    answer = create_experiment(client, ApiCall(method="POST", path=EXPERIMENTS, body=BODY))
    _faults(emulator)
    made = _experiments(emulator)
    assert len(made) == 1
    assert answer["id"] == made[0]["id"]
    assert answer["feature_flag_key"] == "pricing-page-test"


def test_a_plain_retry_would_have_made_a_second_experiment(
    emulator: EmulatorServer, client: PostHogClient
) -> None:
    """What the recovery prevents: PostHog reuses the flag, so the resent create succeeds."""
    _faults(emulator, drop_after_write_rate=1)
    with pytest.raises(ApiError):  # every retried create's answer is lost too
        client.json("POST", EXPERIMENTS, body=BODY)
    _faults(emulator)
    assert len(_experiments(emulator)) > 1


def test_a_different_experiment_under_the_key_is_an_error(
    emulator: EmulatorServer, client: PostHogClient
) -> None:
    """Someone made an experiment on the key since the plan: flagsync reports it, and sends
    nothing more."""
    other = httpx.post(
        f"{emulator.url}{EXPERIMENTS}", headers=AUTH, json={**BODY, "name": "Someone else's"}
    )
    assert other.status_code == 201
    _faults(emulator, drop_after_write_rate=1)
    call = ApiCall(method="POST", path=EXPERIMENTS, body=BODY)
    with pytest.raises(ApiError, match="differs from the one sent"):
        create_experiment(client, call)
    _faults(emulator)
    assert len(_experiments(emulator)) == 2
