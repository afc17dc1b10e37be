"""Many users against many flags: answers user by user, and `eval -o json`'s lines in bulk.

`flagsync eval --users` of ten thousand users against a thousand flags is ten million answers
and as many JSON lines. Two things make that affordable, both vendor-neutral:

- `answerer`: a vendor's evaluator may offer `bulk(keys, environment)`, a function answering
  every flag for one user, with the flags looked up and compiled once instead of per user;
- `JsonLines`: the line of an answer is the user's JSON (encoded once per user) and the
  answer's (encoded once per answer object, or, for answers that share everything but their
  reason, once per shared part plus the reason's text). The lines are byte for byte those of
  `json.dumps(row, ensure_ascii=False)` of the command's row (`reconciler.commands.eval.row`): user,
  environment, flag, variation, values, rule, reason, exact.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from json.encoder import encode_basestring
from typing import Any

from reconciler.evaluation.result import Evaluation, Evaluator, UserContext

Answerer = Callable[[UserContext], list[Evaluation]]
_EXACT = ', "exact": true}\n'
CACHE_LIMIT = 65_536
"""Answer objects and shared parts remembered by `JsonLines` before it starts afresh."""


def answerer(evaluator: Evaluator, keys: list[str], environment: str) -> Answerer:
    """A function answering `keys` for one user: the evaluator's `bulk` when it has one, else
    its `evaluate_many`, else `evaluate` per flag."""
    bulk = getattr(evaluator, "bulk", None)
    if bulk is not None:
        found: Answerer = bulk(keys, environment)
        return found
    many = getattr(evaluator, "evaluate_many", None)
    if many is not None:
        return lambda user: list(many(keys, environment, user))
    return lambda user: [evaluator.evaluate(key, environment, user) for key in keys]


def answers_for(
    evaluator: Evaluator, keys: list[str], environment: str, users: Iterable[UserContext]
) -> Iterator[tuple[UserContext, list[Evaluation]]]:
    """Each user with its answers, in order."""
    answer = answerer(evaluator, keys, environment)
    for user in users:
        yield user, answer(user)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class JsonLines:
    """`eval -o json`'s lines for one user's answers after another (see the module)."""

    def __init__(self) -> None:
        self._answers: dict[int, tuple[Evaluation, str]] = {}
        self._shared: dict[tuple[Any, ...], tuple[Any, str]] = {}

    def lines(self, user: UserContext, answers: list[Evaluation]) -> str:
        """Every answer's line (each ending with a newline) for `user`."""
        start = '{"user": ' + _dumps(dict(user)) + ", "
        known = self._answers
        tails = []
        for answer in answers:
            seen = known.get(id(answer))
            if seen is not None and seen[0] is answer:
                tails.append(seen[1])
                continue
            tail = self._tail(answer)
            if len(known) >= CACHE_LIMIT:
                known.clear()
            known[id(answer)] = (answer, tail)  # holding the answer keeps its id unique
            tails.append(tail)
        return start + start.join(tails) if tails else ""

    def _tail(self, answer: Evaluation) -> str:
        """The answer's part of its line: all but the user, the reason encoded anew."""
        values = answer.values
        key = (answer.environment, answer.flag, answer.variation, answer.rule, id(values))
        shared = self._shared.get(key)
        if shared is None or shared[0] is not values:
            middle = _dumps(
                {
                    "environment": answer.environment,
                    "flag": answer.flag,
                    "variation": answer.variation,
                    "values": dict(values),
                    "rule": answer.rule,
                }
            )[1:-1]
            if len(self._shared) >= CACHE_LIMIT:
                self._shared.clear()
            shared = self._shared[key] = (values, middle + ', "reason": ')
        exact = _EXACT if answer.exact is True else f', "exact": {_dumps(answer.exact)}}}\n'
        reason = answer.reason
        text = encode_basestring(reason) if type(reason) is str else _dumps(reason)
        return shared[1] + text + exact


def json_lines(answer: Answerer) -> Callable[[UserContext], str]:
    """One user's `eval -o json` lines."""
    lines = JsonLines()
    return lambda user: lines.lines(user, answer(user))
