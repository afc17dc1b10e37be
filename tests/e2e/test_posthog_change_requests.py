"""PostHog change requests end to end: the real CLI against the emulator, whose production
project has an approval policy on rollout changes. Gated changes go to reviewers as change
requests (the flag changes only on approval); open requests are recognised, stale ones
cancelled on request, rejected and expired ones reported."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.emulator import EmulatorServer
from reconciler.emulator.posthog import REVIEWER_API_KEY
from tests.e2e.conftest import Cli
from tests.e2e.posthog_support import AUTH, live_flag, posthog_environment

WORKSPACE = """\
provider: posthog
environments:
  staging: {{project_id: 1}}
  production: {{project_id: 2{production}}}
manifests: flags/
"""
MANIFEST = """\
flags:
  - key: checkout
    environments:
      staging:
        enabled: true
        targets:
          - name: Everyone
      production:
        enabled: true
        targets:
          - name: Everyone
            percentage: {percentage}
"""
REQUESTS = "/api/projects/2/change_requests/"


def _write(cli: Cli, percentage: int) -> None:
    (cli.cwd / "flags" / "checkout.yaml").write_text(MANIFEST.format(percentage=percentage))


def _workspace(tmp_path: Path, emulator: EmulatorServer, production: str) -> Cli:
    folder = tmp_path / "ws"
    (folder / "flags").mkdir(parents=True)
    (folder / "flagsync.yaml").write_text(WORKSPACE.format(production=production))
    cli = Cli(cwd=folder, env=posthog_environment(emulator))
    _write(cli, 10)
    created = cli("apply", "--yes")
    assert created.returncode == 0, created.stdout + created.stderr
    return cli


@pytest.fixture
def api(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.url, headers=AUTH) as client:
        yield client


@pytest.fixture
def reviewer(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {REVIEWER_API_KEY}"}
    with httpx.Client(base_url=emulator.url, headers=headers) as client:
        yield client


def _gate(api: httpx.Client, project: int = 2, **policy: Any) -> None:
    body = {
        "action_key": "feature_flag.update",
        "approver_config": {"users": [2], "quorum": 1},
        **policy,
    }
    response = api.post(f"/api/projects/{project}/approval_policies/", json=body)
    assert response.status_code == 201, response.text


@pytest.fixture
def reviewed(tmp_path: Path, emulator: EmulatorServer, api: httpx.Client) -> Cli:
    """Production declared `changes: change-request`, its project gating rollout changes."""
    cli = _workspace(tmp_path, emulator, ", changes: change-request")
    _gate(api)
    return cli


def _requests(api: httpx.Client, state: str = "pending") -> list[dict[str, Any]]:
    return list(api.get(REQUESTS, params={"state": state}).json()["results"])


def _production_rollout(api: httpx.Client) -> Any:
    return live_flag(api, 2, "checkout")["filters"]["groups"][0]["rollout_percentage"]


@pytest.mark.slow
def test_apply_opens_a_request_and_approval_applies_it(
    reviewed: Cli, api: httpx.Client, reviewer: httpx.Client
) -> None:
    _write(reviewed, 50)
    plan = reviewed("plan")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "[production]  (change request)" in plan.stdout
    applied = reviewed("apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    [request] = _requests(api)
    assert f"awaiting review: opened change request {request['id']}" in applied.stdout
    assert f"/project/2/approvals/{request['id']}" in applied.stdout
    assert "1 change request awaiting review" in applied.stdout
    assert _production_rollout(api) == 10  # the flag changes only on approval

    again = reviewed("plan")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "already carries this change" in again.stdout
    assert "awaiting a pending change request" in again.stdout
    assert reviewed("apply", "--yes").returncode == 0
    assert [r["id"] for r in _requests(api)] == [request["id"]]

    approved = reviewer.post(f"{REQUESTS}{request['id']}/approve/", json={})
    assert approved.json()["status"] == "applied", approved.text
    assert _production_rollout(api) == 50
    done = reviewed("plan")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No changes." in done.stdout


@pytest.mark.slow
def test_a_project_whose_policy_gates_the_write_gets_a_request_undeclared(
    tmp_path: Path, emulator: EmulatorServer, api: httpx.Client
) -> None:
    cli = _workspace(tmp_path, emulator, "")
    _gate(api)
    _write(cli, 30)
    assert "[production]  (change request)" in cli("plan").stdout
    applied = cli("apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "awaiting review: opened change request" in applied.stdout
    assert len(_requests(api)) == 1
    assert _production_rollout(api) == 10


@pytest.mark.slow
def test_rejection_is_reported_with_its_reason(
    reviewed: Cli, api: httpx.Client, reviewer: httpx.Client
) -> None:
    _write(reviewed, 50)
    assert reviewed("apply", "--yes").returncode == 0
    [request] = _requests(api)
    reviewer.post(f"{REQUESTS}{request['id']}/reject/", json={"reason": "too risky today"})
    plan = reviewed("plan")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert (
        f"checkout [production]: change request {request['id']} (rejected) closed without "
        "being applied: rejected by reviewer@flagsync.invalid: too risky today"
    ) in plan.stdout


@pytest.mark.slow
def test_expiry_is_reported(tmp_path: Path, emulator: EmulatorServer, api: httpx.Client) -> None:
    cli = _workspace(tmp_path, emulator, ", changes: change-request")
    _gate(api, expires_after="1")
    _write(cli, 50)
    assert cli("apply", "--yes").returncode == 0
    time.sleep(1.2)
    plan = cli("plan")
    assert "(expired) closed without being applied: expired unreviewed at" in plan.stdout
    assert _requests(api) == []


@pytest.mark.slow
def test_a_stale_request_is_cancelled_with_cancel_stale(reviewed: Cli, api: httpx.Client) -> None:
    _write(reviewed, 50)
    assert reviewed("apply", "--yes").returncode == 0
    [old] = _requests(api)
    _write(reviewed, 70)
    plan = reviewed("plan")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert f"change request {old['id']} (pending) opened by flagsync" in plan.stdout
    assert "--cancel-stale cancels it" in plan.stdout
    held = reviewed("apply", "--yes")
    assert held.returncode == 0, held.stdout + held.stderr
    assert [r["id"] for r in _requests(api)] == [old["id"]]
    applied = reviewed("apply", "--yes", "--cancel-stale")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "cancelled a stale change request for checkout" in applied.stdout
    [new] = _requests(api)
    assert new["id"] != old["id"]
    rollouts = new["intent"]["gated_changes"]["rollout_percentage"]
    assert [r["value"] for r in rollouts] == [70]


@pytest.mark.slow
def test_someone_elses_request_locks_the_flag(
    reviewed: Cli, api: httpx.Client, reviewer: httpx.Client
) -> None:
    flag = live_flag(api, 2, "checkout")
    groups = {"groups": [{"properties": [], "rollout_percentage": 90}]}
    gated = reviewer.patch(f"/api/projects/2/feature_flags/{flag['id']}/", json={"filters": groups})
    assert gated.status_code == 409
    _write(reviewed, 50)
    plan = reviewed("plan")
    assert "not opened by flagsync; the flag is locked" in plan.stdout
    applied = reviewed("apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert [r["created_by"]["id"] for r in _requests(api)] == [2]


def test_a_request_left_open_on_a_flag_the_manifests_put_back_is_stale(
    reviewed: Cli, api: httpx.Client
) -> None:
    """The manifests asked for 50 % (a request opened), then went back to the live 10 %: the
    flag has nothing to change, but approving the open request would still set 50 %. The plan
    must name that request, and `--cancel-stale` cancel it."""
    _write(reviewed, 50)
    assert reviewed("apply", "--yes").returncode == 0
    [old] = _requests(api)
    _write(reviewed, 10)
    plan = reviewed("plan")
    assert f"change request {old['id']} (pending) opened by flagsync" in plan.stdout, plan.stdout
    assert "--cancel-stale cancels it" in plan.stdout
    applied = reviewed("apply", "--yes", "--cancel-stale")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "cancelled a stale change request for checkout" in applied.stdout
    assert _requests(api) == []
    assert _production_rollout(api) == 10
