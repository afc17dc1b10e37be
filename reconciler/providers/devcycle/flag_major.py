"""DevCycle's variation-only evaluation, one flag over every user at a time (`eval --summary`'s
path; see `evaluation.flag_major`): the answers of `DevCycleEvaluator.variations` for each user,
with each step of a flag's first-match walk run as one loop over the users it concerns.

- An audience's results are a column over all users (`audience_columns`: each filter checked
  once per distinct value of its field), computed once per audience predicate (the compiler
  gives equal audiences one predicate, so flags sharing staff or beta testers share it).
- The murmurhash inputs of each user (its id, and its id with "_rollout") are encoded once; a
  target's rollout hashes only the users that reach it, its split only the users it serves.
- It follows `DevCycleEvaluator.evaluate` itself, not the variation-only walk: an answer that
  is inexact (an id DevCycle has not assigned yet, a platform field the user lacks: an
  unapplied workspace evaluated offline) is settled once for every user of its group, with the
  reason that walk gives.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from itertools import compress, pairwise, repeat
from operator import not_
from typing import Any

from reconciler.evaluation.flag_major import Looked, Part, Same
from reconciler.providers.devcycle import bucketing
from reconciler.providers.devcycle.audience_columns import UserTable
from reconciler.providers.devcycle.segmentation import Predicate, SdkUser

MASK = 0xFFFFFFFF


class Users:
    """The users of one summary as the walks read them: the SDK's view of each, its hash
    inputs, and the audience columns made so far."""

    def __init__(self, sdk_users: Sequence[SdkUser]) -> None:
        self.sdk = sdk_users
        self.count = len(sdk_users)
        self._ids: list[bytes] | None = None
        self._rollout_ids: list[bytes] | None = None
        self.table = UserTable(sdk_users)
        self.everyone = list(range(self.count))
        """Every user's position, in order: a step given this list reads columns as they are."""

    @property
    def ids(self) -> list[bytes]:
        """Each user's id as the murmurhash reads it (a split's input)."""
        if self._ids is None:
            self._ids = [bucketing.hash_input(user.user_id) for user in self.sdk]
        return self._ids

    @property
    def rollout_ids(self) -> list[bytes]:
        """Each user's id and "_rollout" as the murmurhash reads them (a rollout's input)."""
        if self._rollout_ids is None:
            self._rollout_ids = [
                bucketing.hash_input(user.user_id + "_rollout") for user in self.sdk
            ]
        return self._rollout_ids

    def column(self, audience: Predicate) -> list[bool]:
        """A target's audience for every user (`audience_columns`), once per audience."""
        return self.table.column(audience)


def bounded(data: list[bytes], users: list[int], seed: int) -> list[float]:
    """The bounded hashes (`bucketing.bucketing_hash`, `rollout_hash`) of `users`' inputs with
    a target's seed."""
    top, mask = bucketing.MAX_HASH_VALUE, seed & MASK
    if bucketing._mmh3 is None:  # pragma: no cover - mmh3 is a declared dependency
        murmur = bucketing.murmur3_32
        return [murmur(data[i], mask) / top for i in users]
    hashed = bucketing._mmh3.hash
    return [hashed(data[i], mask, False) / top for i in users]


Settle = Callable[[Any, str | None, str | None], Any]
"""(an answer of the flag, why it is inexact or None, the rollout that excluded the user or
None) -> the summary's answer: `evaluate._inexact`'s evaluation as `summary.variation_of`
sees it."""


Carried = dict[str | None, list[int]]
"""The users a step leaves to the next target, by why their answer is inexact."""


def _carry(carried: Carried, why: str | None, users: list[int]) -> None:
    if users:
        carried.setdefault(why, []).extend(users)


