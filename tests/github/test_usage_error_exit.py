"""The Action never reads a usage error as changes: exit 2 means changes only with a saved plan."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from reconciler.github.runner import run_plan


def test_exit_2_without_a_saved_plan_is_a_failure_not_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "flagsync"
    fake.write_text("#!/bin/sh\necho \"Error: No such option '--bogus'.\" >&2\nexit 2\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    result = run_plan("plan", "flagsync.yaml", [], tmp_path / "out")
    assert result.exit_code == 1
    assert not result.changes
