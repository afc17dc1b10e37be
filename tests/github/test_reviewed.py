"""After a merge, apply only the plan the pull request's comment showed."""

from __future__ import annotations

import subprocess

import pytest

from tests.github.conftest import MERGE_SHA, PR, REPOSITORY, Action, PlanFiles, RealPlans
from tests.github.fake_github import FakeGitHub


def review(action: Action, plan: PlanFiles) -> None:
    """The pull request's plan job: post the comment reviewers approve."""
    result = action.pull_request()("comment", "--workspace", "flagsync.yaml", *plan.args())
    assert result.returncode == 0, result.stderr


def check(action: Action, plan: PlanFiles) -> subprocess.CompletedProcess[str]:
    return action.push(MERGE_SHA)(
        "check-reviewed", "--workspace", "flagsync.yaml", "--plan-json", str(plan.json)
    )


@pytest.mark.slow
def test_the_reviewed_plan_passes(
    action: Action, github: FakeGitHub, real_plans: RealPlans
) -> None:
    review(action, real_plans.create)
    github.merged_pull(REPOSITORY, MERGE_SHA, PR)
    result = check(action, real_plans.create)
    assert result.returncode == 0, result.stderr
    assert f"reviewed in pull request #{PR}" in result.stdout
    assert action.outputs()["reviewed-pull-request"] == str(PR)
    assert github.calls("GET", f"/commits/{MERGE_SHA}/pulls")


@pytest.mark.slow
def test_a_different_plan_is_refused_with_an_explanation(
    action: Action, github: FakeGitHub, real_plans: RealPlans
) -> None:
    review(action, real_plans.create)
    github.merged_pull(REPOSITORY, MERGE_SHA, PR)
    result = check(action, real_plans.update)
    assert result.returncode == 1
    message = result.stderr
    assert f"differs from the plan reviewed in pull request #{PR}" in message
    assert real_plans.update.fingerprint[:12] in message
    assert real_plans.create.fingerprint[:12] in message
    assert "Nothing was applied" in message
    assert "require-reviewed: false" in message
    assert "refused" in action.summary()
    assert len(message.splitlines()) == 1


def test_no_comment_is_refused(action: Action, github: FakeGitHub, real_plans: RealPlans) -> None:
    github.merged_pull(REPOSITORY, MERGE_SHA, PR)
    result = check(action, real_plans.create)
    assert result.returncode == 1
    assert f"pull request #{PR} has no flagsync plan comment for `flagsync.yaml`" in result.stderr


def test_a_comment_by_someone_else_does_not_count(
    action: Action, github: FakeGitHub, real_plans: RealPlans
) -> None:
    forged = (
        "<!-- flagsync:flagsync.yaml -->\nlooks fine\n"
        f"<!-- flagsync-fingerprint: {real_plans.create.fingerprint} -->"
    )
    github.add_comment(REPOSITORY, PR, forged, login="mallory")
    github.merged_pull(REPOSITORY, MERGE_SHA, PR)
    result = check(action, real_plans.create)
    assert result.returncode == 1
    assert "has no flagsync plan comment" in result.stderr


def test_a_push_that_is_no_merge_is_refused(
    action: Action, github: FakeGitHub, real_plans: RealPlans
) -> None:
    result = check(action, real_plans.create)
    assert result.returncode == 1
    assert "is not the merge of a pull request" in result.stderr


@pytest.mark.slow
def test_a_failed_last_plan_is_refused(
    action: Action, github: FakeGitHub, real_plans: RealPlans
) -> None:
    review(action, real_plans.create)
    failed = action.pull_request()("comment", "--workspace", "flagsync.yaml", "--exit-code", "1")
    assert failed.returncode == 0, failed.stderr
    github.merged_pull(REPOSITORY, MERGE_SHA, PR)
    result = check(action, real_plans.create)
    assert result.returncode == 1
    assert "failed, so the plan computed now" in result.stderr


def test_nothing_to_apply_needs_no_review(
    action: Action, github: FakeGitHub, real_plans: RealPlans
) -> None:
    result = check(action, real_plans.unchanged)
    assert result.returncode == 0, result.stderr
    assert "Nothing to apply" in result.stdout
    assert github.requests == []


def test_refuses_to_run_on_a_pull_request(action: Action, real_plans: RealPlans) -> None:
    result = action.pull_request()(
        "check-reviewed", "--workspace", "flagsync.yaml", "--plan-json", str(real_plans.create.json)
    )
    assert result.returncode == 1
    assert "runs after the merge" in result.stderr
