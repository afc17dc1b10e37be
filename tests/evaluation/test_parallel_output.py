"""`flagsync eval --users` in worker processes writes what one process writes: every user's
output in the users' order, and, when a user context is refused half-way, the same output up to
that user and the same message."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import UsageError
from reconciler.evaluation.parallel import write_users


def _produce(user: dict[str, object]) -> str:
    if user.get("bad"):
        raise UsageError(f'user {user["id"]}: a PostHog user needs a "distinct_id"')
    return "".join(f'{{"user": {user["id"]}, "flag": {n}}}\n' for n in range(3))


def _write(path: Path, users: list[dict[str, object]], workers: int) -> str:
    with path.open("w", encoding="utf-8") as stream:
        write_users(_produce, users, 10_000, stream, workers=workers)
    return path.read_text(encoding="utf-8")


def test_workers_write_the_users_in_order(tmp_path: Path) -> None:
    users: list[dict[str, object]] = [{"id": n} for n in range(25)]
    alone = _write(tmp_path / "alone.jsonl", users, workers=0)
    assert _write(tmp_path / "workers.jsonl", users, workers=2) == alone
    assert _write(tmp_path / "three.jsonl", users, workers=3) == alone
    assert alone.count("\n") == 75


def test_a_refused_user_stops_the_workers_where_one_process_stops(tmp_path: Path) -> None:
    users: list[dict[str, object]] = [{"id": n, "bad": n == 13} for n in range(25)]
    outputs, messages = [], []
    for workers in (0, 2):
        path = tmp_path / f"{workers}.jsonl"
        with pytest.raises(UsageError) as raised, path.open("w", encoding="utf-8") as stream:
            write_users(_produce, users, 10_000, stream, workers=workers)
        outputs.append(path.read_text(encoding="utf-8"))
        messages.append(str(raised.value))
    assert outputs[0] == outputs[1]
    assert outputs[0].splitlines()[-1] == '{"user": 12, "flag": 2}'
    assert messages == ['user 13: a PostHog user needs a "distinct_id"'] * 2