def walk(
    rules: Any, users: Users, passthrough: bool, settle: Settle, platform_unknown: str
) -> list[Part]:
    """One compiled flag's (`evaluate._Rules`, not fixed) answers for every user, by the
    steps of `DevCycleEvaluator.evaluate`, each over the users it concerns. Users are grouped
    by why their answer is inexact (None: exact), which a step may set, as that walk carries
    its `inexact` along."""
    found: list[Part] = []
    everyone = users.everyone
    groups: dict[str | None, list[int]] = {None: everyone}
    if rules.reads_platform:
        sdk = users.sdk
        lacking = [
            i for i in everyone if sdk[i].platform is None or sdk[i].platform_version is None
        ]
        if lacking:
            groups = {platform_unknown: lacking}
            if len(lacking) != len(everyone):
                kept = set(lacking)
                groups[None] = [i for i in everyone if i not in kept]
    for target in rules.targets:
        carried: Carried = {}
        share = target.rollout
        for why, pending in groups.items():
            if share is not None and passthrough and share < 1:
                if share == 0:
                    _carry(carried, why, pending)
                    continue
                guess = target.unknown_id
                if guess is None:
                    pending = _rollout(users, pending, target.seed, share, why, carried)
                else:  # stand-in hashes decide; inexact only if the audience holds the user
                    held = _held(users, pending, target.audience, why, carried)
                    if held:
                        tainted = why or guess
                        inside = _rollout(users, held, target.seed, share, tainted, carried)
                        _serve(found, rules, target, users, inside, tainted, passthrough, settle)
                    continue
            held = _held(users, pending, target.audience, why, carried)
            _serve(found, rules, target, users, held, why, passthrough, settle)
        groups = carried
        if not groups:
            break
    for why, left in groups.items():
        found.append(Same(settle(rules.none, why, None), left))
    return found


def _rollout(
    users: Users,
    pending: list[int],
    seed: int,
    share: float,
    why: str | None,
    carried: Carried,
) -> list[int]:
    """The users a passthrough rollout lets in; the others carried on (`hash > share`)."""
    if not pending:
        return pending
    hashes = bounded(users.rollout_ids, pending, seed)
    inside = [i for i, h in zip(pending, hashes, strict=True) if not h > share]
    if len(inside) != len(pending):
        _carry(carried, why, [i for i, h in zip(pending, hashes, strict=True) if h > share])
    return inside


def _held(
    users: Users,
    pending: list[int],
    audience: Predicate,
    why: str | None,
    carried: Carried,
) -> list[int]:
    """The users the audience holds; the others carried on."""
    if not pending:
        return pending
    values = users.column(audience)
    # every user, in order (never changed in place): the column itself selects them
    chosen = values if pending is users.everyone else list(map(values.__getitem__, pending))
    held = list(compress(pending, chosen))
    if len(held) != len(pending):
        _carry(carried, why, list(compress(pending, map(not_, chosen))))
    return held


def _picks(bounds: Sequence[float], hashes: list[float]) -> list[int]:
    """`bucketing.pick` of each hash, as a code (`len(bounds)`: no variation picked). Bounds
    that only rise are bisected (the first bound above the hash), but for a hash of 1 (its
    exception: an entry whose sum is exactly 1 holds it), which is `pick`ed."""
    nothing = len(bounds)
    pick = bucketing.pick

    def code(hash_value: float) -> int:
        index = pick(bounds, hash_value)
        return nothing if index is None else index

    if not hashes or min(hashes) < 0 or any(b < a for a, b in pairwise(bounds)):
        return list(map(code, hashes))
    codes = list(map(bisect_right, repeat(bounds), hashes))
    if max(hashes) >= 1:
        codes = [code(h) if h >= 1 else c for c, h in zip(codes, hashes, strict=True)]
    return codes


def _serve(
    found: list[Part],
    rules: Any,
    target: Any,
    users: Users,
    pending: list[int],
    why: str | None,
    passthrough: bool,
    settle: Settle,
) -> None:
    """`DevCycleEvaluator._serve` for the users the target holds."""
    if not pending:
        return
    share = target.rollout
    if share is not None and not passthrough:
        if 0 < share < 1:
            why = why or target.unknown_id
        excluded = f"target {target.rule}'s rollout"
        if share == 0:
            found.append(Same(settle(rules.none, why, excluded), pending))
            return
        if share < 1:
            hashes = bounded(users.rollout_ids, pending, target.seed)
            passes = bucketing.passes_rollout
            inside = [i for i, h in zip(pending, hashes, strict=True) if passes(share, h)]
            if len(inside) != len(pending):
                out = [i for i, h in zip(pending, hashes, strict=True) if not passes(share, h)]
                found.append(Same(settle(rules.none, why, excluded), out))
            pending = inside
            if not pending:
                return
    if not target.splits:
        found.append(Same(settle(target.served[0], why, None), pending))
        return
    why = why or target.unknown_id or target.unknown_order
    table = [settle(served, why, None) for served in target.served]
    table.append(settle(target.split_failure, why, None))
    hashes = bounded(users.ids, pending, target.seed)
    found.append(Looked(table, pending, _picks(target.bounds, hashes)))
