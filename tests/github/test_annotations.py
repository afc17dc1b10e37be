"""The action's `run` step turns every validation problem into a GitHub annotation (a workflow
command on its stdout, which the runner attaches to that file and line of the pull request)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.github.conftest import Action


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
