"""PostHog's variation-only evaluation, one flag over every user at a time (`eval --summary`'s
path; see `evaluation.flag_major`): the answers of `fast_evaluate.compile_person_variation`
for each user, with each step of a flag's walk run as one loop over the users it concerns.

- A property predicate's results are a column over all users, computed once per predicate (the
  evaluator shares one predicate among the flags with the same filter); a user for whom it
  cannot decide (`Inconclusive`) is answered by the reference walk, as in the per-user walk.
- A rollout or variant bucket is never turned into a number: posthog-python's hash is the top
  60 bits of a sha1 digest over 0xFFFFFFFFFFFFFFF, and the comparison `hash <= threshold`
  (`low <= hash < high`) is monotonic in those bits, so each threshold is turned once into the
  lowest digest prefix beyond it (found by bisection on the very float expression the per-user
  walk computes), and a user's digest is compared with it as bytes.
- A flag's rollout digest ("key.distinct_id") is computed once per user even when several
  conditions roll out, and only for the users whose properties match a rolling-out condition.
"""

from __future__ import annotations

import operator
from bisect import bisect_right
from collections.abc import Callable, Sequence
from functools import partial
from itertools import compress, repeat
from operator import is_
from typing import Any

from reconciler.evaluation.flag_major import Looked, Part, Same
from reconciler.providers.posthog.fast_evaluate import LONG_SCALE, Condition, _sha1
from reconciler.providers.posthog.property_match import Inconclusive, Predicate

TOP = 1 << 60
"""How many values the hash's 60 bits take."""
BEYOND = b"\xff" * 21
"""Greater than every 20-byte digest: the bound of a value the hash never reaches."""
_digest = type(_sha1(b"")).digest


def lowest(passes: Callable[[float], bool]) -> int:
    """The lowest 60-bit value `x` whose point `x / LONG_SCALE` passes (`passes` is monotonic:
    false, then true), or TOP when none does."""
    low, high = 0, TOP
    while low < high:
        middle = (low + high) // 2
        if passes(middle / LONG_SCALE):
            high = middle
        else:
            low = middle + 1
    return low


def bound(value: int) -> bytes:
    """The bytes a digest is at least exactly when its top 60 bits are at least `value`."""
    return BEYOND if value >= TOP else (value << 4).to_bytes(8, "big")


def rollout_bound(threshold: float) -> bytes:
    """A digest is inside a rollout (`point <= threshold`) exactly when it is below this."""
    return bound(lowest(partial(operator.lt, threshold)))  # threshold < where


def split_table(
    variants: Sequence[tuple[float, float, Any]], no_bucket: Any
) -> tuple[list[bytes], list[Any]]:
    """A variant split as sorted digest bounds and the answer of each interval between them:
    a digest's answer is `answers[bisect_right(bounds, digest)]`, the first variant with
    `low <= point < high`, else `no_bucket`, as the per-user walk decides."""
    edges: set[int] = set()
    ranges = []
    for low, high, answer in variants:
        start = lowest(partial(operator.le, low))  # low <= where
        stop = lowest(partial(operator.le, high))
        ranges.append((start, stop, answer))
        edges.update((start, stop))
    ordered = sorted(edge for edge in edges if edge < TOP)

    def answer_at(value: int) -> Any:
        for start, stop, answer in ranges:
            if start <= value < stop:
                return answer
        return no_bucket

    answers = [answer_at(0)] + [answer_at(edge) for edge in ordered]
    return [bound(edge) for edge in ordered], answers


Reference = Callable[[int], Any]
"""The reference walk's answer for one user (by position)."""


