"""The pull request comment and the job summary show the flag tests' result above the plan:
passing tests as one line, a failing one with its place and expected vs actual, and a
failing test is worth a comment even when the plan has no changes."""

from __future__ import annotations

import shutil

import pytest

from reconciler.emulator import EmulatorConfig, EmulatorServer
from reconciler.emulator.posthog import PERSONAL_API_KEY
from tests.github.conftest import PR, REPO, REPOSITORY, Action, PlanFiles
from tests.github.fake_github import FakeGitHub

FAILING = """\
cases:
  - name: customers get the green button
    user: {distinct_id: u-2, email: joe@example.org}
    flag: checkout-button
    expect: {production: treatment}
"""
PASSING = """\
cases:
  - name: staff get the green button
    user: {distinct_id: u-1, email: jane@acme.com}
    flag: checkout-button
    expect: {production: treatment}
"""


def _run(action: Action, name: str) -> PlanFiles:
    out = action.root / "_plans" / name
    ran = action("run", "--command", "plan", "--workspace", "flagsync.yaml", "--out-dir", str(out))
    assert ran.returncode == 0, ran.stderr
    return PlanFiles(out / "plan.json", out / "plan.md", int(action.outputs()["exit-code"]))


@pytest.mark.slow
def test_the_comment_shows_the_flag_tests(action: Action, github: FakeGitHub) -> None:
    shutil.copytree(
        REPO / "tests" / "fixtures" / "examples" / "posthog", action.root, dirs_exist_ok=True
    )
    tests = action.root / "flag-tests"
    tests.mkdir()
    (tests / "checkout.flag-tests.yaml").write_text(PASSING)
    with EmulatorServer(EmulatorConfig()) as emulator:
        action.extra_env.update(
            POSTHOG_API_URL=emulator.url, POSTHOG_PERSONAL_API_KEY=PERSONAL_API_KEY
        )
        action.pull_request()
        passing = _run(action, "passing")
        commented = action(
            "comment", "--workspace", "flagsync.yaml", "--mode", "changes-only", *passing.args()
        )
        assert commented.returncode == 0, commented.stderr
        [posted] = github.comments_on(REPOSITORY, PR)
        assert "✅ **Flag tests: 1 check passed (1 file).**" in posted["body"]
        assert posted["body"].index("Flag tests") < posted["body"].index("checkout-button")

        (tests / "wrong.flag-tests.yaml").write_text(FAILING)
        failing = _run(action, "failing")
        summary = action(
            "summary", "--command", "plan", "--workspace", "flagsync.yaml", *failing.args()
        )
        assert summary.returncode == 0, summary.stderr
        assert "❌ **Flag tests: 1 of 2 checks failed (2 files).**" in action.summary()
        commented = action(
            "comment", "--workspace", "flagsync.yaml", "--mode", "changes-only", *failing.args()
        )
        assert commented.returncode == 0, commented.stderr
        [posted] = github.comments_on(REPOSITORY, PR)
        assert "`flag-tests/wrong.flag-tests.yaml:5:14`" in posted["body"], posted["body"]
        assert 'variation: expected "treatment", got "control"' in posted["body"]
