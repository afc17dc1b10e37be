"""Archived PostHog flags and experiments: listed by PostHog only when asked for
(`exclude_archived_unless_requested`, `ExperimentService.filter_experiments_queryset`), so a
reconciler that does not ask plans to create them again. flagsync reads them, models a flag's
`status: archived`, and never creates a duplicate of what is archived."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from reconciler.emulator import EmulatorServer
from tests.e2e.conftest import Cli
from tests.e2e.posthog_support import converges, posthog_workspace

MANIFEST = """\
flags:
  - key: old-banner
    description: A banner we are done with.
    environments:
      staging:
        enabled: true
        targets:
          - {name: Everyone, percentage: 100}
"""


@pytest.fixture
def example(tmp_path: Path, emulator: EmulatorServer) -> Cli:
    return posthog_workspace(tmp_path, emulator, {"banner.yaml": MANIFEST})


def _flag(api: httpx.Client) -> dict[str, object]:
    rows = [
        row
        for params in ({}, {"archived": "true"})
        for row in api.get("/api/projects/1/feature_flags/", params=params).json()["results"]
    ]
    (found,) = [row for row in rows if row["key"] == "old-banner"]
    return dict(found)


@pytest.mark.slow
def test_a_flag_archived_in_posthog_is_not_created_again(
    example: Cli, posthog_api: httpx.Client
) -> None:
    converges(example)
    flag_id = _flag(posthog_api)["id"]
    archived = posthog_api.patch(
        f"/api/projects/1/feature_flags/{flag_id}/", json={"active": False, "archived": True}
    )
    assert archived.status_code == 200, archived.text
    plan = example("plan")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "(create)" not in plan.stdout
    assert "status: archived -> active" in plan.stdout
    converges(example)
    assert _flag(posthog_api)["archived"] is False
    assert _flag(posthog_api)["active"] is True


@pytest.mark.slow
def test_a_manifest_retires_a_flag_by_archiving_it(example: Cli, posthog_api: httpx.Client) -> None:
    converges(example)
    manifest = example.cwd / "flags" / "banner.yaml"
    manifest.write_text(
        manifest.read_text()
        .replace("    environments:", "    status: archived\n    environments:")
        .replace("enabled: true", "enabled: false")
    )
    plan = example("plan")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "status: active -> archived" in plan.stdout
    converges(example)
    flag = _flag(posthog_api)
    assert (flag["archived"], flag["active"]) == (True, False)
    listed = posthog_api.get("/api/projects/1/feature_flags/").json()["results"]
    assert "old-banner" not in [row["key"] for row in listed]


def test_an_archived_flag_enabled_somewhere_is_a_located_error(example: Cli) -> None:
    manifest = example.cwd / "flags" / "banner.yaml"
    manifest.write_text(
        manifest.read_text().replace("    environments:", "    status: archived\n    environments:")
    )
    result = example("validate")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "flags/banner.yaml:7:" in result.stderr + result.stdout
    assert "an archived flag is off everywhere" in result.stderr + result.stdout


@pytest.mark.slow
def test_an_archived_experiment_is_not_created_again(
    example: Cli, posthog_api: httpx.Client
) -> None:
    (example.cwd / "flags" / "experiments.yaml").write_text(
        """\
experiments:
  - key: retired-test
    name: Retired test
    variants:
      - {key: control, split: 50}
      - {key: test, split: 50}
    status: stopped
    environments: [staging]
"""
    )
    converges(example)
    (experiment,) = posthog_api.get("/api/projects/1/experiments/").json()["results"]
    path = f"/api/projects/1/experiments/{experiment['id']}/"
    archived = posthog_api.patch(path, json={"archived": True})
    assert archived.status_code == 200, archived.text
    assert posthog_api.get("/api/projects/1/experiments/").json()["results"] == []
    plan = example("plan")
    assert plan.returncode == 1, plan.stdout + plan.stderr
    assert "(create)" not in plan.stdout
    assert (
        "experiment 'retired-test' [staging]: the manifest says stopped, but it is archived in "
        "PostHog project 1"
    ) in plan.stderr


@pytest.mark.slow
def test_a_manifest_retires_an_experiment_by_archiving_it(
    example: Cli, posthog_api: httpx.Client
) -> None:
    manifest = example.cwd / "flags" / "experiments.yaml"
    manifest.write_text(
        """\
experiments:
  - key: retiring-test
    name: Retiring test
    variants:
      - {key: control, split: 50}
      - {key: test, split: 50}
    status: running
    environments: [staging]
"""
    )
    converges(example)
    manifest.write_text(manifest.read_text().replace("status: running", "status: archived"))
    plan = example("plan")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "status: running -> archived" in plan.stdout
    converges(example)
    assert posthog_api.get("/api/projects/1/experiments/").json()["results"] == []
    (archived,) = posthog_api.get(
        "/api/projects/1/experiments/", params={"archived": "true"}
    ).json()["results"]
    assert (archived["archived"], archived["status"]) == (True, "stopped")
    manifest.write_text(manifest.read_text().replace("status: archived", "status: stopped"))
    backwards = example("plan")
    assert backwards.returncode == 1
    assert "only move forward" in backwards.stderr
