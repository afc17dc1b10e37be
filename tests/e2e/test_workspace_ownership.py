"""Two workspaces on one DevCycle project: each owns what it creates (its `name:` gives the
marker `managed-by-flagsync:<name>`), so `--prune` in one never deletes the other's flags and
audiences, and a flag the other owns is shown as such and never touched, even with --adopt."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import httpx
import pytest

from reconciler.emulator import EmulatorServer
from tests.e2e.conftest import Cli, cli_environment
from tests.e2e.posthog_support import AUTH, live_flag, posthog_environment


def _flag(key: str, served: str = "on") -> str:
    return f"""
  - key: {key}
    variables:
      {key}-enabled: {{type: Boolean}}
    variations:
      - {{key: on, values: {{{key}-enabled: true}}}}
      - {{key: off, values: {{{key}-enabled: false}}}}
    environments:
      staging:
        enabled: true
        targets:
          - {{name: Everyone, serve: {served}}}
"""


def _workspace(
    root: Path, emulator: EmulatorServer, name: str | None, flags: str, audience: str = ""
) -> Cli:
    folder = root / (name or "unnamed")
    (folder / "flags").mkdir(parents=True, exist_ok=True)
    head = f"name: {name}\n" if name else ""
    (folder / "flagsync.yaml").write_text(
        head
        + "provider: devcycle\nproject: demo\nenvironments:\n  staging: {}\nmanifests: flags/\n"
    )
    text = "flags:" + flags
    if audience:
        text += textwrap.dedent(f"""
            audiences:
              - key: {audience}
                filters:
                  all:
                    - email: {{ends_with: "@{audience}.example"}}
            """)
    (folder / "flags" / "flags.yaml").write_text(text)
    return Cli(cwd=folder, env=cli_environment(emulator))


def _tags(api: httpx.Client, key: str) -> list[str]:
    return list(api.get(f"/v1/projects/demo/features/{key}").json()["tags"])


@pytest.mark.slow
def test_prune_in_one_workspace_keeps_the_other_workspaces_flags_and_audiences(
    tmp_path: Path, emulator: EmulatorServer, api: httpx.Client
) -> None:
    team_a = _workspace(tmp_path, emulator, "team-a", _flag("a-one") + _flag("a-two"), "a-aud")
    team_b = _workspace(tmp_path, emulator, "team-b", _flag("b-one"), "b-aud")
    assert team_a("apply", "--yes").returncode == 0
    assert team_b("apply", "--yes").returncode == 0
    assert _tags(api, "a-one") == ["managed-by-flagsync:team-a"]

    pruned = team_b("apply", "--prune", "--yes")
    assert pruned.returncode == 0, pruned.stdout + pruned.stderr
    assert "No changes." in pruned.stdout
    features = {f["key"] for f in api.get("/v2/projects/demo/features").json()}
    assert {"a-one", "a-two", "b-one"} <= features
    audiences = {a["key"] for a in api.get("/v1/projects/demo/audiences").json()}
    assert {"a-aud", "b-aud"} <= audiences

    # b's own flag, once gone from b's manifests, is pruned by b.
    (team_b.cwd / "flags" / "flags.yaml").write_text("flags:" + _flag("b-two"))
    assert team_b("apply", "--prune", "--yes").returncode == 0
    features = {f["key"] for f in api.get("/v2/projects/demo/features").json()}
    assert "b-one" not in features and {"a-one", "a-two", "b-two"} <= features


@pytest.mark.slow
def test_a_declared_flag_another_workspace_owns_is_shown_and_never_touched(
    tmp_path: Path, emulator: EmulatorServer, api: httpx.Client
) -> None:
    team_a = _workspace(tmp_path, emulator, "team-a", _flag("shared"))
    team_b = _workspace(tmp_path, emulator, "team-b", _flag("shared", served="off"))
    assert team_a("apply", "--yes").returncode == 0

    plan = team_b("plan")
    assert plan.returncode == 2, plan.stdout + plan.stderr  # they differ, though b may not act
    assert "No changes" not in plan.stdout
    assert "shared (workspace 'team-a')" in plan.stdout
    data = json.loads(team_b("plan", "-o", "json").stdout)
    assert data["owned_elsewhere"] == {"shared": "team-a"}
    assert data["blocked"] == ["shared"] and data["steps"] == []
    assert data["workspace"] == "team-b"

    adopted = team_b("apply", "--adopt", "--yes")
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    assert _tags(api, "shared") == ["managed-by-flagsync:team-a"]
    assert team_a("plan").returncode == 0  # a's flag is as a left it


@pytest.mark.slow
def test_a_named_workspace_takes_over_its_legacy_flags_and_leaves_the_others(
    tmp_path: Path, emulator: EmulatorServer, api: httpx.Client
) -> None:
    unnamed = _workspace(tmp_path, emulator, None, _flag("old-one") + _flag("old-two"))
    assert unnamed("apply", "--yes").returncode == 0
    assert _tags(api, "old-one") == ["managed-by-flagsync"]

    named = _workspace(tmp_path, emulator, "team-a", _flag("old-one"))
    plan = named("plan", "--prune")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "managed: managed-by-flagsync -> managed-by-flagsync:team-a" in plan.stdout
    assert "old-two" in plan.stdout and "unnamed workspace" in plan.stdout
    applied = named("apply", "--prune", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert _tags(api, "old-one") == ["managed-by-flagsync:team-a"]
    assert _tags(api, "old-two") == ["managed-by-flagsync"]  # never pruned from here
    assert named("plan", "--prune").returncode == 0


def _posthog_workspace(root: Path, emulator: EmulatorServer, name: str, keys: list[str]) -> Cli:
    folder = root / name
    (folder / "flags").mkdir(parents=True)
    (folder / "flagsync.yaml").write_text(
        f"name: {name}\nprovider: posthog\nenvironments:\n  staging: {{project_id: 1}}\n"
        "manifests: flags/\n"
    )
    flags = "".join(
        f"  - key: {key}\n    environments:\n      staging:\n        enabled: true\n"
        "        targets:\n          - {percentage: 50}\n"
        for key in keys
    )
    (folder / "flags" / "flags.yaml").write_text("flags:\n" + flags)
    return Cli(cwd=folder, env=posthog_environment(emulator))


@pytest.mark.slow
def test_posthog_prune_in_one_workspace_keeps_the_other_workspaces_flags(
    tmp_path: Path, emulator: EmulatorServer
) -> None:
    team_a = _posthog_workspace(tmp_path, emulator, "team-a", ["a-one", "shared"])
    team_b = _posthog_workspace(tmp_path, emulator, "team-b", ["b-one", "shared"])
    assert team_a("apply", "--yes").returncode == 0
    pruned = team_b("apply", "--prune", "--yes")
    assert pruned.returncode == 0, pruned.stdout + pruned.stderr
    assert "shared (workspace 'team-a')" in pruned.stdout
    with httpx.Client(base_url=emulator.url, headers=AUTH) as api:
        assert live_flag(api, 1, "a-one")["tags"] == ["managed-by-flagsync:team-a"]
        assert live_flag(api, 1, "shared")["tags"] == ["managed-by-flagsync:team-a"]
        assert live_flag(api, 1, "b-one")["tags"] == ["managed-by-flagsync:team-b"]
    assert team_a("plan", "--prune").returncode == 0


def _experiments(keys: list[str], holdouts: list[str]) -> str:
    text = "experiments:\n" if keys else ""
    for key in keys:
        text += (
            f"  - key: {key}\n    name: {key} test\n    holdout: {holdouts[0]}\n"
            "    status: draft\n    environments: [staging]\n"
        )
    text += "holdouts:\n" if holdouts else ""
    for name in holdouts:
        text += f"  - name: {name}\n    percentage: 5\n    environments: [staging]\n"
    return text


def _posthog_experiments(
    root: Path, emulator: EmulatorServer, name: str | None, keys: list[str], holdouts: list[str]
) -> Cli:
    cli = _posthog_workspace(root, emulator, name or "unnamed", [f"{name or 'unnamed'}-flag"])
    if name is None:
        config = cli.cwd / "flagsync.yaml"
        config.write_text(config.read_text().replace("name: unnamed\n", ""))
    (cli.cwd / "flags" / "experiments.yaml").write_text(_experiments(keys, holdouts))
    return cli


def _holdout_descriptions(api: httpx.Client) -> dict[str, str]:
    found = api.get("/api/projects/1/experiment_holdouts/").json()["results"]
    return {h["name"]: h["description"] for h in found}


def test_posthog_experiments_and_holdouts_belong_to_a_workspace(
    tmp_path: Path, emulator: EmulatorServer
) -> None:
    team_a = _posthog_experiments(tmp_path, emulator, "team-a", ["a-test"], ["A holdout"])
    applied = team_a("apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    team_b = _posthog_experiments(tmp_path, emulator, "team-b", ["a-test"], ["B holdout"])
    (team_b.cwd / "flags" / "experiments.yaml").write_text(
        _experiments(["a-test"], ["B holdout"]).replace("a-test test", "renamed by b")
    )
    pruned = team_b("apply", "--prune", "--yes")
    assert pruned.returncode == 0, pruned.stdout + pruned.stderr
    assert "a-test (experiment) [staging] (workspace 'team-a')" in pruned.stdout
    with httpx.Client(base_url=emulator.url, headers=AUTH) as api:
        holdouts = _holdout_descriptions(api)
        assert holdouts["A holdout"] == "[managed-by-flagsync:team-a]"  # never pruned by b
        assert holdouts["B holdout"] == "[managed-by-flagsync:team-b]"
        assert live_flag(api, 1, "a-test")["tags"] == ["managed-by-flagsync:team-a"]
        experiments = api.get("/api/projects/1/experiments/").json()["results"]
        assert [e["name"] for e in experiments if e["feature_flag_key"] == "a-test"] == [
            "a-test test"
        ]
    assert team_a("plan", "--prune").returncode == 0


def test_posthog_named_workspace_takes_over_its_legacy_experiments_and_holdouts(
    tmp_path: Path, emulator: EmulatorServer
) -> None:
    unnamed = _posthog_experiments(tmp_path, emulator, None, ["old-test"], ["Old", "Other"])
    assert unnamed("apply", "--yes").returncode == 0
    named = _posthog_experiments(tmp_path, emulator, "team-a", ["old-test"], ["Old"])
    plan = named("plan", "--prune")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert plan.stdout.count("managed: managed-by-flagsync -> managed-by-flagsync:team-a") == 2
    assert "Other (holdout) [staging]" in plan.stdout and "unnamed workspace" in plan.stdout
    applied = named("apply", "--prune", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    with httpx.Client(base_url=emulator.url, headers=AUTH) as api:
        holdouts = _holdout_descriptions(api)
        assert holdouts["Old"] == "[managed-by-flagsync:team-a]"
        assert holdouts["Other"] == "[managed-by-flagsync]"  # never pruned from here
        assert live_flag(api, 1, "old-test")["tags"] == ["managed-by-flagsync:team-a"]
    assert named("plan", "--prune").returncode == 0
