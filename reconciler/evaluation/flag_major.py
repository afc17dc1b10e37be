"""Flag-major evaluation: one flag over every user at a time, for `eval --summary`.

Answering user after user calls each flag's function ten million times for 10,000 users x
1,000 flags, and re-reads every predicate through it. A flag asked about all users at once
instead runs each step of its walk as one tight loop over the users still undecided: a filter's
results are a column computed once per distinct filter (shared by the flags that use it), the
users it holds go on, a rollout hashes only those users, and a whole group of users that end
at the same answer is counted by its length.

A vendor's evaluator offers this as `flag_major(keys, environment, users)`: a function of a
flag's position in `keys` returning that flag's answers as `Part`s, groups of users (their
positions in `users`) with their answers. The answers are those of the evaluator's
variation-only entry (`variations`), user by user (a hypothesis law per vendor checks it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Same:
    """Every user of `users` gets `answer`."""

    answer: Any
    users: Sequence[int]


@dataclass(frozen=True, slots=True)
class Looked:
    """User `users[j]` gets `table[codes[j]]` (a split: each user's bucket, as a code)."""

    table: Sequence[Any]
    users: Sequence[int]
    codes: Sequence[int]


Part = Same | Looked
FlagParts = Callable[[int], list[Part]]
"""A flag's position in the keys -> its answers for every user, in parts."""


def tally(parts: Iterable[Part]) -> Counter[Any]:
    """How many users got each answer."""
    counts: Counter[Any] = Counter()
    for part in parts:
        if isinstance(part, Same):
            if part.users:
                counts[part.answer] += len(part.users)
        else:
            table = part.table
            for code, number in Counter(part.codes).items():
                counts[table[code]] += number
    return counts


def column(parts: Iterable[Part], users: int) -> list[Any]:
    """Each user's answer, in the users' order (what the laws compare with the reference).
    A user no part answers, or one answered twice, is an error."""
    missing = object()
    answers: list[Any] = [missing] * users
    for part in parts:
        if isinstance(part, Same):
            pairs: Iterable[tuple[int, Any]] = ((user, part.answer) for user in part.users)
        else:
            table = part.table
            pairs = ((u, table[c]) for u, c in zip(part.users, part.codes, strict=True))
        for user, answer in pairs:
            if answers[user] is not missing:
                raise AssertionError(f"user {user} answered twice")
            answers[user] = answer
    if any(answer is missing for answer in answers):
        raise AssertionError("a user left unanswered")
    return answers
