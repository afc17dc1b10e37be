"""`flagsync promote` through the real CLI against the emulators: on both example workspaces,
promote then apply then plan is empty; the printed plan is the target's differences; what the
target lacks is named, nothing is written, and exit is 1 unless --partial."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.emulator import EmulatorServer
from reconciler.manifest.loader import load_flags
from reconciler.model import Flag
from reconciler.plan import diff_flag
from reconciler.workspace import load_workspace
from tests.e2e.conftest import Cli
from tests.e2e.posthog_support import posthog_example


def _files(cli: Cli) -> dict[str, str]:
    return {str(p): p.read_text(encoding="utf-8") for p in sorted(cli.cwd.rglob("*.yaml"))}


def _desired(cli: Cli) -> dict[str, Flag]:
    return dict(load_flags(load_workspace(cli.cwd / "flagsync.yaml")).flags)


@pytest.mark.slow
def test_devcycle_example_promote_apply_plan_empty(example: Cli) -> None:
    assert example("apply", "--yes").returncode == 0
    before = _desired(example)
    promoted = example("promote", "--from", "staging", "--to", "production")
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr
    # the plan of production shows exactly the differences staging had from it
    after = _desired(example)
    expected = {
        (c.key, c.environment, c.action, json.dumps([f.model_dump() for f in c.fields]))
        for key in after
        for c in diff_flag(after[key], before[key])
    }
    assert expected and {c[1] for c in expected} == {"production"}
    plan = json.loads(example("plan", "-o", "json", "--env", "production").stdout)
    planned = {
        (c["key"], c["environment"], c["action"], json.dumps(c["fields"])) for c in plan["changes"]
    }
    assert planned == expected
    assert "Promoted staging -> production: new-checkout" in promoted.stdout
    assert "The plan that follows" in promoted.stdout
    assert "[production]" in promoted.stdout and "[staging]" not in promoted.stdout
    text = (example.cwd / "flags" / "mobile.yaml").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server")  # the file's own lines are kept
    applied = example("apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    again = example("plan")
    assert again.returncode == 0, again.stdout
    # promoting again finds everything equal
    second = example("promote", "--from", "staging", "--to", "production")
    assert "Nothing to promote" in second.stdout and second.returncode == 0


@pytest.mark.slow
def test_posthog_example_promote_apply_plan_empty(tmp_path: Path, emulator: EmulatorServer) -> None:
    cli = posthog_example(tmp_path, emulator)
    assert cli("apply", "--yes").returncode == 0
    promoted = cli("promote", "--from", "staging", "--to", "production", "-o", "json")
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr
    outcome = json.loads(promoted.stdout)
    assert "new-checkout" in outcome["promoted"] and outcome["written"]
    changes = outcome["plan"]["changes"]
    assert changes and {c["environment"] for c in changes} == {"production"}
    applied = cli("apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert cli("plan").returncode == 0


@pytest.mark.slow
def test_posthog_missing_dependency_is_named_and_nothing_written(
    tmp_path: Path, emulator: EmulatorServer
) -> None:
    cli = posthog_example(tmp_path, emulator)
    (cli.cwd / "flags" / "deps.yaml").write_text(
        "flags:\n"
        "  - key: staging-only-parent\n"
        "    environments:\n"
        "      staging: {enabled: true, targets: [{name: All}]}\n"
        "  - key: staging-child\n"
        "    environments:\n"
        "      staging:\n"
        "        enabled: true\n"
        "        targets:\n"
        "          - audience: {all: [{flag: {key: staging-only-parent, is: true}}]}\n",
        encoding="utf-8",
    )
    assert cli("apply", "--yes").returncode == 0
    before = _files(cli)
    blocked = cli("promote", "--from", "staging", "--to", "production")
    assert blocked.returncode == 1
    assert (
        "staging-child: depends on flag 'staging-only-parent', which PostHog project 2 "
        "(production) does not have" in blocked.stdout
    )
    assert _files(cli) == before
    partial = cli("promote", "--from", "staging", "--to", "production", "--partial")
    assert partial.returncode == 0, partial.stderr
    assert "staging-only-parent" in partial.stdout.split("Cannot be promoted")[0]
    assert _files(cli) != before


def test_offline_prints_the_diff_and_asks_no_vendor(example: Cli) -> None:
    result = example(
        "promote",
        "--from",
        "staging",
        "--to",
        "production",
        "--offline",
        "--flag",
        "new-*",
        env={"DEVCYCLE_CLIENT_ID": "", "DEVCYCLE_CLIENT_SECRET": ""},
    )
    assert result.returncode == 0, result.stderr
    assert "+++ b/flags/checkout.yaml" in result.stdout
    assert "-          - name: Staff" in result.stdout
    assert "mobile.yaml" not in result.stdout


def test_bad_environment_is_a_clear_error(example: Cli) -> None:
    result = example("promote", "--from", "staging", "--to", "prod", "--offline")
    assert result.returncode == 1
    assert "'prod' is not an environment of the workspace" in result.stderr


def test_missing_credentials_point_at_offline(example: Cli) -> None:
    result = example(
        "promote",
        "--from",
        "staging",
        "--to",
        "production",
        env={"DEVCYCLE_CLIENT_ID": "", "DEVCYCLE_CLIENT_SECRET": ""},
    )
    assert result.returncode == 1
    assert "DevCycle credentials missing" in result.stderr and "--offline" in result.stderr
