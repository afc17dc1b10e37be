"""Shared by the PostHog end-to-end tests: a workspace copy of examples/posthog, the CLI's
environment, and an authenticated client to change live state behind flagsync's back."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import httpx

from reconciler.emulator import EmulatorServer
from reconciler.emulator.posthog import PERSONAL_API_KEY
from tests.e2e.conftest import REPO, Cli

AUTH = {"Authorization": f"Bearer {PERSONAL_API_KEY}"}


def posthog_environment(emulator: EmulatorServer) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DEVCYCLE_", "FLAGSYNC_", "POSTHOG_"))
    }
    env.update(
        POSTHOG_PERSONAL_API_KEY=PERSONAL_API_KEY, POSTHOG_API_URL=emulator.url, NO_COLOR="1"
    )
    return env


def posthog_example(tmp_path: Path, emulator: EmulatorServer) -> Cli:
    workspace = tmp_path / "posthog"
    shutil.copytree(REPO / "tests" / "fixtures" / "examples" / "posthog", workspace)
    return Cli(cwd=workspace, env=posthog_environment(emulator))


def live_flag(api: httpx.Client, project: int, key: str) -> dict[str, Any]:
    """The live (non-deleted) flag with `key` in `project`."""
    rows = api.get(f"/api/projects/{project}/feature_flags/", params={"limit": 1000}).json()
    found = [row for row in rows["results"] if row["key"] == key]
    assert len(found) == 1, f"{key} in project {project}: {found}"
    return dict(found[0])


def posthog_workspace(tmp_path: Path, emulator: EmulatorServer, manifests: dict[str, str]) -> Cli:
    """The PostHog example's workspace with `manifests` ({file name: YAML}) as its only flag
    files: a test declares just what it is about, and the plan shows nothing else."""
    cli = posthog_example(tmp_path, emulator)
    for old in (cli.cwd / "flags").glob("*.yaml"):
        old.unlink()
    for name, text in manifests.items():
        (cli.cwd / "flags" / name).write_text(text)
    return cli


def edit_manifest(cli: Cli, name: str, old: str, new: str) -> None:
    """Replace `old` with `new` in the workspace's flags/`name`, as a user edits a manifest."""
    manifest = cli.cwd / "flags" / name
    manifest.write_text(manifest.read_text().replace(old, new))


def converges(cli: Cli, *options: str) -> str:
    """Apply, then plan: the apply succeeds and the plan after it is empty. Returns the apply's
    output (what it logged of its requests)."""
    applied = cli("apply", "--yes", *options)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    again = cli("plan", *options)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes." in again.stdout
    return applied.stdout
