"""A plan never says "No changes" while the manifests and the live state differ: a declared flag
that exists unmanaged and differs (only --adopt would change it) keeps the plan non-zero, and a
--flag pattern that matches nothing says so."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from reconciler.emulator import EmulatorServer
from tests.e2e.conftest import Cli, cli_environment

MANIFEST = """\
flags:
  - key: dark-mode
    variables:
      dark-mode: {type: Boolean}
    variations:
      - {key: on, values: {dark-mode: true}}
      - {key: off, values: {dark-mode: false}}
    environments:
      staging:
        enabled: true
        targets:
          - {name: Everyone, serve: on}
"""


def _cli(tmp_path: Path, emulator: EmulatorServer) -> Cli:
    (tmp_path / "flags").mkdir()
    (tmp_path / "flagsync.yaml").write_text(
        "provider: devcycle\nproject: demo\nenvironments:\n  staging: {}\nmanifests: flags/\n"
    )
    (tmp_path / "flags" / "dark.yaml").write_text(MANIFEST)
    return Cli(cwd=tmp_path, env=cli_environment(emulator))


def _create_unmanaged(api: httpx.Client) -> None:
    response = api.post(
        "/v2/projects/demo/features",
        json={
            "key": "dark-mode",
            "name": "Dark mode",
            "variables": [{"key": "dark-mode", "type": "Boolean"}],
            "variations": [
                {"key": "on", "name": "on", "variables": {"dark-mode": True}},
                {"key": "off", "name": "off", "variables": {"dark-mode": False}},
            ],
        },
    )
    assert response.status_code == 201, response.text


@pytest.mark.slow
def test_an_unmanaged_declared_flag_that_differs_is_not_no_changes(
    tmp_path: Path, emulator: EmulatorServer, api: httpx.Client
) -> None:
    _create_unmanaged(api)
    cli = _cli(tmp_path, emulator)
    plan = cli("plan")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "No changes" not in plan.stdout
    assert "the live state differs from the manifests: 1 flag (dark-mode)" in plan.stdout
    assert "--adopt" in plan.stdout
    data = json.loads(cli("plan", "-o", "json").stdout)
    assert data["blocked"] == ["dark-mode"]
    assert data["differs"] is True and data["changes_pending"] is False
    drift = cli("drift")
    assert drift.returncode == 2


@pytest.mark.slow
def test_a_flag_pattern_that_matches_nothing_warns(
    tmp_path: Path, emulator: EmulatorServer
) -> None:
    cli = _cli(tmp_path, emulator)
    assert cli("apply", "--yes").returncode == 0
    plan = cli("plan", "--flag", "nomatch*")
    assert plan.returncode == 0
    assert "Warning: --flag nomatch*: no flag in the manifests matches" in plan.stdout
