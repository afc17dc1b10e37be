"""Targets are matched by name: inserting a target plans as that one new target (at its
position), not as a rename of the next target plus a new last one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.emulator import EmulatorServer
from tests.e2e.conftest import Cli, cli_environment

STAFF = "{all: [{email: {ends_with: '@acme.com'}}]}"
TARGETS = {
    "staff": f"          - {{name: Staff, audience: {STAFF}, serve: on}}\n",
    "beta": "          - {name: Beta, audience: {all: [{country: {is: DE}}]}, serve: on}\n",
    "everyone": "          - {name: Everyone, serve: off}\n",
}


def _manifest(*targets: str) -> str:
    return (
        "flags:\n  - key: dark-mode\n    variables:\n      dark-mode: {type: Boolean}\n"
        "    variations:\n      - {key: on, values: {dark-mode: true}}\n"
        "      - {key: off, values: {dark-mode: false}}\n"
        "    environments:\n      staging:\n        enabled: true\n        targets:\n"
        + "".join(TARGETS[name] for name in targets)
    )


@pytest.mark.slow
def test_an_inserted_target_is_one_new_target(tmp_path: Path, emulator: EmulatorServer) -> None:
    (tmp_path / "flags").mkdir()
    (tmp_path / "flagsync.yaml").write_text(
        "provider: devcycle\nproject: demo\nenvironments:\n  staging: {}\nmanifests: flags/\n"
    )
    manifest = tmp_path / "flags" / "dark.yaml"
    manifest.write_text(_manifest("staff", "everyone"))
    cli = Cli(cwd=tmp_path, env=cli_environment(emulator))
    assert cli("apply", "--yes").returncode == 0

    manifest.write_text(_manifest("staff", "beta", "everyone"))
    plan = cli("plan", "-o", "json")
    assert plan.returncode == 2, plan.stderr
    fields = [f for c in json.loads(plan.stdout)["changes"] for f in c["fields"]]
    assert [(f["path"], f["before"]) for f in fields] == [("targets[1]", None)]
    assert fields[0]["after"]["name"] == "Beta"
    assert "Everyone" not in cli("plan").stdout

    manifest.write_text(_manifest("everyone", "beta"))
    assert cli("apply", "--yes").returncode == 0  # converges with removal and reorder
    manifest.write_text(_manifest("beta"))
    text = cli("plan").stdout
    assert "targets[Everyone]:" in text and "-> (removed)" in text
    assert cli("apply", "--yes").returncode == 0
    assert cli("plan").returncode == 0


def test_splits_print_in_manifest_order(tmp_path: Path, emulator: EmulatorServer) -> None:
    (tmp_path / "flags").mkdir()
    (tmp_path / "flagsync.yaml").write_text(
        "provider: devcycle\nproject: demo\nenvironments:\n  staging: {}\nmanifests: flags/\n"
    )
    manifest = tmp_path / "flags" / "dark.yaml"
    everyone = TARGETS["everyone"]
    manifest.write_text(_manifest("everyone"))
    cli = Cli(cwd=tmp_path, env=cli_environment(emulator))
    assert cli("apply", "--yes").returncode == 0

    manifest.write_text(
        _manifest("everyone").replace(
            everyone, everyone.replace("serve: off", "serve: {on: 70, off: 30}")
        )
    )
    plan = cli("plan")
    assert plan.returncode == 2, plan.stderr
    assert "off -> on 70% / off 30%" in plan.stdout, plan.stdout
    assert cli("apply", "--yes").returncode == 0

    manifest.write_text(manifest.read_text().replace("{on: 70, off: 30}", "{on: 20, off: 80}"))
    plan = cli("plan")
    assert "on 70% / off 30% -> on 20% / off 80%" in plan.stdout, plan.stdout
    markdown = cli("plan", "-o", "markdown")
    assert "on 70% / off 30% | on 20% / off 80%" in markdown.stdout, markdown.stdout
