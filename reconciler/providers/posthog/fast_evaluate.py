"""PostHog's evaluation, specialised per flag for throughput: the same answers as the reference
walk in `evaluate.py` (`_Run`), at a fraction of its cost per user and flag.

`flagsync eval` of thousands of users against a thousand flags spends its time in what the
reference walk redoes for every pair: building reasons from parts, creating answer objects,
comparing a property value that every other user shares, hashing where no rollout asks for it.
Each flag is compiled once into a function of the user:

- a flag whose answer cannot depend on the user (inactive, experience continuity, an archived
  experiment) is one answer object, shared by every user;
- a flag whose conditions read only person properties (no group, cohort, flag dependency or
  holdout) walks precompiled conditions: each property predicate remembers its result per
  property value (text values only: the predicates read nothing else), the sha1 of
  "key.distinct_id" is computed only for a rollout under 100 % or a variant split, and the
  answers that do not name a bucket are built once and shared;
- anything else, and any step where the SDK could not decide (a predicate raises
  `Inconclusive`), is answered by the reference walk itself, so the reasons and the undecided
  cases stay the reference's word for word.

Answer objects are immutable and their `values` are read-only mappings, shared between users.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from reconciler.evaluation import Evaluation
from reconciler.providers.posthog.property_match import Inconclusive, Predicate, Properties

try:  # CPython's own sha1: the same digest as OpenSSL's, with less call overhead
    from _sha1 import sha1 as _sha1
except ImportError:  # pragma: no cover - other interpreters
    _sha1 = hashlib.sha1

LONG_SCALE = float(0xFFFFFFFFFFFFFFF)
MEMO_LIMIT = 4096
"""How many distinct values a predicate remembers before it starts afresh."""

FastFlag = Callable[[Any, bytes | None], Evaluation]
"""A compiled flag: (the parsed user, its distinct id as UTF-8 or None) -> the answer."""

_new = object.__new__
_set = object.__setattr__


def answer_like(template: Evaluation, reason: str) -> Evaluation:
    """A copy of `template` with another reason, without the frozen dataclass's slow init."""
    made = _new(Evaluation)
    fields = template.__dict__.copy()
    fields["reason"] = reason
    _set(made, "__dict__", fields)
    return made


def point(prefix: bytes, identity: bytes) -> float:
    """posthog-python `_hash` of `prefix + identity` (prefix: "key." or "key.", salt after):
    the first 15 hex digits of the sha1, i.e. the top 60 bits, over 0xFFFFFFFFFFFFFFF."""
    return (int.from_bytes(_sha1(prefix + identity).digest()[:8], "big") >> 4) / LONG_SCALE


def remembered(predicate: Predicate, key: str) -> Predicate:
    """`predicate`, answering again from memory for a text value it has seen. Only a result is
    remembered; a value it cannot decide raises every time. Flags that share a filter share
    its remembering predicate, so a value unique to one user (an email) is still compared
    once for all of them; the memory starts afresh when it is full."""
    memory: dict[str, bool] = {}

    def check(props: Properties) -> bool:
        value = props.get(key)
        if type(value) is not str:
            return predicate(props)
        known = memory.get(value)
        if known is None:
            known = predicate(props)
            if len(memory) >= MEMO_LIMIT:
                memory.clear()
            memory[value] = known
        return known

    check.shared = True  # type: ignore[attr-defined]  # flags share it: flag-major keeps its column
    return check


class Condition:
    """One condition of a person-property flag, with everything its answers say prebuilt."""

    __slots__ = (
        "checks",
        "hashes",
        "threshold",
        "out_prefix",
        "matched",
        "bucket_prefix",
        "no_bucket",
        "by_variant",
    )

    def __init__(
        self,
        checks: tuple[tuple[Predicate, str, bool], ...],
        rollout: float,
        out_prefix: str,
        matched: Evaluation,
    ) -> None:
        self.checks = checks
        """(predicate, the note when false, whether that note ends an early-exit walk)."""
        self.hashes = rollout < 100
        self.threshold = rollout / 100
        self.out_prefix = out_prefix
        self.matched = matched
        """The answer when the condition matches (its override, or `true`); for a variant
        split, the template whose reason the bucket completes."""
        self.bucket_prefix = ""
        self.no_bucket: Evaluation | None = None
        self.by_variant: dict[str, Evaluation] = {}


