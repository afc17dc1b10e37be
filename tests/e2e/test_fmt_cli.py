"""`flagsync fmt` through the real CLI: --check lists the unformatted files with a diff and
exits 1 (changing nothing); fmt rewrites them, keeping comments; the result validates as
before. Every example in the repository is already formatted."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
UNFORMATTED = """\
# Checkout flags, owned by the web team.
flags:
  - name: New checkout flow
    key: new-checkout   # the SDK key
    variations:
    - {key: classic, values: {checkout-version: 'v1'}}
    - {key: redesign, values: {checkout-version: v2}}
    variables:
      checkout-version: {type: String}
"""


def _flagsync(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "examples/devcycle", tmp_path, dirs_exist_ok=True)
    (tmp_path / "flags/checkout.yaml").write_text(UNFORMATTED)
    return tmp_path


def test_check_lists_the_file_with_a_diff_and_changes_nothing(workspace: Path) -> None:
    result = _flagsync(workspace, "fmt", "--check")
    assert result.returncode == 1
    assert "1 file(s) not formatted: flags/checkout.yaml" in result.stderr
    assert "+++ flags/checkout.yaml (formatted)" in result.stdout
    assert "-    key: new-checkout   # the SDK key" in result.stdout
    assert (workspace / "flags/checkout.yaml").read_text() == UNFORMATTED


@pytest.mark.slow
def test_fmt_rewrites_keeping_comments_then_check_passes(workspace: Path) -> None:
    before = _flagsync(workspace, "validate")
    result = _flagsync(workspace, "fmt")
    assert result.returncode == 0, result.stderr
    assert "Formatted 1 file(s): flags/checkout.yaml" in result.stdout
    text = (workspace / "flags/checkout.yaml").read_text()
    assert text.startswith("# Checkout flags, owned by the web team.\nflags:\n  - key: new-")
    assert "# the SDK key" in text
    assert "      - {key: classic, values: {checkout-version: v1}}" in text
    assert _flagsync(workspace, "fmt", "--check").returncode == 0
    assert _flagsync(workspace, "validate").stdout == before.stdout


@pytest.mark.slow
def test_paths_name_files_and_folders(workspace: Path) -> None:
    result = _flagsync(workspace, "fmt", "--check", "flags")
    assert result.returncode == 1
    assert _flagsync(workspace, "fmt", "flags/checkout.yaml").returncode == 0
    missing = _flagsync(workspace, "fmt", "nowhere.yaml")
    assert missing.returncode == 1
    assert "nowhere.yaml:1:1: no such file or folder" in missing.stderr


def test_invalid_yaml_is_reported_at_its_line_and_left_alone(workspace: Path) -> None:
    broken = "flags:\n  - key: a\n   name: [b\n"
    (workspace / "flags/checkout.yaml").write_text(broken)
    result = _flagsync(workspace, "fmt")
    assert result.returncode == 1
    assert "flags/checkout.yaml:3:" in result.stderr
    assert (workspace / "flags/checkout.yaml").read_text() == broken


@pytest.mark.parametrize("example", ["devcycle", "posthog"])
def test_the_examples_are_formatted(example: str) -> None:
    result = _flagsync(REPO / "examples" / example, "fmt", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
