"""The exact impact of a DevCycle split change, from DevCycle's bucketing.

DevCycle picks a user's variation in a target's distribution with a hash of the user id seeded
by the target's `_id`, walking the distribution in order of the variations' `_id`s
(DevCycleHQ/js-sdks, lib/shared/bucketing-assembly-script/assembly/bucketing/bucketing.ts,
`_generateBoundedHashes` and `decideTargetVariation`; here `bucketing.bucketing_hash`,
`bucketing.id_order`, `bucketing.pick`): one uniform number per user and target. So when only
one target's split changes and the target keeps its `_id` (flagsync keeps a named target's
`_id`, `translate.config_body`), the users who move are those whose hash lands in another
variation's range: the overlap of the old and new ranges. The order of the walk comes from ids
DevCycle assigns; the answer is given only when every order gives the same moves (always so for
two variations), else the change is left to the sample. An unnamed target is sent without an
`_id` and DevCycle gives it a new one, so every user is bucketed afresh: from `a` to `b` moves
old share of `a` times new share of `b`. Anything else (an audience, a rollout, an order,
several targets) is left to the sample or stated unknown.
"""

from __future__ import annotations

from itertools import permutations

from reconciler.model import Flag, Target
from reconciler.plan import Impact

POPULATION = "the users target {index} serves (its audience, no earlier target holding them)"
ORDERINGS_CHECKED = 6
"""Distributions of up to this many variations are checked in every walk order (6! orders)."""


def _moves_in_order(
    old: dict[str, float], new: dict[str, float], order: tuple[str, ...]
) -> dict[str, float]:
    moves: dict[str, float] = {}
    low_old = low_new = 0.0
    ranges_new: list[tuple[str, float, float]] = []
    for key in order:
        ranges_new.append((key, low_new, low_new + new.get(key, 0.0)))
        low_new += new.get(key, 0.0)
    for was in order:
        high_old = low_old + old.get(was, 0.0)
        for now, low, high in ranges_new:
            overlap = min(high_old, high) - max(low_old, low)
            if was != now and overlap > 1e-9:
                moves[f"{was} -> {now}"] = round(moves.get(f"{was} -> {now}", 0.0) + overlap, 4)
        low_old = high_old
    return moves


def _overlap_moves(old: dict[str, float], new: dict[str, float]) -> dict[str, float] | None:
    keys = sorted(set(old) | set(new))
    if len(keys) > ORDERINGS_CHECKED:
        return None
    found: dict[str, float] | None = None
    for order in permutations(keys):
        moves = _moves_in_order(old, new, order)
        if found is not None and moves != found:
            return None
        found = moves
    return found or {}


def _fresh_moves(old: dict[str, float], new: dict[str, float]) -> dict[str, float]:
    moves = {
        f"{was} -> {now}": round(old[was] * new[now] / 100, 4)
        for was in old
        for now in new
        if was != now and old[was] and new[now]
    }
    return {move: share for move, share in sorted(moves.items()) if share}


def _hashed(target: Target) -> bool:
    """Whether users' answers from this target depend on its `_id` (a split or a rollout)."""
    return len(target.serve) > 1 or target.rollout is not None


def arithmetic_impact(before: Flag, after: Flag, environment: str) -> Impact | None:
    """The exact impact, or None when the change is not one target's split alone."""
    old, new = before.environments.get(environment), after.environments.get(environment)
    if old is None or new is None or not (old.enabled and new.enabled):
        return None
    if before.variations != after.variations or len(old.targets) != len(new.targets):
        return None
    if before.status != "active" or after.status != "active":
        return None
    changed = [
        i for i, (was, now) in enumerate(zip(old.targets, new.targets, strict=True)) if was != now
    ]
    if len(changed) != 1:
        return None
    index = changed[0]
    was, now = old.targets[index], new.targets[index]
    if was.model_copy(update={"serve": now.serve}) != now or was.serve == now.serve:
        return None
    # Unnamed targets get new `_id`s with every write: another target's split or rollout
    # would then move users too.
    others = [t for i, t in enumerate(new.targets) if i != index]
    if any(_hashed(t) and not t.name for t in others):
        return None
    if now.name:
        moves = _overlap_moves(was.serve, now.serve)
        if moves is None:
            return None
    elif now.rollout is None:
        moves = _fresh_moves(was.serve, now.serve)
    else:
        return None  # a new `_id` re-draws who the rollout includes too
    return Impact(
        flag=after.key,
        environment=environment,
        method="arithmetic",
        changed=round(sum(moves.values()), 4),
        population=POPULATION.format(index=index + 1),
        moves=dict(sorted(moves.items())),
    )
