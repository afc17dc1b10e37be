"""Usage errors exit 1: exit 2 means "changes pending" (plan) or "drift found" (drift), so a
typo in CI must never read as changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import Cli


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("drift", "--env", "staging"), "No such option '--env'"),
        (("plan", "--bogus"), "No such option '--bogus'"),
        (("plan", "-o", "yaml"), "'yaml' is not one of"),
        (("apply", "missing.json"), "does not exist"),
        (("plna",), "No such command 'plna'"),
        (("--bogus",), "No such option '--bogus'"),
    ],
)
def test_a_usage_error_exits_1_not_the_changes_code(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = Cli(cwd=tmp_path, env={"NO_COLOR": "1", "PATH": ""})(*args)
    assert result.returncode == 1, result.stderr
    assert message in result.stderr
