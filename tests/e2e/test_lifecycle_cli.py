"""Flag lifecycle through the real CLI: `validate` warns (exit 0) about a flag past its
`expires` date at its line, fails where the policy requires owners and expiry on every flag,
and the plan (the pull request comment's Markdown) lists flags expired or expiring soon."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest

from tests.e2e.conftest import REPO, Cli

VALIDATOR = jsonschema.Draft202012Validator(
    json.loads((REPO / "schemas" / "plan-v1.schema.json").read_text(encoding="utf-8"))
)

SOON = (datetime.now(UTC).date() + timedelta(days=5)).isoformat()
LATER = (datetime.now(UTC).date() + timedelta(days=90)).isoformat()
MANIFEST = f"""flags:
  - key: old-banner
    owner: team-web
    expires: 2020-01-31
    variations: [{{key: "on"}}]
  - key: soon-gone
    expires: {SOON}
    variations: [{{key: "on"}}]
  - key: far-off
    expires: {LATER}
    variations: [{{key: "on"}}]
  - key: kill-switch
    owner: team-ops
    permanent: true
    variations: [{{key: "on"}}]
"""


def _workspace(folder: Path, policy: str = "") -> Path:
    (folder / "flags").mkdir(exist_ok=True)
    (folder / "flags" / "lifecycle.yaml").write_text(MANIFEST, encoding="utf-8")
    (folder / "flagsync.yaml").write_text(
        "provider: devcycle\nproject: demo\nenvironments:\n  production: {}\n"
        "manifests: flags/\n" + policy,
        encoding="utf-8",
    )
    return folder


def _run(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
    )


def test_validate_warns_about_expired_flags_and_passes(tmp_path: Path) -> None:
    folder = _workspace(tmp_path)
    text = _run(folder, "validate")
    assert text.returncode == 0, text.stderr
    assert (
        "flags/lifecycle.yaml:4:14: warning: flag 'old-banner' expired on 2020-01-31; owner: "
        "team-web" in text.stderr
    )
    assert "soon-gone" not in text.stderr
    github = _run(folder, "validate", "-o", "github")
    assert github.returncode == 0
    assert "::warning file=flags/lifecycle.yaml,line=4,col=14,title=flagsync validate::" in (
        github.stdout
    )
    data = json.loads(_run(folder, "validate", "-o", "json").stdout)
    assert data["valid"] is True and data["warnings"][0]["line"] == 4
    sarif = json.loads(_run(folder, "validate", "-o", "sarif").stdout)
    assert sarif["runs"][0]["results"][0]["level"] == "warning"


def test_policy_requires_owner_and_expiry_on_every_flag(tmp_path: Path) -> None:
    folder = _workspace(tmp_path, "policy:\n  require_on_all_flags: [owner, expires]\n")
    result = _run(folder, "validate")
    assert result.returncode == 1
    assert (
        "flags/lifecycle.yaml:6:10: flag 'soon-gone' has no owner: the workspace's policy "
        "requires it on every flag" in result.stderr
    )
    assert "far-off' has no owner" in result.stderr
    assert "kill-switch" not in result.stderr and "old-banner' has no" not in result.stderr


def test_a_bad_policy_setting_is_refused(tmp_path: Path) -> None:
    folder = _workspace(tmp_path, "policy:\n  require_on_all_flags: [manager]\n")
    result = _run(folder, "validate")
    assert result.returncode == 1 and "flagsync.yaml:7" in result.stderr


@pytest.mark.slow
def test_the_plan_and_its_markdown_list_expired_and_expiring_flags(example: Cli) -> None:
    (example.cwd / "flags" / "lifecycle.yaml").write_text(MANIFEST, encoding="utf-8")
    markdown = example("plan", "-o", "markdown")
    assert markdown.returncode == 2, markdown.stderr
    assert "**Flag expiry**" in markdown.stdout
    assert "| `old-banner` | 2020-01-31 (expired) | team-web | `flags/lifecycle.yaml:2` |" in (
        markdown.stdout
    )
    assert f"| `soon-gone` | {SOON} |  | `flags/lifecycle.yaml:6` |" in markdown.stdout
    assert "far-off" not in markdown.stdout.split("**Flag expiry**")[1]
    text = example("plan")
    assert "Flags expiring within 14 days:" in text.stdout
    data = json.loads(example("plan", "-o", "json").stdout)
    assert [f["key"] for f in data["policy"]["expiring"]] == ["soon-gone"]
    assert [f["key"] for f in data["policy"]["expired"]] == ["old-banner"]
    assert not list(VALIDATOR.iter_errors(data)), "the plan's JSON keeps to its schema"
