"""The sticky plan comment: created once, then edited in place, one per workspace."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.github.markers import read_fingerprint
from tests.github.conftest import (
    PR,
    REPOSITORY,
    TOKEN,
    Action,
    PlanFiles,
    RealPlans,
    synthetic_plan,
)
from tests.github.fake_github import BOT, Account, FakeGitHub

MARKER = "<!-- flagsync:flagsync.yaml -->"


def comment(action: Action, plan: PlanFiles, *extra: str, mode: str = "true") -> str:
    result = action("comment", "--workspace", "flagsync.yaml", "--mode", mode, *plan.args(), *extra)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.slow
def test_first_run_creates_one_comment(
    action: Action, github: FakeGitHub, real_plans: RealPlans
) -> None:
    printed = comment(action, real_plans.create)
    [posted] = github.comments_on(REPOSITORY, PR)
    assert posted["body"].startswith(MARKER)
    assert (
        "**flagsync plan** `flagsync.yaml`: 12 to create, 0 to update, 0 to delete, "
        in posted["body"]
    )
    assert "0 change requests" in posted["body"]
    assert "new-checkout" in posted["body"]
    assert read_fingerprint(posted["body"]) == real_plans.create.fingerprint
    assert "commit `1111111`" in posted["body"]  # the PR's head, not the test merge commit
    assert "Created the plan comment" in printed
    assert action.outputs()["comment-url"] == posted["html_url"]
    assert all(r.authorization == f"Bearer {TOKEN}" for r in github.requests)


@pytest.mark.slow
def test_second_run_updates_the_same_comment(
    action: Action, github: FakeGitHub, real_plans: RealPlans
) -> None:
    comment(action, real_plans.create)
    [first] = github.comments_on(REPOSITORY, PR)
    printed = comment(action, real_plans.update)
    [second] = github.comments_on(REPOSITORY, PR)
    assert second["id"] == first["id"]
    assert "0 to create, 1 to update, 0 to delete" in second["body"]
    assert read_fingerprint(second["body"]) == real_plans.update.fingerprint
    assert len(github.calls("POST")) == 1
    assert len(github.calls("PATCH")) == 1
    assert "Updated the plan comment" in printed


@pytest.mark.slow
def test_found_again_among_150_other_comments(
    action: Action, github: FakeGitHub, real_plans: RealPlans
) -> None:
    for index in range(150):
        github.add_comment(REPOSITORY, PR, f"LGTM {index}", login=f"reviewer{index % 3}")
    comment(action, real_plans.create)
    comment(action, real_plans.update)
    comment(action, real_plans.create)
    mine = github.marked(REPOSITORY, PR, MARKER)
    assert len(mine) == 1
    assert len(github.comments_on(REPOSITORY, PR)) == 151
    pages = [r.query.get("page") for r in github.calls("GET", "/comments")]
    assert "2" in pages  # the comment sits on the second page of 100
    assert all(r.query.get("per_page") == "100" for r in github.calls("GET", "/comments"))


@pytest.mark.slow
def test_changes_only_posts_nothing_without_changes(
    action: Action, github: FakeGitHub, real_plans: RealPlans
) -> None:
    printed = comment(action, real_plans.unchanged, mode="changes-only")
    assert github.comments_on(REPOSITORY, PR) == []
    assert "nothing posted" in printed


@pytest.mark.slow
def test_changes_only_updates_an_existing_comment_to_no_changes(
    action: Action, github: FakeGitHub, real_plans: RealPlans
) -> None:
    comment(action, real_plans.update, mode="changes-only")
    comment(action, real_plans.unchanged, mode="changes-only")
    [posted] = github.comments_on(REPOSITORY, PR)
    assert "**flagsync plan** `flagsync.yaml`: no changes" in posted["body"]
    assert "1 to update" not in posted["body"]


@pytest.mark.slow
def test_comment_false_posts_nothing(
    action: Action, github: FakeGitHub, real_plans: RealPlans
) -> None:
    comment(action, real_plans.create, mode="false")
    assert github.requests == []


@pytest.mark.slow
def test_no_comment_outside_pull_requests(
    action: Action, github: FakeGitHub, real_plans: RealPlans
) -> None:
    printed = comment(action.push(), real_plans.create)
    assert github.requests == []
    assert "Not a pull request (push)" in printed


@pytest.mark.slow
def test_one_comment_per_workspace(
    action: Action, github: FakeGitHub, real_plans: RealPlans
) -> None:
    comment(action, real_plans.create)
    result = action(
        "comment", "--workspace", "teams/mobile/flagsync.yaml", *real_plans.update.args()
    )
    assert result.returncode == 0, result.stderr
    comment(action, real_plans.update)
    bodies = [c["body"] for c in github.comments_on(REPOSITORY, PR)]
    assert len(bodies) == 2
    assert bodies[0].startswith(MARKER)
    assert bodies[1].startswith("<!-- flagsync:teams/mobile/flagsync.yaml -->")


@pytest.mark.slow
def test_a_pasted_marker_is_not_our_comment(
    action: Action, github: FakeGitHub, real_plans: RealPlans
) -> None:
    github.add_comment(REPOSITORY, PR, f"{MARKER}\nlook, a plan", login="mallory")
    comment(action, real_plans.create)
    posted = github.marked(REPOSITORY, PR, MARKER)
    assert [c["user"]["login"] for c in posted] == ["mallory", BOT]
    assert posted[0]["body"].endswith("look, a plan")


@pytest.mark.slow
def test_a_personal_token_recognises_its_own_comments(
    action: Action, github: FakeGitHub, real_plans: RealPlans
) -> None:
    github.accounts["ghp_personal"] = Account("deploy-user")
    github.add_comment(REPOSITORY, PR, f"{MARKER}\nold plan", login="some-other-bot", type="Bot")
    env = {"GITHUB_TOKEN": "ghp_personal"}
    for plan in (real_plans.create, real_plans.update):
        result = action("comment", "--workspace", "flagsync.yaml", *plan.args(), env=env)
        assert result.returncode == 0, result.stderr
    mine = [c for c in github.comments_on(REPOSITORY, PR) if c["user"]["login"] == "deploy-user"]
    assert len(mine) == 1
    assert read_fingerprint(mine[0]["body"]) == real_plans.update.fingerprint


@pytest.mark.slow
def test_a_long_plan_is_folded(action: Action, github: FakeGitHub, tmp_path: Path) -> None:
    plan = synthetic_plan(tmp_path / "plans", flags=40, change_requests=2)
    comment(action, plan)
    [posted] = github.comments_on(REPOSITORY, PR)
    body = posted["body"]
    assert "40 to create, 0 to update, 0 to delete, 2 change requests" in body
    assert "<details><summary>Show the plan (" in body
    assert body.index("to create") < body.index("<details>") < body.index("flag-00039")
    assert "</details>" in body


@pytest.mark.slow
def test_a_short_plan_is_not_folded(
    action: Action, github: FakeGitHub, real_plans: RealPlans
) -> None:
    comment(action, real_plans.update)
    [posted] = github.comments_on(REPOSITORY, PR)
    assert "<details>" not in posted["body"]


@pytest.mark.slow
def test_a_huge_plan_is_cut_to_fit_a_comment(
    action: Action, github: FakeGitHub, tmp_path: Path
) -> None:
    plan = synthetic_plan(tmp_path / "plans", flags=1500)
    assert len(plan.markdown.read_text()) > 65_536
    comment(action, plan)
    [posted] = github.comments_on(REPOSITORY, PR)
    body = posted["body"]
    assert len(body) <= 65_536
    assert "more lines do not fit in a comment" in body
    assert body.rstrip().endswith(f"<!-- flagsync-fingerprint: {plan.fingerprint} -->")
    assert "</details>" in body


@pytest.mark.slow
def test_a_failed_plan_replaces_the_comment_and_its_fingerprint(
    action: Action, github: FakeGitHub, real_plans: RealPlans, tmp_path: Path
) -> None:
    comment(action, real_plans.create)
    log = tmp_path / "flagsync.log"
    log.write_text("Error: flags/checkout.yaml:3:5: unknown field 'descripton'\n")
    result = action(
        "comment", "--workspace", "flagsync.yaml", "--exit-code", "1", "--log", str(log)
    )
    assert result.returncode == 0, result.stderr
    [posted] = github.comments_on(REPOSITORY, PR)
    assert "failed (exit 1)" in posted["body"]
    assert "unknown field 'descripton'" in posted["body"]
    assert read_fingerprint(posted["body"]) is None


@pytest.mark.slow
def test_a_bad_token_is_one_clear_line(
    action: Action, github: FakeGitHub, real_plans: RealPlans
) -> None:
    result = action(
        "comment", "--workspace", "flagsync.yaml", *real_plans.create.args(),
        env={"GITHUB_TOKEN": "ghs_wrong_token_value"},
    )  # fmt: skip
    assert result.returncode == 1
    assert "ghs_wrong_token_value" not in result.stderr + result.stdout
    [line] = result.stderr.splitlines()
    assert line.startswith("::error title=flagsync::")
    assert "401 Bad credentials" in line
    assert "github-token" in line
    assert github.comments_on(REPOSITORY, PR) == []


@pytest.mark.slow
def test_no_token_says_which_input(action: Action, real_plans: RealPlans) -> None:
    result = action(
        "comment", "--workspace", "flagsync.yaml", *real_plans.create.args(),
        env={"GITHUB_TOKEN": ""},
    )  # fmt: skip
    assert result.returncode == 1
    assert "github-token" in result.stderr


@pytest.mark.slow
def test_an_unreachable_api_is_one_clear_line(action: Action, real_plans: RealPlans) -> None:
    result = action(
        "comment", "--workspace", "flagsync.yaml", *real_plans.create.args(),
        env={"GITHUB_API_URL": "http://127.0.0.1:9"},
    )  # fmt: skip
    assert result.returncode == 1
    assert "cannot reach http://127.0.0.1:9" in result.stderr
    assert len(result.stderr.splitlines()) == 1
