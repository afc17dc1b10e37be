"""`eval --summary` counted in worker processes (`summary.summarise` over
`parallel.gather`): the counts are those of one process, and a user the vendor refuses stops
the count with the message one process gives for the first refused user in the file."""

from __future__ import annotations

import pytest

from reconciler.errors import FlagsyncError
from reconciler.evaluation.summary import Inexact, summarise


def _answer(user: dict[str, object]) -> list[object]:
    n = int(str(user["id"]))
    if user.get("refused"):
        raise FlagsyncError(f"user {n} refused")
    return [
        "a" if n % 3 else "b",
        None if n % 5 else Inexact("c", "why"),
    ]


USERS = [{"id": n} for n in range(1000)]


@pytest.mark.parametrize("workers", [2, 3, 7])
def test_workers_count_what_one_process_counts(workers: int) -> None:
    alone = summarise(_answer, USERS, 2, workers=0)
    assert alone[0] == {"a": 666, "b": 334}
    assert alone[1] == {None: 800, Inexact("c", "why"): 200}
    assert summarise(_answer, USERS, 2, workers=workers) == alone


def test_the_first_refused_user_is_the_one_reported() -> None:
    users = [dict(u) for u in USERS]
    users[700]["refused"] = True
    users[100]["refused"] = True  # in the first worker's share; the later one is another's
    with pytest.raises(FlagsyncError, match="user 100 refused"):
        summarise(_answer, users, 2, workers=3)
    users[100]["refused"] = False
    with pytest.raises(FlagsyncError, match="user 700 refused"):
        summarise(_answer, users, 2, workers=3)
