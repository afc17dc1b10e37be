"""Ownership, prune, adopt, safety thresholds, saved plans and partial runs, end to end."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx
import pytest

from reconciler.providers.devcycle.provider import fingerprint
from tests.e2e.conftest import Cli


def _feature(api: httpx.Client, key: str) -> httpx.Response:
    return api.get(f"/v2/projects/demo/features/{key}")


def test_created_flags_carry_the_ownership_tag(example: Cli, api: httpx.Client) -> None:
    assert example("apply", "--yes").returncode == 0
    assert "managed-by-flagsync" in _feature(api, "dark-mode").json()["tags"]


@pytest.mark.slow
def test_removed_flag_is_deleted_only_with_prune(example: Cli, api: httpx.Client) -> None:
    assert example("apply", "--yes").returncode == 0
    (example.cwd / "flags" / "pricing.yaml").unlink()
    plan = example("plan")
    assert plan.returncode == 0, plan.stdout
    assert (
        "3 flags created by flagsync are gone from the manifests; run with --prune to delete "
        "them: annual-billing-toggle, maintenance-banner, pricing-page-test" in plan.stdout
    )
    pruning = example("plan", "--prune")
    assert pruning.returncode == 2
    assert "- maintenance-banner  (delete)" in pruning.stdout
    assert example("apply", "--yes", "--prune").returncode == 0
    assert _feature(api, "pricing-page-test").status_code == 404
    assert _feature(api, "new-checkout").status_code == 200
    assert example("plan", "--prune").returncode == 0


@pytest.mark.slow
def test_prune_never_touches_flags_flagsync_did_not_create(example: Cli, api: httpx.Client) -> None:
    made = api.post(
        "/v2/projects/demo/features",
        json={"key": "by-hand", "name": "By hand", "configurations": {}},
    )
    assert made.status_code == 201
    assert example("apply", "--yes", "--prune").returncode == 0
    assert _feature(api, "by-hand").status_code == 200


@pytest.mark.slow
def test_existing_unmanaged_flag_needs_adopt(example: Cli, api: httpx.Client) -> None:
    made = api.post(
        "/v2/projects/demo/features",
        json={"key": "new-checkout", "name": "Made in the dashboard", "configurations": {}},
    )
    assert made.status_code == 201
    plan = example("plan")
    assert "already exists but was not created by flagsync; run with --adopt" in plan.stdout
    assert "new-checkout" not in [
        line.split()[1] for line in plan.stdout.splitlines() if line.startswith("~ ")
    ]
    assert example("apply", "--yes").returncode == 0
    assert _feature(api, "new-checkout").json()["name"] == "Made in the dashboard"
    adopting = example("plan", "--adopt")
    assert "managed: no -> yes (adopted by flagsync)" in adopting.stdout
    assert example("apply", "--yes", "--adopt").returncode == 0
    feature = _feature(api, "new-checkout").json()
    assert feature["name"] == "New checkout flow"
    assert "managed-by-flagsync" in feature["tags"]
    assert example("plan").returncode == 0


def _many_flags(folder: Path, count: int, suffix: str = "") -> None:
    lines = ["flags:"]
    for index in range(count):
        lines.append(f"  - key: bulk-{index}\n    description: 'bulk {suffix}'")
    (folder / "flags" / "bulk.yaml").write_text("\n".join(lines) + "\n")


@pytest.mark.slow
def test_mass_update_stops_at_the_threshold_unless_forced(example: Cli) -> None:
    _many_flags(example.cwd, 12)
    assert example("apply", "--yes").returncode == 0
    _many_flags(example.cwd, 12, suffix="changed")
    stopped = example("apply", "--yes")
    assert stopped.returncode == 1
    assert "too many updates: 12 of 18 managed flags (67 %) exceeds the 30 % safety threshold" in (
        stopped.stderr
    )
    assert example("plan").returncode == 2  # nothing was applied
    assert example("apply", "--yes", "--force").returncode == 0
    assert example("plan").returncode == 0


@pytest.mark.slow
def test_threshold_is_configurable_in_the_workspace(example: Cli) -> None:
    _many_flags(example.cwd, 12)
    assert example("apply", "--yes").returncode == 0
    workspace = example.cwd / "flagsync.yaml"
    workspace.write_text(workspace.read_text() + "safety: {max_updates: 80}\n")
    _many_flags(example.cwd, 12, suffix="changed")
    assert example("apply", "--yes").returncode == 0


@pytest.mark.slow
def test_saved_plan_applies_exactly_and_refuses_when_stale(example: Cli, api: httpx.Client) -> None:
    saved = example.cwd / "plan.json"
    planned = example("plan", "--out", str(saved))
    assert planned.returncode == 2
    data = json.loads(saved.read_text())
    assert data["summary"]["create"] == 12  # 6 flags, 3 custom properties, 1 audience, 2 metrics
    assert "secret" not in saved.read_text().lower()
    assert example("apply", str(saved), "--yes").returncode == 0
    assert example("plan").returncode == 0

    manifest = example.cwd / "flags" / "mobile.yaml"
    manifest.write_text(manifest.read_text().replace("name: Dark mode", "name: Dark theme"))
    assert example("plan", "--out", str(saved)).returncode == 2
    edited = api.patch("/v2/projects/demo/features/dark-mode", json={"description": "edited"})
    assert edited.status_code == 200
    stale = example("apply", str(saved), "--yes")
    assert stale.returncode == 1
    assert "is stale: dark-mode changed since it was planned" in stale.stderr
    assert _feature(api, "dark-mode").json()["name"] == "Dark mode"


@pytest.mark.slow
def test_partial_runs_by_flag_and_environment(example: Cli, api: httpx.Client) -> None:
    only = example("apply", "--yes", "--flag", "dark-*")
    assert only.returncode == 0
    assert _feature(api, "dark-mode").status_code == 200
    assert _feature(api, "new-checkout").status_code == 404
    assert example("apply", "--yes").returncode == 0
    manifest = example.cwd / "flags" / "checkout.yaml"
    text = manifest.read_text()
    text = text.replace("- {name: Everyone, serve: redesign}", "- {name: Everyone, serve: classic}")
    manifest.write_text(text)
    staging_only = example("apply", "--yes", "--env", "staging")
    assert staging_only.returncode == 0
    configs = {c["_environment"]: c for c in _feature(api, "new-checkout").json()["configurations"]}
    envs = {e["_id"]: e["key"] for e in api.get("/v1/projects/demo/environments").json()}
    served = {
        envs[env_id]: config["targets"][0]["distribution"][0]["_variation"]
        for env_id, config in configs.items()
        if config["targets"]
    }
    assert served["staging"] != served["development"]  # development still serves the old one
    left = example("plan")
    assert left.returncode == 2
    assert "[development]" in left.stdout and "[staging]" not in left.stdout


@pytest.mark.slow
def test_two_concurrent_appliers_one_loses_cleanly(example: Cli, api: httpx.Client) -> None:
    results = []

    def run() -> None:
        results.append(example("apply", "--yes"))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(result.returncode for result in results)
    assert codes in ([0, 0], [0, 1])
    for result in results:
        assert "Traceback" not in result.stdout + result.stderr
    features = api.get("/v2/projects/demo/features", params={"perPage": 1000}).json()
    keys = [feature["key"] for feature in features]
    assert sorted(keys) == sorted(set(keys))  # no duplicates
    assert example("plan").returncode == 0  # converged, nothing half-written


@pytest.mark.slow
def test_prune_never_deletes_a_metric_made_in_the_dashboard(
    example: Cli, api: httpx.Client
) -> None:
    """DevCycle metrics carry no ownership marker (the Metric schema has no tags, and `source`
    is "api" for any API client: DevCycle OpenAPI `components.schemas.Metric`), so a metric no
    manifest declares is listed, never deleted, and never counted as a managed flag."""
    made = api.post(
        "/v1/projects/demo/metrics",
        json={
            "key": "dashboard-signups",
            "name": "Signups",
            "event": "signup",
            "dimension": "COUNT_PER_UNIQUE_USER",
            "optimize": "increase",
        },
    )
    assert made.status_code == 201, made.text
    assert example("apply", "--yes").returncode == 0
    pruning = example("apply", "--yes", "--prune")
    assert pruning.returncode == 0, pruning.stdout + pruning.stderr
    assert "metric dashboard-signups" in pruning.stdout
    assert api.get("/v1/projects/demo/metrics/dashboard-signups").status_code == 200
    (example.cwd / "flags" / "metrics.yaml").unlink()
    manifest = example.cwd / "flags" / "pricing.yaml"
    measured = "metrics: [upgrades, pricing-page-bounces]"
    manifest.write_text(manifest.read_text().replace(measured, ""))
    assert example("apply", "--yes", "--prune").returncode == 0
    assert api.get("/v1/projects/demo/metrics/upgrades").status_code == 200


@pytest.mark.slow
def test_a_hand_edited_plan_cannot_do_what_a_fresh_plan_would_not(
    example: Cli, api: httpx.Client
) -> None:
    made = api.post(
        "/v2/projects/demo/features",
        json={"key": "by-hand", "name": "By hand", "configurations": {}},
    )
    assert made.status_code == 201
    saved = example.cwd / "plan.json"
    assert example("plan", "--out", str(saved)).returncode == 2
    data = json.loads(saved.read_text())
    call = {"method": "DELETE", "path": "/v1/projects/demo/features/by-hand", "params": {}}
    data["steps"].append({"action": "delete", "key": "by-hand", "calls": [call]})
    listed = api.get("/v2/projects/demo/features", params={"perPage": 1000}).json()
    by_hand = next(feature for feature in listed if feature["key"] == "by-hand")
    data["fingerprints"]["by-hand"] = fingerprint(by_hand)  # forged to look fresh
    for step in data["steps"]:  # and a create that sends another name than the manifests
        for sent in step["calls"]:
            if sent["method"] == "POST" and (sent.get("body") or {}).get("key") == "dark-mode":
                sent["body"]["name"] = "Not what the manifests say"
    saved.write_text(json.dumps(data))
    refused = example("apply", str(saved), "--yes")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "does what a fresh plan of the manifests would not" in refused.stderr
    assert "delete flag by-hand" in refused.stderr and "create flag dark-mode" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert _feature(api, "by-hand").status_code == 200
    assert _feature(api, "dark-mode").status_code == 404  # nothing was applied


@pytest.mark.slow
def test_a_saved_plan_with_prune_and_a_selection_applies(example: Cli, api: httpx.Client) -> None:
    assert example("apply", "--yes").returncode == 0
    (example.cwd / "flags" / "pricing.yaml").unlink()
    saved = example.cwd / "plan.json"
    assert example("plan", "--prune", "--flag", "maint*", "--out", str(saved)).returncode == 2
    applied = example("apply", str(saved), "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert _feature(api, "maintenance-banner").status_code == 404
    assert _feature(api, "pricing-page-test").status_code == 200
