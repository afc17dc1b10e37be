"""PostHog experiments end to end: the real CLI against the emulator walks an experiment
through its lifecycle declaratively, converges after each apply, and refuses a backward move."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from reconciler.emulator import EmulatorServer
from tests.e2e.conftest import Cli
from tests.e2e.posthog_support import converges, edit_manifest, live_flag, posthog_workspace

MANIFEST = """\
experiments:
  - key: pricing-page-test
    name: Pricing page layout
    variants:
      - {key: control, split: 50}
      - {key: compact, split: 50, payload: {columns: 2}}
    metrics:
      - {kind: ExperimentMetric, metric_type: mean, source: {kind: EventsNode, event: bought}}
    status: draft
    environments: [staging]
"""


@pytest.fixture
def example(tmp_path: Path, emulator: EmulatorServer) -> Cli:
    return posthog_workspace(tmp_path, emulator, {"experiments.yaml": MANIFEST})


def _experiment(api: httpx.Client) -> dict[str, object]:
    rows = api.get("/api/projects/1/experiments/").json()["results"]
    assert len(rows) == 1
    return dict(rows[0])


@pytest.mark.slow
def test_an_experiment_moves_forward_and_converges(example: Cli, posthog_api: httpx.Client) -> None:
    plan = example("plan")
    assert plan.returncode == 2, plan.stderr
    assert "+ experiment pricing-page-test  (create)" in plan.stdout
    assert 'variants: control 50% / compact 50% payload={"columns": 2}' in plan.stdout
    converges(example)
    draft = _experiment(posthog_api)
    assert draft["status"] == "draft"
    flag = live_flag(posthog_api, 1, "pricing-page-test")
    assert flag["active"] is False
    assert "managed-by-flagsync" in flag["tags"]
    # the experiment's flag is the experiment's: not unmanaged, not an orphan
    assert "pricing-page-test" not in example("plan").stdout

    edit_manifest(example, "experiments.yaml", "status: draft", "status: running")
    plan = example("plan")
    assert plan.returncode == 2
    assert "status: draft -> running" in plan.stdout
    converges(example)
    assert _experiment(posthog_api)["status"] == "running"
    assert live_flag(posthog_api, 1, "pricing-page-test")["active"] is True

    edit_manifest(example, "experiments.yaml", "split: 50}", "split: 40}")
    edit_manifest(example, "experiments.yaml", "split: 50, payload", "split: 60, payload")
    converges(example)
    variants = live_flag(posthog_api, 1, "pricing-page-test")["filters"]["multivariate"]["variants"]
    assert {v["key"]: v["rollout_percentage"] for v in variants} == {"control": 40, "compact": 60}

    edit_manifest(example, "experiments.yaml", "status: running", "status: stopped")
    converges(example)
    assert _experiment(posthog_api)["status"] == "stopped"


@pytest.mark.slow
def test_a_backward_move_is_an_error(example: Cli) -> None:
    edit_manifest(example, "experiments.yaml", "status: draft", "status: running")
    converges(example)
    edit_manifest(example, "experiments.yaml", "status: running", "status: draft")
    plan = example("plan")
    assert plan.returncode == 1
    assert "Traceback" not in plan.stderr
    assert (
        "experiment 'pricing-page-test' [staging]: the manifest says draft, but it is running in "
        "PostHog project 1. PostHog experiments only move forward: draft → running → stopped"
    ) in plan.stderr


@pytest.mark.slow
def test_new_variant_keys_after_launch_are_an_error(example: Cli) -> None:
    edit_manifest(example, "experiments.yaml", "status: draft", "status: running")
    converges(example)
    edit_manifest(example, "experiments.yaml", "key: compact", "key: wide")
    plan = example("plan")
    assert plan.returncode == 1
    assert "PostHog freezes an experiment's variant keys once it is launched" in plan.stderr


@pytest.mark.slow
def test_an_experiment_made_in_posthog_is_adopted_only_when_asked(
    example: Cli, posthog_api: httpx.Client
) -> None:
    created = posthog_api.post(
        "/api/projects/1/experiments/",
        json={
            "name": "Made in the UI",
            "feature_flag_key": "pricing-page-test",
            "parameters": {
                "feature_flag_variants": [
                    {"key": "control", "rollout_percentage": 50},
                    {"key": "compact", "rollout_percentage": 50},
                ]
            },
        },
    )
    assert created.status_code == 201, created.text
    plan = example("plan")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "pricing-page-test (experiment) [staging]" in plan.stdout
    adopt = example("plan", "--adopt")
    assert adopt.returncode == 2, adopt.stdout + adopt.stderr
    assert "managed: no -> yes (adopted by flagsync)" in adopt.stdout
    assert example("apply", "--yes", "--adopt").returncode == 0
    assert "managed-by-flagsync" in live_flag(posthog_api, 1, "pricing-page-test")["tags"]
    converges(example)
