"""The action's `run` step turns every validation problem into a GitHub annotation (a workflow
command on its stdout, which the runner attaches to that file and line of the pull request),
and the pull request comment shows the workspace's policy rules that the plan fails."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from reconciler.emulator import EmulatorConfig, EmulatorServer
from tests.github.conftest import CLIENT_ID, CLIENT_SECRET, PR, REPO, REPOSITORY, Action
from tests.github.fake_github import FakeGitHub


@pytest.mark.slow
def test_validation_problems_become_annotations_on_their_lines(
    action: Action, tmp_path: Path
) -> None:
    (tmp_path / "flagsync.yaml").write_text(
        "provider: devcycle\nproject: demo\nenvironments: {staging: {}}\nmanifests: flags/\n"
    )
    (tmp_path / "flags").mkdir()
    (tmp_path / "flags/checkout.yaml").write_text("flags:\n  - key: new-checkout\n    nmae: x\n")
    result = action("run", "--command", "plan", "--workspace", "flagsync.yaml")
    assert result.returncode == 1
    annotations = re.findall(r"^::error ([^:]*)::(.*)$", result.stdout, re.MULTILINE)
    assert len(annotations) == 1
    props, message = annotations[0]
    assert props.startswith("file=flags/checkout.yaml,line=3,col=5,")
    assert "unknown field 'nmae'" in message
    assert "flagsync plan failed (exit 1)" in result.stderr


@pytest.mark.slow
def test_a_failing_policy_is_in_the_pull_request_comment(
    action: Action, github: FakeGitHub, tmp_path: Path
) -> None:
    shutil.copytree(
        REPO / "tests" / "fixtures" / "examples" / "devcycle", tmp_path, dirs_exist_ok=True
    )
    workspace = tmp_path / "flagsync.yaml"
    workspace.write_text(
        workspace.read_text() + "policy:\n  require_on_new_flags: [owner]\n"
        "  rules:\n    - {name: few-creates, expression: 'plan.summary.create <= 3'}\n"
    )
    config = EmulatorConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    with EmulatorServer(config) as emulator:
        action.extra_env.update(
            DEVCYCLE_CLIENT_ID=CLIENT_ID,
            DEVCYCLE_CLIENT_SECRET=CLIENT_SECRET,
            DEVCYCLE_API_URL=emulator.url,
            DEVCYCLE_AUTH_URL=f"{emulator.url}/oauth/token",
        )
        ran = action("run", "--command", "plan", "--workspace", "flagsync.yaml")
    assert ran.returncode == 0, ran.stderr
    outputs = action.outputs()
    posted = action(
        "comment",
        "--workspace",
        "flagsync.yaml",
        "--plan-json",
        outputs["plan-json"],
        "--plan-markdown",
        outputs["plan-markdown"],
        "--exit-code",
        outputs["exit-code"],
    )
    assert posted.returncode == 0, posted.stderr
    [comment] = github.comments_on(REPOSITORY, PR)
    body = comment["body"]
    assert "**Policy: 7 failed**" in body  # 6 new flags without an owner, and the team's rule
    assert "| `require_on_new_flags` | new flag 'new-checkout' has no owner |" in body
    assert "| `few-creates` | plan.summary.create <= 3 is false |" in body
