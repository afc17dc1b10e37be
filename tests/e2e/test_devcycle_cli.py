"""The real CLI against a real DevCycle emulator server on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest

from reconciler.emulator import EmulatorConfig, EmulatorServer
from tests.e2e.conftest import CLIENT_ID, CLIENT_SECRET, REPO, Cli, cli_environment


@pytest.mark.slow
def test_examples_apply_then_plan_is_empty(example: Cli) -> None:
    first = example("plan")
    assert first.returncode == 2, first.stderr
    assert (
        "Plan: 12 to create, 0 to update, 0 to delete." in first.stdout
    )  # 6 flags, 3 custom properties, 1 audience, 2 metrics
    applied = example("apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply complete: 12 created, 0 updated, 0 deleted." in applied.stdout
    again = example("plan")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes." in again.stdout


@pytest.mark.slow
def test_one_edit_shows_exactly_that_field_and_converges(example: Cli) -> None:
    assert example("apply", "--yes").returncode == 0
    manifest = example.cwd / "flags" / "checkout.yaml"
    manifest.write_text(
        manifest.read_text().replace("{classic: 90, redesign: 10}", "{classic: 80, redesign: 20}")
    )
    plan = example("plan", "--output", "json")
    assert plan.returncode == 2, plan.stderr
    data = json.loads(plan.stdout)
    assert [(c["key"], c["environment"], c["fields"]) for c in data["changes"]] == [
        (
            "new-checkout",
            "production",
            [
                {
                    "path": "targets[1].serve",
                    "parts": ["targets", 1, "serve"],
                    "before": {"classic": 90.0, "redesign": 10.0},
                    "after": {"classic": 80.0, "redesign": 20.0},
                }
            ],
        )
    ]
    text = example("plan").stdout
    assert "targets[1].serve: classic 90% / redesign 10% -> classic 80% / redesign 20%" in text
    assert example("apply", "--yes").returncode == 0
    assert example("plan").returncode == 0


@pytest.mark.slow
def test_change_made_in_the_dashboard_is_planned_back(example: Cli, api: httpx.Client) -> None:
    assert example("apply", "--yes").returncode == 0
    response = api.patch(
        "/v1/projects/demo/features/dark-mode/configurations",
        params={"environment": "production"},
        json={"status": "inactive"},
    )
    assert response.status_code == 200, response.text
    plan = example("plan")
    assert plan.returncode == 2
    assert "~ dark-mode" in plan.stdout
    assert "enabled: off -> on" in plan.stdout
    assert example("apply", "--yes").returncode == 0
    assert example("plan").returncode == 0


@pytest.mark.slow
def test_apply_without_yes_and_without_terminal_refuses(example: Cli) -> None:
    result = example("apply")
    assert result.returncode == 1
    assert "refusing to apply without --yes" in result.stderr
    assert example("plan").returncode == 2  # nothing was applied


def test_missing_credentials(example: Cli) -> None:
    result = example("plan", env={"DEVCYCLE_CLIENT_ID": "", "DEVCYCLE_CLIENT_SECRET": ""})
    assert result.returncode == 1
    assert "DevCycle credentials missing" in result.stderr
    assert "Traceback" not in result.stderr


def test_manifest_problems_come_before_missing_credentials(example: Cli) -> None:
    """The live state downloads while the manifests load, but a broken manifest is still what
    a user without credentials hears about first (validation needs no account)."""
    manifest = example.cwd / "flags" / "checkout.yaml"
    manifest.write_text(manifest.read_text().replace("type: release", "type: relase"))
    no_credentials = {"DEVCYCLE_CLIENT_ID": "", "DEVCYCLE_CLIENT_SECRET": ""}
    result = example("plan", env=no_credentials)
    assert result.returncode == 1
    assert "checkout.yaml:" in result.stderr and "relase" in result.stderr
    assert "credentials" not in result.stderr


def test_wrong_credentials_are_reported_without_the_secret(example: Cli) -> None:
    wrong = "wrong-secret-1234"
    result = example("plan", env={"DEVCYCLE_CLIENT_SECRET": wrong})
    assert result.returncode == 1
    assert "refused the client credentials (HTTP 401)" in result.stderr
    assert "/oauth/token" in result.stderr
    assert wrong not in result.stdout + result.stderr
    assert CLIENT_SECRET not in result.stdout + result.stderr


@pytest.mark.slow
def test_unreachable_api(example: Cli) -> None:
    dead = "http://127.0.0.1:9"
    result = example("plan", env={"DEVCYCLE_API_URL": dead, "DEVCYCLE_API_TOKEN": "t0k3n"})
    assert result.returncode == 1
    assert "cannot reach http://127.0.0.1:9" in result.stderr
    assert "t0k3n" not in result.stdout + result.stderr


@pytest.mark.slow
def test_unknown_project(example: Cli) -> None:
    workspace = example.cwd / "flagsync.yaml"
    workspace.write_text(workspace.read_text().replace("project: demo", "project: nope"))
    result = example("plan")
    assert result.returncode == 1
    assert "DevCycle project 'nope' not found" in result.stderr


@pytest.mark.slow
def test_vendor_error_names_the_call_and_the_vendor_message(
    example: Cli, api: httpx.Client
) -> None:
    # A feature outside the manifests already uses a variable key the manifests declare.
    taken = api.post(
        "/v2/projects/demo/features",
        json={
            "key": "legacy-checkout",
            "name": "Legacy",
            "configurations": {},
            "variables": [{"key": "checkout-version", "type": "String"}],
        },
    )
    assert taken.status_code == 201, taken.text
    result = example("apply", "--yes")
    assert result.returncode == 1
    assert "FAILED create new-checkout" in result.stdout
    assert "POST /v2/projects/demo/features" in result.stdout
    assert "checkout-version" in result.stdout  # DevCycle's own message names the key
    assert "apply stopped" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.slow
def test_bad_manifest_stops_before_any_request(example: Cli) -> None:
    (example.cwd / "flags" / "broken.yaml").write_text("flags:\n  - key: Broken\n")
    result = example("plan")
    assert result.returncode == 1
    assert "flags/broken.yaml:2:10: flags[0].key: 'Broken' is not a valid key" in result.stderr


def test_markdown_output(example: Cli) -> None:
    result = example("plan", "-o", "markdown")
    assert result.returncode == 2
    assert result.stdout.startswith("### flagsync plan: devcycle project `demo`")
    assert "#### `+ new-checkout` (create)" in result.stdout


@pytest.mark.slow
def test_unmanaged_flags_are_listed_and_left_alone(example: Cli, api: httpx.Client) -> None:
    created = api.post(
        "/v2/projects/demo/features",
        json={"key": "hand-made", "name": "Hand made", "configurations": {}},
    )
    assert created.status_code == 201, created.text
    assert example("apply", "--yes").returncode == 0
    plan = example("plan")
    assert plan.returncode == 0
    assert "1 flag in the project not in the manifests, left alone: hand-made" in plan.stdout
    assert api.get("/v2/projects/demo/features/hand-made").status_code == 200


@pytest.mark.slow
def test_state_file_emulator_keeps_what_was_applied(tmp_path: Path) -> None:
    """An emulator with a state file keeps what was applied across restarts."""
    state = tmp_path / "state.json"
    config = EmulatorConfig(state_file=state, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    workspace = tmp_path / "ws"
    shutil.copytree(REPO / "tests" / "fixtures" / "examples" / "devcycle", workspace)
    with EmulatorServer(config) as server:
        assert Cli(workspace, cli_environment(server))("apply", "--yes").returncode == 0
    with EmulatorServer(config) as server:
        assert Cli(workspace, cli_environment(server))("plan").returncode == 0
