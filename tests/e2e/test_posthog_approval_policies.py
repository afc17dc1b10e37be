"""PostHog approval policies kept as code: declared in the workspace, planned and applied like
flags (with the same ownership rules), and written back by `flagsync import`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.emulator import EmulatorServer
from tests.e2e.conftest import Cli
from tests.e2e.posthog_support import AUTH, posthog_environment

WORKSPACE = """\
provider: posthog
# production is reviewed
environments:
  staging: {project_id: 1}
  production: {project_id: 2}
manifests: flags/
"""
POLICIES = """\
approval_policies:
  - environment: production
    action: feature_flag.update
    conditions: {type: before_after, field: rollout_percentage, operator: ">", value: 50}
    approvers: [2]
    quorum: 1
    expires_after: 7d
"""
LIVE = "/api/projects/2/approval_policies/"


@pytest.fixture
def cli(tmp_path: Path, emulator: EmulatorServer) -> Cli:
    folder = tmp_path / "ws"
    (folder / "flags").mkdir(parents=True)
    (folder / "flagsync.yaml").write_text(WORKSPACE + POLICIES)
    return Cli(cwd=folder, env=posthog_environment(emulator))


@pytest.fixture
def api(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.url, headers=AUTH) as client:
        yield client


def _live(api: httpx.Client) -> list[dict[str, Any]]:
    return list(api.get(LIVE).json()["results"])


@pytest.mark.slow
def test_a_declared_policy_round_trips(cli: Cli, api: httpx.Client) -> None:
    plan = cli("plan")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "approval policy feature_flag.update" in plan.stdout
    applied = cli("apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    [policy] = _live(api)
    assert policy["conditions"]["value"] == 50
    assert policy["approver_config"]["users"] == [2]
    assert policy["expires_after"] == "7 00:00:00"
    again = cli("plan")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes." in again.stdout

    workspace = cli.cwd / "flagsync.yaml"
    workspace.write_text(WORKSPACE)
    imported = cli("import")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "Wrote 1 approval policy to flagsync.yaml" in imported.stdout
    text = workspace.read_text()
    assert "# production is reviewed" in text  # the file's comments are kept
    assert "approval_policies:" in text and "expires_after: 7d" in text
    after_import = cli("plan")
    assert after_import.returncode == 0, after_import.stdout + after_import.stderr
    assert "No changes." in after_import.stdout


@pytest.mark.slow
def test_a_policy_flagsync_did_not_create_is_adopted_only_when_asked(
    cli: Cli, api: httpx.Client
) -> None:
    body = {"action_key": "feature_flag.update", "approver_config": {"users": [1], "quorum": 1}}
    assert api.post(LIVE, json=body).status_code == 201
    plan = cli("plan")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "approval policy feature_flag.update [production]" in plan.stdout
    assert cli("apply", "--yes").returncode == 0
    assert _live(api)[0]["approver_config"] == {"users": [1], "quorum": 1}
    adopted = cli("apply", "--yes", "--adopt")
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    assert _live(api)[0]["approver_config"]["users"] == [2]
    assert cli("plan").returncode == 0


@pytest.mark.slow
def test_a_policy_gone_from_the_workspace_is_deleted_only_with_prune(
    cli: Cli, api: httpx.Client
) -> None:
    assert cli("apply", "--yes").returncode == 0
    (cli.cwd / "flagsync.yaml").write_text(WORKSPACE)
    kept = cli("apply", "--yes")
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert len(_live(api)) == 1
    pruned = cli("apply", "--yes", "--prune")
    assert pruned.returncode == 0, pruned.stdout + pruned.stderr
    assert _live(api) == []
