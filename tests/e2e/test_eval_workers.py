"""`flagsync eval --users` with enough users for worker processes (evaluation/parallel.py): the
lines are those of evaluating every user in one process, in the file's order, and a user the
vendor refuses half-way stops the output after the users before it, with the message."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reconciler.commands.eval import flag_keys, row
from reconciler.evaluation.parallel import PARALLEL_MIN_ANSWERS
from reconciler.manifest.loader import load_flags
from reconciler.providers.posthog.evaluate import evaluator
from reconciler.workspace import load_workspace
from tests.e2e.conftest import REPO, Cli

pytestmark = pytest.mark.slow
COUNTRIES = ["DE", "FR", "US", "GB"]


def _users(count: int) -> list[dict[str, object]]:
    return [
        {
            "distinct_id": f"u-{n}",
            "email": f"p{n}@{'acme.com' if n % 40 == 0 else 'example.org'}",
            "country": COUNTRIES[n % 4],
            "plan": "pro" if n % 3 else "free",
        }
        for n in range(count)
    ]


def test_workers_write_what_one_process_computes(tmp_path: Path) -> None:
    folder = tmp_path / "posthog"
    shutil.copytree(REPO / "tests" / "fixtures" / "examples" / "posthog", folder)
    cli = Cli(cwd=folder, env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"})
    desired = load_flags(load_workspace(folder / "flagsync.yaml"))
    keys = flag_keys(desired, "production")
    users = _users(PARALLEL_MIN_ANSWERS // len(keys) + 1000)
    reference = evaluator(desired, reference=True)
    expected = [
        json.dumps(row(user, reference.evaluate(key, "production", user)), ensure_ascii=False)
        for user in users
        for key in keys
    ]
    (folder / "users.jsonl").write_text("".join(json.dumps(u) + "\n" for u in users))
    result = cli("eval", "--env", "production", "--users", "users.jsonl", "-o", "json")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == expected

    refused = len(users) * 3 // 4
    users[refused] = {"email": "nobody@example.org"}
    (folder / "users.jsonl").write_text("".join(json.dumps(u) + "\n" for u in users))
    result = cli("eval", "--env", "production", "--users", "users.jsonl", "-o", "json")
    assert result.returncode == 1
    assert 'a PostHog user needs a "distinct_id"' in result.stderr
    assert result.stdout.splitlines() == expected[: refused * len(keys)]
