"""The action's comment and apply summary name the changes that go to review and the change
requests an apply opened, from the real CLI's plan and log against the PostHog emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reconciler.emulator import EmulatorConfig, EmulatorServer
from reconciler.github.planfile import PlanReport
from reconciler.github.summary import apply_summary, plan_comment
from tests.e2e.posthog_support import AUTH
from tests.e2e.test_posthog_change_requests import _gate, _workspace, _write


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig()) as server:
        yield server


@pytest.mark.slow
def test_comment_and_summary_show_reviews_and_links(
    tmp_path: Path, emulator: EmulatorServer
) -> None:
    cli = _workspace(tmp_path, emulator, ", changes: change-request")
    with httpx.Client(base_url=emulator.url, headers=AUTH) as api:
        _gate(api)
        _write(cli, 50)
        planned = cli("plan", "-o", "json")
        markdown = cli("plan", "-o", "markdown").stdout
        report = PlanReport.from_json(json.loads(planned.stdout))
        comment = plan_comment(report, markdown, "flagsync.yaml")
        assert "**Goes to review** as change requests after the merge: `checkout [production]`" in (
            comment
        )
        applied = cli("apply", "--yes")
        assert applied.returncode == 0, applied.stdout + applied.stderr
        [request] = api.get("/api/projects/2/change_requests/").json()["results"]
    text = apply_summary("flagsync.yaml", 0, applied.stdout)
    link = f"{emulator.url}/project/2/approvals/{request['id']}"
    assert "**Awaiting review**" in text
    assert f"- `checkout`: [change request {request['id']}]({link}), awaiting review" in text


def test_a_plan_without_reviews_says_nothing_of_them() -> None:
    data = {
        "format_version": 1,
        "summary": {"create": 1},
        "fingerprint": "f" * 64,
        "changes_pending": True,
        "changes": [{"action": "create", "key": "a", "via": "direct"}],
    }
    comment = plan_comment(PlanReport.from_json(data), "plan", "flagsync.yaml")
    assert "Goes to review" not in comment
    assert "Awaiting review" not in apply_summary("flagsync.yaml", 0, "  created a  (POST /x)")
