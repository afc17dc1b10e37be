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
