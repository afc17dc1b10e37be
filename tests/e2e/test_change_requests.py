"""DevCycle Feature Change Requests end to end: a change-request environment gets reviewed
changes, never direct ones; open requests are recognised; approval applies them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.devcycle_settings import set_approval_workflow
from tests.e2e.conftest import Cli

FEATURES = "/v2/projects/demo/features"


@pytest.fixture
def reviewed(example: Cli, api: httpx.Client) -> Cli:
    """The examples, with production changed only through change requests reviewed by alice,
    in a project whose approval workflow is on."""
    set_approval_workflow(api, "demo")
    workspace = example.cwd / "flagsync.yaml"
    workspace.write_text(
        workspace.read_text().replace(
            "  production: {}",
            "  production:\n    changes: change-request\n    reviewers: [auth0|alice]",
        )
    )
    return example


def _open_requests(api: httpx.Client, key: str) -> list[dict[str, Any]]:
    response = api.get(f"{FEATURES}/{key}/change-requests")
    assert response.status_code == 200, response.text
    return [r for r in response.json() if r["status"] in ("draft", "pending")]


def _production(api: httpx.Client, key: str) -> dict[str, Any]:
    envs = {e["_id"]: e["key"] for e in api.get("/v1/projects/demo/environments").json()}
    feature = api.get(f"{FEATURES}/{key}").json()
    return next(c for c in feature["configurations"] if envs[c["_environment"]] == "production")


def _approve(api: httpx.Client, key: str, request_id: str) -> None:
    response = api.patch(
        f"{FEATURES}/{key}/change-requests/{request_id}/review",
        params={"apply": "true"},
        json={"action": "approved", "comment": "ship it"},
    )
    assert response.status_code == 200, response.text


@pytest.mark.slow
def test_production_changes_go_to_reviewers_not_to_the_flag(
    reviewed: Cli, api: httpx.Client
) -> None:
    plan = reviewed("plan")
    assert plan.returncode == 2
    assert "+ [production]  (change request to auth0|alice)" in plan.stdout
    assert "change requests." in plan.stdout or "change request." in plan.stdout
    applied = reviewed("apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "submitted change request" in applied.stdout
    # Production is untouched until a reviewer approves; the other environments are live.
    assert _production(api, "new-checkout")["status"] == "inactive"
    requests = _open_requests(api, "new-checkout")
    assert [r["status"] for r in requests] == ["pending"]
    assert requests[0]["_id"] in applied.stdout


@pytest.mark.slow
def test_second_apply_opens_no_new_request(reviewed: Cli, api: httpx.Client) -> None:
    assert reviewed("apply", "--yes").returncode == 0
    first = {r["_id"] for r in _open_requests(api, "new-checkout")}
    plan = reviewed("plan")
    assert plan.returncode == 0, plan.stdout
    assert "already carries this change" in plan.stdout
    assert "awaiting a pending change request" in plan.stdout
    assert reviewed("apply", "--yes").returncode == 0
    assert {r["_id"] for r in _open_requests(api, "new-checkout")} == first


def _approve_all(api: httpx.Client) -> None:
    pending = api.get("/v2/projects/demo/change-requests", params={"status": "pending"}).json()
    for summary in pending:
        _approve(api, summary["feature"]["key"], summary["_id"])


@pytest.mark.slow
def test_approval_between_two_plans_leaves_nothing_to_do(reviewed: Cli, api: httpx.Client) -> None:
    assert reviewed("apply", "--yes").returncode == 0
    _approve_all(api)
    assert _production(api, "new-checkout")["status"] == "active"
    # Under the workflow a status change is a request of its own, sent once the feature's
    # targeting request is resolved.
    assert reviewed("apply", "--yes").returncode == 0
    _approve_all(api)
    plan = reviewed("plan")
    assert plan.returncode == 0, plan.stdout
    assert "No changes. The live state matches the manifests." in plan.stdout


@pytest.mark.slow
def test_stale_request_is_reported_and_cancelled_only_when_asked(
    reviewed: Cli, api: httpx.Client
) -> None:
    assert reviewed("apply", "--yes").returncode == 0
    (old,) = _open_requests(api, "new-checkout")
    manifest = reviewed.cwd / "flags" / "checkout.yaml"
    manifest.write_text(
        manifest.read_text().replace("{classic: 90, redesign: 10}", "{classic: 50, redesign: 50}")
    )
    plan = reviewed("plan")
    assert f"change request {old['_id']} (pending) opened by flagsync for a change" in plan.stdout
    assert reviewed("apply", "--yes").returncode == 0
    assert [r["_id"] for r in _open_requests(api, "new-checkout")] == [old["_id"]]
    replaced = reviewed("apply", "--yes", "--cancel-stale")
    assert replaced.returncode == 0, replaced.stdout + replaced.stderr
    assert "cancelled a stale change request for new-checkout" in replaced.stdout
    (new,) = _open_requests(api, "new-checkout")
    assert new["_id"] != old["_id"]
    _approve(api, "new-checkout", new["_id"])
    distribution = _production(api, "new-checkout")["targets"][1]["distribution"]
    assert sorted(share["percentage"] for share in distribution) == [0.5, 0.5]


@pytest.mark.slow
def test_request_opened_by_someone_else_locks_the_flag(example: Cli, api: httpx.Client) -> None:
    assert example("apply", "--yes").returncode == 0
    set_approval_workflow(api, "demo")
    foreign = api.post(
        f"{FEATURES}/dark-mode/change-requests",
        json={"path": f"{FEATURES}/dark-mode", "method": "PATCH", "body": {"name": "Dark UI"}},
    )
    assert foreign.status_code == 201, foreign.text
    submitted = api.patch(
        f"{FEATURES}/dark-mode/change-requests/{foreign.json()['_id']}/submit",
        json={"description": "rename", "reviewers": []},
    )
    assert submitted.status_code == 200, submitted.text
    manifest = example.cwd / "flags" / "mobile.yaml"
    manifest.write_text(manifest.read_text().replace("name: Dark mode", "name: Dark theme"))
    plan = example("plan")
    assert "not opened by flagsync; the flag is locked" in plan.stdout
    assert f"(awaiting change request {foreign.json()['_id']})" in plan.stdout


def test_change_request_environment_without_the_workflow_is_a_plan_error(
    example: Cli, api: httpx.Client
) -> None:
    workspace = example.cwd / "flagsync.yaml"
    workspace.write_text(
        workspace.read_text().replace("  production: {}", "  production: {changes: change-request}")
    )
    plan = example("plan")
    assert plan.returncode == 1, plan.stdout + plan.stderr
    assert "production use `changes: change-request`" in plan.stderr
    assert "no feature approval workflow" in plan.stderr
    assert "Enable it in the project's settings" in plan.stderr
    assert api.get(FEATURES).json() == []


@pytest.mark.slow
def test_project_requiring_approval_gets_requests_and_a_second_apply_opens_none(
    example: Cli, api: httpx.Client
) -> None:
    """The workspace asks for no review, the project requires it: changes are planned as change
    requests from the project's settings, and the next plan sees them as its own, not stale."""
    assert example("apply", "--yes").returncode == 0
    set_approval_workflow(api, "demo")
    manifest = example.cwd / "flags" / "mobile.yaml"
    manifest.write_text(manifest.read_text().replace("name: Dark mode", "name: Dark theme"))
    plan = example("plan")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "change request" in plan.stdout
    applied = example("apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "submitted change request" in applied.stdout
    assert api.get(f"{FEATURES}/dark-mode").json()["name"] == "Dark mode"
    (request,) = _open_requests(api, "dark-mode")
    again = example("plan")
    assert "already carries this change" in again.stdout, again.stdout
    assert "stale" not in again.stdout
    second = example("apply", "--yes", "--cancel-stale")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "cancelled" not in second.stdout
    assert [r["_id"] for r in _open_requests(api, "dark-mode")] == [request["_id"]]
