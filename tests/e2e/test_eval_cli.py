"""`flagsync eval` and `flagsync test` as a user runs them, on a copy of the PostHog example
workspace: offline answers with the rule that decided, flag tests that pass and fail with
file:line:col, expected vs actual and the matching rule, `validate` running them, and `--live`
reading the emulator so the live answer can be compared with the manifests'."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import httpx
import pytest

from reconciler.emulator import EmulatorServer
from reconciler.providers.posthog.evaluate import bucket
from tests.e2e.conftest import REPO, Cli
from tests.e2e.posthog_support import AUTH, live_flag, posthog_environment

CUSTOMER = '{"distinct_id": "u-2", "email": "joe@example.org", "country": "DE", "plan": "pro"}'
PASSING = """\
users:
  staff: {distinct_id: u-1, email: jane@acme.com}
cases:
  - name: staff get the green button
    user: staff
    flag: checkout-button
    expect:
      staging: treatment
      production: {variation: treatment, values: {payload: {colour: "#22aa44", label: Buy now}}}
"""
FAILING = """\
cases:
  - name: customers get the green button
    user: {distinct_id: u-2, email: joe@example.org}
    flag: checkout-button
    expect:
      production: treatment
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Cli:
    """The frozen PostHog example, offline (no emulator needed for eval and test)."""
    import shutil

    folder = tmp_path / "posthog"
    shutil.copytree(REPO / "tests" / "fixtures" / "examples" / "posthog", folder)
    return Cli(cwd=folder, env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"})


def _tests(cli: Cli, name: str, text: str) -> Path:
    folder = cli.cwd / "flag-tests"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def test_eval_prints_each_flags_variation_and_why(workspace: Cli) -> None:
    result = workspace("eval", "--env", "production", "--user", CUSTOMER)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "user u-2 [production]" in out
    assert "checkout-button    control" in out
    assert "condition 2 (Everyone else) matched; variant bucket" in out
    assert "new-checkout       false" in out and "outside its 10% rollout" in out
    # a cohort's members are unknown offline: said, not guessed
    assert "beta-dashboard     undecided" in out and "cohort 'Beta testers'" in out


def test_eval_json_for_users_from_a_file_and_a_flag_pattern(workspace: Cli) -> None:
    users = workspace.cwd / "users.jsonl"
    users.write_text(f'{CUSTOMER}\n\n{{"distinct_id": "u-1", "email": "jane@acme.com"}}\n')
    result = workspace(
        "eval", "--env", "staging", "--users", "users.jsonl", "--flag", "checkout-*", "-o", "json"
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["user"]["distinct_id"], r["flag"], r["variation"], r["rule"]) for r in rows] == [
        ("u-2", "checkout-button", "control", "Everyone else"),
        ("u-1", "checkout-button", "treatment", "Staff"),
    ]
    assert rows[1]["values"]["payload"] == {"colour": "#22aa44", "label": "Buy now"}
    assert rows[1]["exact"] is True


def test_eval_refuses_bad_input_with_the_place(workspace: Cli) -> None:
    (workspace.cwd / "users.jsonl").write_text('{"distinct_id": "a"}\n{"distinct_id": \n')
    bad_file = workspace("eval", "--env", "staging", "--users", "users.jsonl")
    assert bad_file.returncode == 1
    assert "users.jsonl:2: not JSON" in bad_file.stderr
    no_id = workspace("eval", "--env", "staging", "--user", '{"email": "a@b.c"}')
    assert no_id.returncode == 1 and '"distinct_id"' in no_id.stderr
    wrong_env = workspace("eval", "--env", "prod", "--user", CUSTOMER)
    assert wrong_env.returncode == 1 and "--env prod: not an environment" in wrong_env.stderr
    neither = workspace("eval", "--env", "staging")
    assert neither.returncode == 1 and "--user" in neither.stderr


@pytest.mark.parametrize("summary", [(), ("--summary",)], ids=["rows", "summary"])
def test_eval_refuses_users_that_are_not_text_at_their_line(
    workspace: Cli, summary: tuple[str, ...]
) -> None:
    """A lone surrogate (JSON can spell one), bytes that are not UTF-8 in the file or in the
    argument: no SDK can hash them, so each is refused at its place, before any output."""
    (workspace.cwd / "escaped.jsonl").write_text(
        '{"distinct_id": "a"}\n{"distinct_id": "\\ud800"}\n'
    )
    (workspace.cwd / "latin1.jsonl").write_bytes(b'{"distinct_id": "a"}\n{"distinct_id": "\xff"}\n')
    escaped = workspace("eval", "--env", "staging", "--users", "escaped.jsonl", *summary)
    assert (escaped.returncode, escaped.stdout) == (1, ""), escaped.stderr
    assert "escaped.jsonl:2: a string holds a lone UTF-16 surrogate (\\ud800)" in escaped.stderr
    latin1 = workspace("eval", "--env", "staging", "--users", "latin1.jsonl", *summary)
    assert (latin1.returncode, latin1.stdout) == (1, ""), latin1.stderr
    assert "latin1.jsonl:2: not UTF-8 text (byte 0xff)" in latin1.stderr
    argument = workspace("eval", "--env", "staging", "--user", '{"distinct_id": "\udcff"}')
    assert argument.returncode == 1 and "Traceback" not in argument.stderr
    assert "--user: a string holds the byte 0xff, which is not UTF-8" in argument.stderr