class PersonFlag:
    """One person-property flag compiled for the flag-major walk."""

    def __init__(
        self,
        key: str,
        conditions: list[Condition],
        variants: tuple[tuple[float, float, str], ...],
        early_exit: bool,
        no_match: Any,
        column: Callable[[Predicate], list[bool | None]],
    ) -> None:
        self.prefix = f"{key}.".encode()
        self.early_exit = early_exit
        self.no_match = no_match
        self.steps = []
        for c in conditions:
            checks = tuple((column(predicate), ends) for predicate, _, ends in c.checks)
            split = None
            if c.no_bucket is not None:
                table = [(low, high, c.by_variant[v].variation) for low, high, v in variants]
                split = split_table(table, c.no_bucket.variation)
            inside = rollout_bound(c.threshold) if c.hashes else None
            self.steps.append((checks, inside, c.matched.variation, split))
        self.shared_rollout = sum(1 for step in self.steps if step[1] is not None) > 1
        self.shared_split = sum(1 for step in self.steps if step[3] is not None) > 1

    def parts(
        self,
        live: list[int],
        identities: Sequence[bytes],
        salted: Sequence[bytes],
        reference: Reference,
    ) -> list[Part]:
        """The answers of the users at positions `live` (each with an identity; `salted`: the
        identity and "variant", the variant hash's input after the prefix)."""
        found: list[Part] = []
        undecided: list[int] = []
        no_match = self.no_match
        # every user, in order (never changed in place): a column selects them as it is
        everyone = live if len(live) == len(identities) else None
        early_exit = self.early_exit
        prefix = self.prefix
        rolled: dict[int, bytes] = {}
        bucketed: dict[int, bytes] = {}
        for checks, inside, matched, split in self.steps:
            if not live:
                break
            pending = live
            carried: list[int] = []
            for values, ends in checks:
                chosen = values if pending is everyone else list(map(values.__getitem__, pending))
                passed = list(compress(pending, chosen))
                if len(passed) != len(pending):
                    failed = list(compress(pending, map(is_, chosen, repeat(False))))
                    if len(failed) + len(passed) != len(pending):
                        undecided += compress(pending, map(is_, chosen, repeat(None)))
                    if early_exit and ends:
                        found.append(Same(no_match, failed))
                    else:
                        carried += failed
                pending = passed
                if not pending:
                    break
            if inside is not None and pending:
                if self.shared_rollout:
                    todo = [i for i in pending if i not in rolled]
                    rolled.update(zip(todo, _digests(prefix, todo, identities), strict=True))
                    digests: list[bytes] = [rolled[i] for i in pending]
                else:
                    digests = _digests(prefix, pending, identities)
                kept = list(compress(pending, map(inside.__gt__, digests)))
                if len(kept) != len(pending):
                    out = list(compress(pending, map(inside.__le__, digests)))
                    if early_exit:
                        found.append(Same(no_match, out))
                    else:
                        carried += out
                pending = kept
            if pending:
                if split is None:
                    found.append(Same(matched, pending))
                else:
                    bounds, answers = split
                    if self.shared_split:
                        todo = [i for i in pending if i not in bucketed]
                        made = _digests(prefix, todo, salted)
                        bucketed.update(zip(todo, made, strict=True))
                        digests = [bucketed[i] for i in pending]
                    else:
                        digests = _digests(prefix, pending, salted)
                    codes = list(map(bisect_right, repeat(bounds), digests))
                    found.append(Looked(answers, pending, codes))
            live = carried
        found.append(Same(no_match, live))
        if undecided:
            answers = [reference(i) for i in undecided]
            found.append(Looked(answers, undecided, list(range(len(undecided)))))
        return found


def _digests(prefix: bytes, users: list[int], identities: Sequence[bytes]) -> list[bytes]:
    """The sha1 digests of `prefix + identity` for `users`."""
    sha1, digest = _sha1, _digest
    return [digest(sha1(prefix + identities[i])) for i in users]


CACHE_CELLS = 20_000_000
"""At most this many users x predicates kept (a few hundred MB): beyond, the kept columns are
dropped and made again when asked (a file of a million users against many filters)."""


def columns(persons: Sequence[Any]) -> Callable[[Predicate], list[bool | None]]:
    """A predicate's results over `persons` (None where it cannot decide): kept for a
    predicate that flags share (`fast_evaluate.remembered`'s), made afresh for one of a single
    flag (a relative date, read at each evaluation)."""
    made: dict[Predicate, list[bool | None]] = {}

    def column(predicate: Predicate) -> list[bool | None]:
        found = made.get(predicate)
        if found is None:
            found = [_decide(predicate, props) for props in persons]
            if getattr(predicate, "shared", False):
                if (len(made) + 1) * len(persons) > CACHE_CELLS:
                    made.clear()
                made[predicate] = found
        return found

    return column


def _decide(predicate: Predicate, props: Any) -> bool | None:
    try:
        return bool(predicate(props))
    except Inconclusive:
        return None
