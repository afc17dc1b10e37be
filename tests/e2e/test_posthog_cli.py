"""The real CLI against the PostHog emulator on 127.0.0.1: examples, promotion across projects,
edits, UI soft deletes, key reuse, concurrent edits, credentials."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reconciler.apply import apply_plan
from reconciler.emulator import EmulatorServer
from reconciler.emulator.posthog import PERSONAL_API_KEY
from reconciler.manifest.loader import load_flags
from reconciler.providers.posthog.client import PostHogClient
from reconciler.providers.posthog.provider import PostHogProvider
from reconciler.reconcile import make_plan
from reconciler.workspace import load_workspace
from tests.e2e.conftest import Cli
from tests.e2e.posthog_support import AUTH, live_flag, posthog_example


@pytest.fixture
def example(tmp_path: Path, emulator: EmulatorServer) -> Cli:
    return posthog_example(tmp_path, emulator)


@pytest.fixture
def posthog_api(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.url, headers=AUTH) as client:
        yield client


@pytest.mark.slow
def test_examples_apply_then_plan_is_empty(example: Cli, posthog_api: httpx.Client) -> None:
    first = example("plan")
    assert first.returncode == 2, first.stderr
    assert "Plan: 8 to create, 0 to update, 0 to delete." in first.stdout
    # counted per flag (not per project), without fields PostHog flags do not have
    assert 'type: "release"' not in first.stdout and 'name: "beta-dashboard"' not in first.stdout
    applied = example("apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply complete: 8 created" in applied.stdout
    again = example("plan")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes." in again.stdout
    # one manifest, two projects: the cohort is looked up by name in each
    cohorts = {
        project: live_flag(posthog_api, project, "beta-dashboard")["filters"]["groups"][0][
            "properties"
        ][0]["value"]
        for project in (1, 2)
    }
    assert cohorts == {1: 11, 2: 21}
    # per-environment differences: everyone in staging, 10 % in production
    staging = live_flag(posthog_api, 1, "new-checkout")["filters"]["groups"]
    production = live_flag(posthog_api, 2, "new-checkout")["filters"]["groups"]
    assert [g["rollout_percentage"] for g in staging] == [100]
    assert [g["rollout_percentage"] for g in production] == [100, 10]
    # the dependency is stored by the parent's id in that project
    parent = live_flag(posthog_api, 1, "new-onboarding")
    child = live_flag(posthog_api, 1, "onboarding-checklist")
    assert child["filters"]["groups"][0]["properties"][0]["key"] == str(parent["id"])
    # payloads are stored as PostHog stores them: JSON strings
    button = live_flag(posthog_api, 2, "checkout-button")
    assert json.loads(button["filters"]["payloads"]["treatment"]) == {
        "colour": "#22aa44",
        "label": "Buy now",
    }


@pytest.mark.slow
def test_an_edit_reads_naturally_and_converges(example: Cli) -> None:
    assert example("apply", "--yes").returncode == 0
    manifest = example.cwd / "flags" / "checkout.yaml"
    manifest.write_text(manifest.read_text().replace("percentage: 10\n", "percentage: 100\n"))
    plan = example("plan")
    assert plan.returncode == 2, plan.stderr
    assert "~ new-checkout  (update)" in plan.stdout
    assert "targets[1].percentage: 10% -> 100%" in plan.stdout
    assert "Plan: 0 to create, 1 to update, 0 to delete." in plan.stdout
    assert example("apply", "--yes").returncode == 0
    assert example("plan").returncode == 0


@pytest.mark.slow
def test_a_flag_soft_deleted_in_the_ui_is_restored(example: Cli, posthog_api: httpx.Client) -> None:
    assert example("apply", "--yes").returncode == 0
    flag = live_flag(posthog_api, 2, "beta-dashboard")
    response = posthog_api.patch(
        f"/api/projects/2/feature_flags/{flag['id']}/", json={"deleted": True}
    )
    assert response.status_code == 200
    plan = example("plan")
    assert plan.returncode == 2
    assert "+ [production]" in plan.stdout
    applied = example("apply", "--yes")
    assert applied.returncode == 0, applied.stderr
    assert live_flag(posthog_api, 2, "beta-dashboard")["active"] is True
    assert example("plan").returncode == 0


@pytest.mark.slow
def test_prune_soft_deletes_and_the_key_can_be_created_again(
    example: Cli, posthog_api: httpx.Client
) -> None:
    assert example("apply", "--yes").returncode == 0
    beta = example.cwd / "flags" / "beta.yaml"
    text = beta.read_text()
    beta.unlink()
    plan = example("plan")
    assert "run with --prune to delete it: beta-dashboard" in plan.stdout
    pruned = example("apply", "--yes", "--prune")
    assert pruned.returncode == 0, pruned.stderr
    assert "PATCH /api/projects/1/feature_flags/" in pruned.stdout
    assert "Apply complete: 0 created, 0 updated, 1 deleted." in pruned.stdout
    listed = posthog_api.get("/api/projects/1/feature_flags/").json()["results"]
    assert "beta-dashboard" not in [row["key"] for row in listed]
    beta.write_text(text)
    again = example("apply", "--yes")
    assert again.returncode == 0, again.stderr
    assert "1 created" in again.stdout
    assert example("plan").returncode == 0


@pytest.mark.slow
def test_a_project_the_manifest_no_longer_names_is_pruned_there_only(
    example: Cli, posthog_api: httpx.Client
) -> None:
    assert example("apply", "--yes").returncode == 0
    beta = example.cwd / "flags" / "beta.yaml"
    text = beta.read_text()
    beta.write_text(text[: text.index("      production:")])
    plan = example("plan")
    assert plan.returncode == 0
    assert "beta-dashboard [production]" in plan.stdout
    pruned = example("apply", "--yes", "--prune")
    assert pruned.returncode == 0, pruned.stderr
    assert "PATCH /api/projects/2/" in pruned.stdout
    live_flag(posthog_api, 1, "beta-dashboard")
    listed = posthog_api.get("/api/projects/2/feature_flags/").json()["results"]
    assert "beta-dashboard" not in [row["key"] for row in listed]


@pytest.mark.slow
def test_an_edit_in_the_ui_between_plan_and_apply_is_a_clear_conflict(
    tmp_path: Path, emulator: EmulatorServer, posthog_api: httpx.Client
) -> None:
    example = posthog_example(tmp_path, emulator)
    assert example("apply", "--yes").returncode == 0
    manifest = example.cwd / "flags" / "checkout.yaml"
    manifest.write_text(manifest.read_text().replace("percentage: 10\n", "percentage: 20\n"))
    workspace = load_workspace(example.cwd)
    with PostHogClient(emulator.url, PERSONAL_API_KEY) as client:
        provider = PostHogProvider(workspace, client)
        plan = make_plan(workspace, load_flags(workspace), provider)
        flag = live_flag(posthog_api, 2, "new-checkout")
        filters = flag["filters"]
        filters["groups"][1]["rollout_percentage"] = 50  # someone moves the rollout in the UI
        response = posthog_api.patch(
            f"/api/projects/2/feature_flags/{flag['id']}/", json={"filters": filters}
        )
        assert response.status_code == 200
        lines: list[str] = []
        result = apply_plan(plan, provider, lines.append)
    assert not result.ok
    message = str(result.error)
    assert "flag 'new-checkout' was changed in PostHog since the plan" in message
    assert "flagsync plan" in message
    assert "updated by" in message  # PostHog's own words
    assert (
        live_flag(posthog_api, 2, "new-checkout")["filters"]["groups"][1]["rollout_percentage"]
        == 50
    )


@pytest.mark.slow
def test_a_saved_plan_refuses_when_the_flag_moved(example: Cli, posthog_api: httpx.Client) -> None:
    assert example("apply", "--yes").returncode == 0
    manifest = example.cwd / "flags" / "checkout.yaml"
    manifest.write_text(manifest.read_text().replace("percentage: 10\n", "percentage: 20\n"))
    assert example("plan", "--out", "plan.json").returncode == 2
    flag = live_flag(posthog_api, 2, "new-checkout")
    posthog_api.patch(f"/api/projects/2/feature_flags/{flag['id']}/", json={"name": "edited"})
    stale = example("apply", "plan.json", "--yes")
    assert stale.returncode == 1
    assert "new-checkout changed since it was planned" in stale.stderr


@pytest.mark.slow
def test_credentials_are_required_and_never_printed(example: Cli) -> None:
    missing = example("plan", env={"POSTHOG_PERSONAL_API_KEY": ""})
    assert missing.returncode == 1
    assert "POSTHOG_PERSONAL_API_KEY" in missing.stderr
    assert "Traceback" not in missing.stderr
    wrong = example("plan", env={"POSTHOG_PERSONAL_API_KEY": "phx_wrong_secret_value"})
    assert wrong.returncode == 1
    assert "GET /api/projects/" in wrong.stderr
    assert "phx_wrong_secret_value" not in wrong.stderr + wrong.stdout
    assert "Traceback" not in wrong.stderr


@pytest.mark.slow
def test_an_unknown_project_names_the_environment(example: Cli) -> None:
    workspace = example.cwd / "flagsync.yaml"
    workspace.write_text(workspace.read_text().replace("project_id: 2", "project_id: 99"))
    result = example("plan")
    assert result.returncode == 1
    assert "environment 'production': PostHog project 99 not found" in result.stderr
