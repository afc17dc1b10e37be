"""An experiment or holdout create whose answer is lost (committed, connection dropped):
flagsync finds what it made instead of making a second experiment on the same flag, or a
second holdout of the same name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.apply import apply_plan
from reconciler.emulator import EmulatorServer
from reconciler.emulator.posthog import PERSONAL_API_KEY
from reconciler.errors import ApiError
from reconciler.model import Experiment, ExperimentVariant, FlagSet, Holdout
from reconciler.plan import ApiCall
from reconciler.providers.http import RetryPolicy
from reconciler.providers.posthog.client import PostHogClient
from reconciler.providers.posthog.experiment_recovery import create_experiment, create_holdout
from reconciler.providers.posthog.holdouts import holdout_body
from reconciler.providers.posthog.provider import PostHogProvider
from reconciler.reconcile import PlanOptions, make_plan
from reconciler.workspace import EnvironmentSettings, Workspace
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


# -- holdouts: names are not unique in PostHog, so a resent create makes a second one ------------

HOLDOUTS = "/api/projects/1/experiment_holdouts/"
HOLDOUT = holdout_body(Holdout(name="Global holdout", description="Kept out", percentage=5))


def _holdouts(emulator: EmulatorServer) -> list[dict[str, Any]]:
    answer = httpx.get(f"{emulator.url}{HOLDOUTS}", headers=AUTH).json()
    return list(answer["results"])


def test_a_lost_holdout_create_is_found_not_repeated(
    emulator: EmulatorServer, client: PostHogClient
) -> None:
    _faults(emulator, drop_after_write_rate=1)
    answer = create_holdout(client, ApiCall(method="POST", path=HOLDOUTS, body=HOLDOUT))
    _faults(emulator)
    made = _holdouts(emulator)
    assert len(made) == 1
    assert answer["id"] == made[0]["id"]
    assert answer["name"] == "Global holdout"


def test_a_plain_retry_would_have_made_a_second_holdout(
    emulator: EmulatorServer, client: PostHogClient
) -> None:
    _faults(emulator, drop_after_write_rate=1)
    with pytest.raises(ApiError):
        client.json("POST", HOLDOUTS, body=HOLDOUT)
    _faults(emulator)
    assert len(_holdouts(emulator)) > 1


def test_someone_elses_holdout_of_that_name_is_an_error(
    emulator: EmulatorServer, client: PostHogClient
) -> None:
    """A holdout with the same name and content but without flagsync's mark is not the one
    the create made: flagsync reports it and sends nothing more."""
    theirs = {**HOLDOUT, "description": "Kept out"}
    made = httpx.post(f"{emulator.url}{HOLDOUTS}", headers=AUTH, json=theirs)
    assert made.status_code == 201
    _faults(emulator, drop_after_write_rate=1)
    call = ApiCall(method="POST", path=HOLDOUTS, body=HOLDOUT)
    with pytest.raises(ApiError, match="a holdout named 'Global holdout' that differs"):
        create_holdout(client, call)
    _faults(emulator)
    assert len(_holdouts(emulator)) == 2


def test_an_apply_whose_holdout_create_answer_is_lost_converges(emulator: EmulatorServer) -> None:
    """Through the provider: the holdout create's answer is lost, the experiment after it gets
    the id of the holdout found, and the next plan is empty with one holdout in the project."""
    workspace = Workspace(
        file=Path("flagsync.yaml"),
        provider="posthog",
        api_url=emulator.url,
        environments={"staging": EnvironmentSettings(project_id=1)},
        manifests=(),
    )
    desired = FlagSet(
        holdouts={
            "Global holdout": Holdout(
                name="Global holdout", percentage=5, environments=("staging",)
            )
        },
        experiments={
            "pricing-page-test": Experiment(
                key="pricing-page-test",
                name="Pricing page layout",
                variants={
                    "control": ExperimentVariant(split=50),
                    "test": ExperimentVariant(split=50),
                },
                environments=("staging",),
                holdout="Global holdout",
            )
        },
    )
    fast = RetryPolicy(attempts=3, wait_initial=0.01, wait_max=0.05, wait_jitter=0)
    with PostHogClient(emulator.url, PERSONAL_API_KEY, retry=fast) as made:
        provider = PostHogProvider(workspace, made)
        plan = make_plan(workspace, desired, provider, PlanOptions())
        holdout_step, *rest = plan.steps
        assert holdout_step.resource == "holdout"
        _faults(emulator, drop_after_write_rate=1)
        (call,) = holdout_step.calls
        provider.execute(call)
        _faults(emulator)
        result = apply_plan(plan.model_copy(update={"steps": rest}), provider, lambda line: None)
        assert result.ok, result.error
        again = make_plan(workspace, desired, provider, PlanOptions())
    assert again.changes == []
    assert len(_holdouts(emulator)) == 1