def compile_person_flag(
    key: str,
    environment: str,
    conditions: list[Condition],
    variants: tuple[tuple[float, float, str], ...],
    early_exit: bool,
    no_match: Evaluation,
    reference: FastFlag,
) -> FastFlag:
    """The function answering a flag whose conditions read only person properties."""
    rollout_prefix = f"{key}.".encode()
    variant_salt = b"variant"
    misses_seen: dict[tuple[str, ...], Evaluation] = {}

    def no_match_for(misses: list[str], named_bucket: bool) -> Evaluation:
        if not misses:
            return no_match
        if named_bucket:
            return answer_like(no_match, f"no condition matched ({'; '.join(misses)})")
        known = misses_seen.get(tuple(misses))
        if known is None:
            known = answer_like(no_match, f"no condition matched ({'; '.join(misses)})")
            if len(misses_seen) < MEMO_LIMIT:
                misses_seen[tuple(misses)] = known
        return known

    walk = tuple(
        (
            c.checks,
            c.hashes,
            c.threshold,
            c.out_prefix,
            c.matched,
            c.no_bucket,
            c.bucket_prefix,
            tuple(
                (low, high, c.by_variant[v], f" gives '{v}'")
                for low, high, v in (variants if c.no_bucket is not None else ())
            ),
        )
        for c in conditions
    )

    def run(user: Any, identity: bytes | None) -> Evaluation:
        if identity is None:
            return reference(user, identity)
        props = user.person
        misses: list[str] = []
        named_bucket = False
        try:
            for checks, hashes, threshold, out_prefix, matched, no_bucket, bucket, split in walk:
                note = None
                ends = False
                for predicate, false_note, ends_walk in checks:
                    if not predicate(props):
                        note, ends = false_note, ends_walk
                        break
                if note is None:
                    if hashes:
                        where = point(rollout_prefix, identity)
                        if where > threshold:
                            misses.append(f"{out_prefix} (bucket {where:.4f})")
                            named_bucket = True
                            if early_exit:
                                break
                            continue
                    if no_bucket is None:
                        return matched
                    where = point(rollout_prefix, identity + variant_salt)
                    for low, high, template, gives in split:
                        if low <= where < high:
                            return answer_like(template, f"{bucket}{where:.4f}{gives}")
                    return no_bucket
                misses.append(note)
                if early_exit and ends:
                    break
        except Inconclusive:
            return reference(user, identity)
        return no_match_for(misses, named_bucket)

    return run


Answer = Any
"""A variation-only answer: the variation key (str or None), or the summary's `Inexact`."""
FastVariation = Callable[[Any, bytes | None], Answer]


def compile_person_variation(
    key: str,
    conditions: list[Condition],
    variants: tuple[tuple[float, float, str], ...],
    early_exit: bool,
    no_match: str | None,
    reference: FastVariation,
) -> FastVariation:
    """`compile_person_flag`'s walk answering the variation key only (what `eval --summary`
    counts): no reason is formatted and no answer object made, so a bucket's position is
    compared, never printed."""
    rollout_prefix = f"{key}.".encode()
    variant_salt = b"variant"
    walk = tuple(
        (
            tuple((predicate, ends) for predicate, _, ends in c.checks),
            c.hashes,
            c.threshold,
            c.matched.variation,
            c.no_bucket is not None,
            None if c.no_bucket is None else c.no_bucket.variation,
            tuple(
                (low, high, c.by_variant[v].variation)
                for low, high, v in (variants if c.no_bucket is not None else ())
            ),
        )
        for c in conditions
    )

    def run(user: Any, identity: bytes | None) -> Answer:
        if identity is None:
            return reference(user, identity)
        props = user.person
        try:
            for checks, hashes, threshold, matched, splits, no_bucket, split in walk:
                missed = False
                ends = False
                for predicate, ends_walk in checks:
                    if not predicate(props):
                        missed, ends = True, ends_walk
                        break
                if not missed:
                    if hashes and point(rollout_prefix, identity) > threshold:
                        if early_exit:
                            break
                        continue
                    if not splits:
                        return matched
                    where = point(rollout_prefix, identity + variant_salt)
                    for low, high, variation in split:
                        if low <= where < high:
                            return variation
                    return no_bucket
                if early_exit and ends:
                    break
        except Inconclusive:
            return reference(user, identity)
        return no_match

    return run
