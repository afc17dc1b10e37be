"""A PostHog environment whose project does not exist (or the key cannot see) is the
workspace's mistake: plan and promote's read name the environment and the project, exit 1,
and print no traceback. The plan reads projects as streams, promotion reads one project whole;
both paths name it alike."""

from __future__ import annotations

from pathlib import Path

from reconciler.emulator import EmulatorServer
from tests.e2e.conftest import Cli
from tests.e2e.posthog_support import posthog_example


def _point_production_at(cli: Cli, project_id: int) -> None:
    workspace = cli.cwd / "flagsync.yaml"
    text = workspace.read_text()
    assert "production: {project_id: 2}" in text
    workspace.write_text(
        text.replace("production: {project_id: 2}", f"production: {{project_id: {project_id}}}")
    )


def test_plan_names_an_unseen_project(tmp_path: Path, emulator: EmulatorServer) -> None:
    cli = posthog_example(tmp_path, emulator)
    _point_production_at(cli, 987)
    planned = cli("plan")
    assert planned.returncode == 1, planned.stdout + planned.stderr
    assert "environment 'production': PostHog project 987 not found" in planned.stderr
    assert "cannot see it" in planned.stderr
    assert "Traceback" not in planned.stderr


def test_promote_names_an_unseen_project(tmp_path: Path, emulator: EmulatorServer) -> None:
    cli = posthog_example(tmp_path, emulator)
    applied = cli("apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    _point_production_at(cli, 987)
    promoted = cli("promote", "--from", "staging", "--to", "production", "--dry-run")
    assert promoted.returncode == 1, promoted.stdout + promoted.stderr
    assert "PostHog project 987 not found" in promoted.stderr
    assert "Traceback" not in promoted.stderr
