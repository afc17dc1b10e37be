"""The whole composite action, step by step as the runner runs it, with the real flagsync, an
emulator for DevCycle and the fake GitHub: a pull request, then its merge."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.emulator import EmulatorConfig, EmulatorServer
from tests.github.composite import ActionRun, run_action
from tests.github.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    MERGE_SHA,
    PR,
    REPO,
    REPOSITORY,
    TOKEN,
    Action,
    parse_outputs,
)
from tests.github.fake_github import FakeGitHub

MARKER = "<!-- flagsync:flagsync.yaml -->"


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)) as server:
        yield server


@pytest.fixture
def job(tmp_path: Path, github: FakeGitHub, emulator: EmulatorServer) -> Action:
    """A checkout of examples/devcycle, with DevCycle credentials set on the action's step."""
    shutil.copytree(
        REPO / "tests" / "fixtures" / "examples" / "devcycle", tmp_path, dirs_exist_ok=True
    )
    return Action(
        root=tmp_path,
        api_url=github.url,
        extra_env={
            "DEVCYCLE_CLIENT_ID": CLIENT_ID,
            "DEVCYCLE_CLIENT_SECRET": CLIENT_SECRET,
            "DEVCYCLE_API_URL": emulator.url,
            "DEVCYCLE_AUTH_URL": f"{emulator.url}/oauth/token",
        },
    )


def run(job: Action, **inputs: str) -> ActionRun:
    job.summary_file.unlink(missing_ok=True)
    result = run_action(
        REPO / "action.yml",
        inputs,
        job.environment(),
        job.root,
        {"action_path": str(REPO), "token": TOKEN, "event_name": job.event_name},
        parse_outputs,
    )
    assert TOKEN not in result.log + job.summary()
    return result


def ran(result: ActionRun) -> list[str]:
    return [step.name for step in result.steps if step.ran]


@pytest.mark.slow
def test_plan_on_the_pull_request_then_apply_after_the_merge(
    job: Action, github: FakeGitHub
) -> None:
    planned = run(job.pull_request(), command="plan")
    assert not planned.failed, planned.log
    assert ran(planned) == ["Run flagsync", "Job summary", "Pull request comment"]
    assert planned.outputs["changes"] == "true"
    assert planned.outputs["exit-code"] == "2"
    assert Path(planned.outputs["plan-json"]).is_file()
    [posted] = github.marked(REPOSITORY, PR, MARKER)
    assert planned.outputs["comment-url"] == posted["html_url"]
    assert "12 to create, 0 to update, 0 to delete, 0 change requests" in posted["body"]
    assert "new-checkout" in job.summary()

    github.merged_pull(REPOSITORY, MERGE_SHA, PR)
    applied = run(job.push(MERGE_SHA), command="apply")
    assert not applied.failed, applied.log
    assert ran(applied) == [
        "Run flagsync",
        "Job summary",
        "Check that this is the reviewed plan",
        "Apply the plan",
    ]
    assert applied.outputs["exit-code"] == "0"
    assert "reviewed in pull request #7" in applied.log
    assert "**flagsync apply** `flagsync.yaml`: applied" in job.summary()

    again = run(job.push(MERGE_SHA), command="apply")
    assert not again.failed, again.log
    assert again.outputs["changes"] == "false"
    assert ran(again) == ["Run flagsync", "Job summary"]


@pytest.mark.slow
def test_a_plan_that_changed_after_the_review_is_not_applied(
    job: Action, github: FakeGitHub
) -> None:
    assert not run(job.pull_request(), command="plan").failed
    manifest = job.root / "flags" / "checkout.yaml"
    manifest.write_text(manifest.read_text().replace("New checkout flow", "New checkout"))
    github.merged_pull(REPOSITORY, MERGE_SHA, PR)
    refused = run(job.push(MERGE_SHA), command="apply")
    assert refused.failed
    check = refused.step("Check that this is the reviewed plan")
    assert check.exit_code == 1
    assert "differs from the plan reviewed in pull request #7" in check.stderr
    assert not refused.step("Apply the plan").ran
    assert refused.outputs["exit-code"] == "2"  # the plan's: apply never ran
    assert "refused" in job.summary()
    # nothing was applied: the next plan still creates everything
    assert run(job.push(MERGE_SHA), command="plan").outputs["changes"] == "true"


@pytest.mark.slow
def test_require_reviewed_false_applies_without_a_pull_request(job: Action) -> None:
    applied = run(job.push(MERGE_SHA), command="apply", **{"require-reviewed": "false"})
    assert not applied.failed, applied.log
    assert "Check that this is the reviewed plan" not in ran(applied)
    assert applied.outputs["exit-code"] == "0"


@pytest.mark.slow
def test_drift_fails_the_job_only_when_asked(job: Action) -> None:
    job.push()
    drift = run(job, command="drift")
    assert drift.failed
    assert drift.step("Fail on drift").exit_code == 1
    assert drift.outputs["changes"] == "true"
    assert "**flagsync drift** `flagsync.yaml`: drift found" in job.summary()
    tolerated = run(job, command="drift", **{"fail-on-drift": "false"})
    assert not tolerated.failed
    assert tolerated.outputs["changes"] == "true"


@pytest.mark.slow
def test_changes_only_posts_nothing_when_there_is_nothing_to_review(
    job: Action, github: FakeGitHub
) -> None:
    assert not run(job.push(), command="apply", **{"require-reviewed": "false"}).failed
    quiet = run(job.pull_request(), command="plan", comment="changes-only")
    assert not quiet.failed, quiet.log
    assert quiet.outputs["changes"] == "false"
    assert github.comments_on(REPOSITORY, PR) == []


@pytest.mark.slow
def test_a_failing_plan_is_still_reported_and_fails_the_job(
    job: Action, github: FakeGitHub
) -> None:
    (job.root / "flagsync.yaml").write_text("provider: devcycle\nproject: demo\n")
    failed = run(job.pull_request(), command="plan")
    assert failed.failed
    assert failed.outputs["exit-code"] == "1"
    assert ran(failed) == ["Run flagsync", "Job summary", "Pull request comment"]
    [posted] = github.marked(REPOSITORY, PR, MARKER)
    assert "failed (exit 1)" in posted["body"]
    assert "failed (exit 1)" in job.summary()


@pytest.mark.slow
def test_a_working_directory_and_environments(job: Action, github: FakeGitHub) -> None:
    nested = job.root / "teams" / "web"
    nested.mkdir(parents=True)
    for name in ("flagsync.yaml", "flags"):
        shutil.move(job.root / name, nested / name)
    planned = run(
        job.pull_request(),
        command="plan",
        **{"working-directory": "teams/web"},
        environments="staging",
    )
    assert not planned.failed, planned.log
    [posted] = github.marked(REPOSITORY, PR, "<!-- flagsync:teams/web/flagsync.yaml -->")
    assert "| production |" not in posted["body"]
    assert "| staging |" in posted["body"]
