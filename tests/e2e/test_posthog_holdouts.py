"""PostHog experiment holdouts end to end: declared once, created in two projects (ids differ
per project), used by an experiment, changed, refused after launch, and pruned last."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.emulator import EmulatorServer
from tests.e2e.conftest import Cli
from tests.e2e.posthog_support import AUTH, live_flag, posthog_example

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
    cli = posthog_example(tmp_path, emulator)
    for extra in ("beta.yaml", "checkout.yaml", "onboarding.yaml"):
        (cli.cwd / "flags" / extra).unlink()
    (cli.cwd / "flags" / "experiments.yaml").write_text(MANIFEST)
    return cli


@pytest.fixture
def api(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.url, headers=AUTH) as client:
        yield client


def _set(cli: Cli, old: str, new: str) -> None:
    manifest = cli.cwd / "flags" / "experiments.yaml"
    manifest.write_text(manifest.read_text().replace(old, new))


def _converges(cli: Cli, *options: str) -> str:
    applied = cli("apply", "--yes", *options)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    again = cli("plan", *options)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes." in again.stdout
    return applied.stdout


def _holdouts(api: httpx.Client, project: int) -> list[dict[str, Any]]:
    return list(api.get(f"/api/projects/{project}/experiment_holdouts/").json()["results"])


@pytest.mark.slow
def test_a_holdout_in_two_projects_converges(example: Cli, api: httpx.Client) -> None:
    # another project's holdouts take the low ids, so the two projects' ids differ
    api.post(
        "/api/projects/2/experiment_holdouts/",
        json={"name": "Someone else's", "filters": [{"rollout_percentage": 1}]},
    )
    plan = example("plan")
    assert plan.returncode == 2, plan.stderr
    assert "+ holdout Global holdout  (create)" in plan.stdout
    assert "Plan: 2 to create, 0 to update, 0 to delete." in plan.stdout
    log = _converges(example)
    assert "{holdout-id:" not in log
    ids = {}
    for project in (1, 2):
        mine = [h for h in _holdouts(api, project) if h["name"] == "Global holdout"]
        assert len(mine) == 1
        ids[project] = mine[0]["id"]
        flag = live_flag(api, project, "pricing-page-test")
        assert flag["filters"]["holdout"] == {"id": ids[project], "exclusion_percentage": 5}
    assert ids[1] != ids[2]
    # the other holdout is neither touched nor listed as flagsync's
    assert "Someone else's" not in example("plan").stdout

    _set(example, "percentage: 5", "percentage: 8")
    plan = example("plan")
    assert "percentage: 5% -> 8%" in plan.stdout
    _converges(example)
    flag = live_flag(api, 2, "pricing-page-test")
    assert flag["filters"]["holdout"]["exclusion_percentage"] == 8


@pytest.mark.slow
def test_a_launched_experiments_holdout_cannot_change(example: Cli) -> None:
    _set(example, "status: draft", "status: running")
    log = _converges(example)
    # the apply log shows the ids the calls were sent to, not the plan's placeholders
    assert "{experiment-id:" not in log and "{flag-id:" not in log
    assert re.search(r"POST /api/projects/1/experiments/\d+/launch/", log), log
    assert re.search(r"PATCH /api/projects/2/feature_flags/\d+/", log), log
    _set(example, "    holdout: Global holdout\n", "")
    plan = example("plan")
    assert plan.returncode == 1
    assert "Traceback" not in plan.stderr
    assert (
        "experiment 'pricing-page-test' [production]: holdout 'Global holdout' cannot become "
        "(none): PostHog refuses a holdout change once an experiment is launched"
    ) in plan.stderr


@pytest.mark.slow
def test_a_holdout_gone_from_the_manifests_is_pruned_after_its_experiment_lets_go(
    example: Cli, api: httpx.Client
) -> None:
    _converges(example)
    _set(example, "    holdout: Global holdout\n", "")
    manifest = example.cwd / "flags" / "experiments.yaml"
    manifest.write_text(manifest.read_text().split("holdouts:")[0])
    plan = example("plan")
    assert "Global holdout (holdout) [staging]" in plan.stdout  # listed, not deleted
    log = _converges(example, "--prune")
    assert "deleted Global holdout" in log
    assert _holdouts(api, 1) == [] and _holdouts(api, 2) == []
    assert live_flag(api, 1, "pricing-page-test")["filters"].get("holdout") is None


@pytest.mark.slow
def test_pruning_a_holdout_another_experiment_uses_is_refused(
    example: Cli, api: httpx.Client
) -> None:
    _converges(example)
    holdout = next(h for h in _holdouts(api, 1) if h["name"] == "Global holdout")
    made = api.post(
        "/api/projects/1/experiments/",
        json={"name": "UI", "feature_flag_key": "made-in-ui", "holdout_id": holdout["id"]},
    )
    assert made.status_code == 201, made.text
    _set(example, "    holdout: Global holdout\n", "")
    manifest = example.cwd / "flags" / "experiments.yaml"
    manifest.write_text(manifest.read_text().split("holdouts:")[0])
    plan = example("plan", "--prune")
    assert plan.returncode == 1
    assert (
        "holdout 'Global holdout' [staging] is gone from the manifests but experiment "
        "'made-in-ui' in PostHog project 1 still uses it"
    ) in plan.stderr
    assert _holdouts(api, 1) != []
