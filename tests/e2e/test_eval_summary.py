"""`flagsync eval --users FILE --summary`: per flag, how many users get each variation, the
counts of the per-user answers `eval -o json` prints (exact ones by variation, inexact ones by
why), in text and JSON, for both vendors' example workspaces."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO, Cli

COUNTRIES = ["DE", "FR", "US", "GB"]


def _users(count: int) -> list[dict[str, object]]:
    return [
        {
            "distinct_id": f"u-{n}",
            "user_id": f"u-{n}",
            "email": f"p{n}@{'acme.com' if n % 40 == 0 else 'example.org'}",
            "country": COUNTRIES[n % 4],
            "plan": "pro" if n % 3 else "free",
        }
        for n in range(count)
    ]


def _workspace(tmp_path: Path, vendor: str) -> Cli:
    folder = tmp_path / vendor
    shutil.copytree(REPO / "tests" / "fixtures" / "examples" / vendor, folder)
    (folder / "users.jsonl").write_text("".join(json.dumps(u) + "\n" for u in _users(400)))
    return Cli(cwd=folder, env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"})


@pytest.mark.parametrize("vendor", ["posthog", "devcycle"])
def test_the_summary_counts_the_per_user_answers(tmp_path: Path, vendor: str) -> None:
    cli = _workspace(tmp_path, vendor)
    args = ("eval", "--env", "production", "--users", "users.jsonl")
    rows = cli(*args, "-o", "json")
    assert rows.returncode == 0, rows.stderr
    exact: Counter[tuple[str, str | None]] = Counter()
    inexact: Counter[tuple[str, str]] = Counter()
    for line in rows.stdout.splitlines():
        answer = json.loads(line)
        if answer["exact"]:
            exact[(answer["flag"], answer["variation"])] += 1
        else:
            inexact[(answer["flag"], answer["reason"])] += 1

    result = cli(*args, "--summary", "-o", "json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["users"] == 400
    assert summary["environment"] == "production"
    seen_exact: Counter[tuple[str, str | None]] = Counter()
    seen_inexact: Counter[tuple[str, str]] = Counter()
    for flag in summary["flags"]:
        for variation in flag["variations"]:
            seen_exact[(flag["flag"], variation["variation"])] += variation["users"]
            assert variation["percent"] == round(100 * variation["users"] / 400, 2)
        for why in flag["inexact_why"]:
            seen_inexact[(flag["flag"], why["why"])] += why["users"]
        assert flag["inexact"] == sum(why["users"] for why in flag["inexact_why"])
        assert sum(v["users"] for v in flag["variations"]) + flag["inexact"] == 400
    assert seen_exact == exact
    assert seen_inexact == inexact
    assert exact  # the example workspaces serve something exactly

    text = cli(*args, "--summary")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == "400 users in production"
    rows = [[" ".join(line.split()[:-3]), line.split()[-3]] for line in lines if line.endswith("%")]
    for flag in summary["flags"]:
        assert flag["flag"] in lines
        for variation in flag["variations"]:
            name = variation["variation"] or "(nothing served)"
            assert [name, str(variation["users"])] in rows, (name, lines)


def test_a_refused_user_stops_the_summary_with_its_message(tmp_path: Path) -> None:
    cli = _workspace(tmp_path, "posthog")
    users = _users(400)
    users[123] = {"email": "nobody@example.org"}
    (cli.cwd / "users.jsonl").write_text("".join(json.dumps(u) + "\n" for u in users))
    result = cli("eval", "--env", "production", "--users", "users.jsonl", "--summary")
    assert result.returncode == 1
    assert 'a PostHog user needs a "distinct_id"' in result.stderr
    assert result.stdout == ""


@pytest.mark.slow
def test_enough_users_for_workers_count_what_one_process_counts(tmp_path: Path) -> None:
    from reconciler.commands.eval import flag_keys
    from reconciler.evaluation import summary
    from reconciler.evaluation.parallel import PARALLEL_MIN_ANSWERS
    from reconciler.manifest.loader import load_flags
    from reconciler.providers.posthog.evaluate import evaluator
    from reconciler.workspace import load_workspace

    cli = _workspace(tmp_path, "posthog")
    desired = load_flags(load_workspace(cli.cwd / "flagsync.yaml"))
    keys = flag_keys(desired, "production")
    users = _users(PARALLEL_MIN_ANSWERS // len(keys) + 1000)
    (cli.cwd / "users.jsonl").write_text("".join(json.dumps(u) + "\n" for u in users))
    alone = summary.summarise(
        summary.variations(evaluator(desired), keys, "production"), users, len(keys), workers=0
    )
    expected = summary.report(keys, "production", len(users), alone)
    result = cli("eval", "--env", "production", "--users", "users.jsonl", "--summary", "-o", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == json.loads(summary.render_json(expected))