def test_flag_tests_pass_and_fail_with_expected_actual_and_the_rule(workspace: Cli) -> None:
    _tests(workspace, "checkout.flag-tests.yaml", PASSING)
    passed = workspace("test")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Flag tests: 2 checks passed (1 file)." in passed.stdout
    _tests(workspace, "wrong.flag-tests.yaml", FAILING)
    failed = workspace("test")
    assert failed.returncode == 1
    assert (
        "flag-tests/wrong.flag-tests.yaml:6:7: FAIL customers get the green button: "
        "checkout-button [production]" in failed.stdout
    )
    assert 'variation: expected "treatment", got "control"' in failed.stdout
    assert "why: condition 2 (Everyone else) matched" in failed.stdout
    assert "Flag tests: 1 of 3 checks failed (2 files)." in failed.stdout
    # validate runs them too, and fails at the same place
    validated = workspace("validate")
    assert validated.returncode == 1
    assert "flag-tests/wrong.flag-tests.yaml:6:7: flag test 'customers get" in validated.stderr


def test_flag_test_files_are_schema_checked_with_positions(workspace: Cli) -> None:
    _tests(
        workspace,
        "bad.flag-tests.yaml",
        """\
        cases:
          - user: nobody
            flag: checkout-button
            expect: {qa: treatment}
          - user: {distinct_id: u}
            flg: checkout-button
        """,
    )
    result = workspace("test")
    assert result.returncode == 1
    assert "flag-tests/bad.flag-tests.yaml:5:" in result.stderr
    _tests(
        workspace,
        "bad.flag-tests.yaml",
        """\
        cases:
          - user: nobody
            flag: checkout-button
            expect: {staging: treatment}
          - user: {distinct_id: u}
            flag: no-such-flag
            expect: {qa: treatment}
        """,
    )
    result = workspace("test")
    assert result.returncode == 1
    assert "bad.flag-tests.yaml:2:11: no user 'nobody' under `users`" in result.stderr
    assert "bad.flag-tests.yaml:6:11: no flag 'no-such-flag' in the manifests" in result.stderr


@pytest.mark.slow
def test_live_evaluation_shows_what_the_live_state_serves(
    tmp_path: Path, emulator: EmulatorServer
) -> None:
    import shutil

    folder = tmp_path / "posthog"
    shutil.copytree(REPO / "tests" / "fixtures" / "examples" / "posthog", folder)
    cli = Cli(cwd=folder, env=posthog_environment(emulator))
    applied = cli("apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    args = ("eval", "--env", "production", "--user", CUSTOMER, "--flag", "checkout-button")
    assert "checkout-button  control" in cli(*args, "--live").stdout
    # someone turns the flag off in PostHog's UI: the live answer changes, the manifests' not
    with httpx.Client(base_url=emulator.url, headers=AUTH) as api:
        flag = live_flag(api, 2, "checkout-button")
        api.patch(f"/api/projects/2/feature_flags/{flag['id']}/", json={"active": False})
    live = cli(*args, "--live")
    assert live.returncode == 0, live.stderr
    assert "checkout-button  false" in live.stdout and "disabled" in live.stdout
    assert "checkout-button  control" in cli(*args).stdout
    # a user the experiment's 5 % holdout keeps out: the holdout's id is PostHog's, known live
    held = next(n for n in range(1000) if bucket("holdout", f"h-{n}", separator="-") <= 0.05)
    user = json.dumps({"distinct_id": f"h-{held}"})
    args = ("eval", "--env", "staging", "--user", user, "--flag", "pricing-page-test")
    offline = cli(*args)
    assert "undecided" in offline.stdout and "holdout 'Pricing holdout'" in offline.stdout
    with httpx.Client(base_url=emulator.url, headers=AUTH) as api:
        holdouts = api.get("/api/projects/1/experiment_holdouts/").json()["results"]
    [holdout_id] = [h["id"] for h in holdouts if h["name"] == "Pricing holdout"]
    assert f"pricing-page-test  holdout-{holdout_id}" in cli(*args, "--live").stdout
