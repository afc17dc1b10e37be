"""The Action and its docs work for PostHog users as for DevCycle users, and point at a version
that exists: a commit hash, not a release tag nobody published."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FILES = [
    REPO / "action.yml",
    REPO / "docs" / "github-actions.md",
    *sorted((REPO / "examples" / "workflows").glob("*.yml")),
]


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_names_the_posthog_key_and_pins_a_commit(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "POSTHOG_PERSONAL_API_KEY" in text
    assert "DEVCYCLE_CLIENT_ID" in text
    assert "flagsync@v1" not in text
    assert "release tag." not in text


@pytest.mark.parametrize(
    "path", [p for p in FILES if p.suffix == ".yml" and p.name != "action.yml"], ids=str
)
def test_every_action_step_gets_the_posthog_key(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    uses = [i for i, line in enumerate(lines) if "uses: your-org/flagsync@" in line]
    assert uses
    for start in uses:
        following = "\n".join(lines[start : start + 12])
        assert "POSTHOG_PERSONAL_API_KEY: ${{ secrets.POSTHOG_PERSONAL_API_KEY }}" in following
