"""PostHog experiment holdouts end to end: declared once, created in two projects (ids differ
per project), used by an experiment, changed, refused after launch, and pruned last."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.emulator import EmulatorServer
from tests.e2e.conftest import Cli
from tests.e2e.posthog_support import converges, edit_manifest, live_flag, posthog_workspace

MANIFEST = """\
experiments:
  - key: pricing-page-test
    name: Pricing page layout
    holdout: Global holdout
    status: draft
    environments: [staging, production]
holdouts:
  - name: Global holdout
    description: Kept out of experiments
    percentage: 5
    environments: [staging, production]
"""


@pytest.fixture
def example(tmp_path: Path, emulator: EmulatorServer) -> Cli:
    return posthog_workspace(tmp_path, emulator, {"experiments.yaml": MANIFEST})


def _holdouts(api: httpx.Client, project: int) -> list[dict[str, Any]]:
    return list(api.get(f"/api/projects/{project}/experiment_holdouts/").json()["results"])


@pytest.mark.slow
def test_a_holdout_in_two_projects_converges(example: Cli, posthog_api: httpx.Client) -> None:
    # another project's holdouts take the low ids, so the two projects' ids differ
    posthog_api.post(
        "/api/projects/2/experiment_holdouts/",
        json={"name": "Someone else's", "filters": [{"rollout_percentage": 1}]},
    )
    plan = example("plan")
    assert plan.returncode == 2, plan.stderr
    assert "+ holdout Global holdout  (create)" in plan.stdout
    assert "Plan: 2 to create, 0 to update, 0 to delete." in plan.stdout
    log = converges(example)
    assert "{holdout-id:" not in log
    ids = {}
    for project in (1, 2):
        mine = [h for h in _holdouts(posthog_api, project) if h["name"] == "Global holdout"]
        assert len(mine) == 1
        ids[project] = mine[0]["id"]
        flag = live_flag(posthog_api, project, "pricing-page-test")
        assert flag["filters"]["holdout"] == {"id": ids[project], "exclusion_percentage": 5}
    assert ids[1] != ids[2]
    # the other holdout is neither touched nor listed as flagsync's
    assert "Someone else's" not in example("plan").stdout

    edit_manifest(example, "experiments.yaml", "percentage: 5", "percentage: 8")
    plan = example("plan")
    assert "percentage: 5% -> 8%" in plan.stdout
    converges(example)
    flag = live_flag(posthog_api, 2, "pricing-page-test")
    assert flag["filters"]["holdout"]["exclusion_percentage"] == 8


@pytest.mark.slow
def test_a_launched_experiments_holdout_cannot_change(example: Cli) -> None:
    edit_manifest(example, "experiments.yaml", "status: draft", "status: running")
    log = converges(example)
    # the apply log shows the ids the calls were sent to, not the plan's placeholders
    assert "{experiment-id:" not in log and "{flag-id:" not in log
    assert re.search(r"POST /api/projects/1/experiments/\d+/launch/", log), log
    assert re.search(r"PATCH /api/projects/2/feature_flags/\d+/", log), log
    edit_manifest(example, "experiments.yaml", "    holdout: Global holdout\n", "")
    plan = example("plan")
    assert plan.returncode == 1
    assert "Traceback" not in plan.stderr
    assert (
        "experiment 'pricing-page-test' [production]: holdout 'Global holdout' cannot become "
        "(none): PostHog refuses a holdout change once an experiment is launched"
    ) in plan.stderr


@pytest.mark.slow
def test_a_holdout_gone_from_the_manifests_is_pruned_after_its_experiment_lets_go(
    example: Cli, posthog_api: httpx.Client
) -> None:
    converges(example)
    edit_manifest(example, "experiments.yaml", "    holdout: Global holdout\n", "")
    manifest = example.cwd / "flags" / "experiments.yaml"
    manifest.write_text(manifest.read_text().split("holdouts:")[0])
    plan = example("plan")
    assert "Global holdout (holdout) [staging]" in plan.stdout  # listed, not deleted
    log = converges(example, "--prune")
    assert "deleted Global holdout" in log
    assert _holdouts(posthog_api, 1) == [] and _holdouts(posthog_api, 2) == []
    assert live_flag(posthog_api, 1, "pricing-page-test")["filters"].get("holdout") is None


@pytest.mark.slow
def test_pruning_a_holdout_another_experiment_uses_is_refused(
    example: Cli, posthog_api: httpx.Client
) -> None:
    converges(example)
    holdout = next(h for h in _holdouts(posthog_api, 1) if h["name"] == "Global holdout")
    made = posthog_api.post(
        "/api/projects/1/experiments/",
        json={"name": "UI", "feature_flag_key": "made-in-ui", "holdout_id": holdout["id"]},
    )
    assert made.status_code == 201, made.text
    edit_manifest(example, "experiments.yaml", "    holdout: Global holdout\n", "")
    manifest = example.cwd / "flags" / "experiments.yaml"
    manifest.write_text(manifest.read_text().split("holdouts:")[0])
    plan = example("plan", "--prune")
    assert plan.returncode == 1
    assert (
        "holdout 'Global holdout' [staging] is gone from the manifests but experiment "
        "'made-in-ui' in PostHog project 1 still uses it"
    ) in plan.stderr
    assert _holdouts(posthog_api, 1) != []
