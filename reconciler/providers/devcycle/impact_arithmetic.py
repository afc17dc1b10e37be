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

A rollout change of the last target, named, is exact too: its hash (`<user id>_rollout`,
seeded by the same `_id`) is uniform and independent of the split's, so going from p to q %
at the plan's time moves |q - p| % of the users it could serve between nothing (no target
serves them: the code's default) and the split's variations, in the split's shares.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import permutations

from reconciler.model import Flag, Rollout, Target, canonical_time
from reconciler.plan import Impact
from reconciler.providers.devcycle import bucketing
from reconciler.providers.devcycle.translate import FRACTION_DIGITS

NONE = "(none)"
"""What a user no target serves gets (the code's default value), as the generic impact says."""
ROLLOUT_POPULATION = (
    "the users whose audience target {index} holds (no earlier target holding them), at {now}"
)
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
    """The exact impact, or None when the change is not one target's split alone or the
    last target's rollout alone."""
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
    # Unnamed targets get new `_id`s with every write: another target's split or rollout
    # would then move users too.
    others = [t for i, t in enumerate(new.targets) if i != index]
    if any(_hashed(t) and not t.name for t in others):
        return None
    if was.serve == now.serve:
        return _rollout_impact(after, environment, index, was, now, len(new.targets))
    if was.model_copy(update={"serve": now.serve}) != now:
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


def epoch_ms(moment: datetime) -> int:
    """A moment as the SDK's clock reads it: milliseconds since the epoch, UTC."""
    return (canonical_time(moment) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


def rollout_share(rollout: Rollout, now_ms: int) -> float:
    """The share (0..1) of its audience a rollout includes at `now_ms` (the SDK's arithmetic);
    the evaluator and the plan's impact both read a rollout through this."""
    start = rollout.start_percentage
    stages = [
        bucketing.Stage(
            round(stage.percentage / 100, FRACTION_DIGITS),
            epoch_ms(stage.at),
            stage.transition == "discrete",
        )
        for stage in rollout.stages
    ]
    return bucketing.rollout_percentage(
        rollout.type,
        epoch_ms(rollout.start),
        1.0 if start is None else round(start / 100, FRACTION_DIGITS),
        stages,
        now_ms,
    )


def _share(rollout: Rollout | None, now: datetime) -> float:
    """The share (0..1) of its audience a rollout includes at `now`; everyone without one."""
    return 1.0 if rollout is None else rollout_share(rollout, epoch_ms(now))


def _rollout_impact(
    after: Flag,
    environment: str,
    index: int,
    was: Target,
    now: Target,
    count: int,
    *,
    moment: datetime | None = None,
) -> Impact | None:
    """Only the last target's rollout changed (its audience and split did not)."""
    if index != count - 1 or not now.name or was.model_copy(update={"rollout": now.rollout}) != now:
        return None
    moment = moment or datetime.now(UTC)
    p, q = _share(was.rollout, moment), _share(now.rollout, moment)
    moves: dict[str, float] = {}
    for variation, share in now.serve.items():
        amount = round(abs(q - p) * share, 4)
        if amount:
            moves[f"{NONE} -> {variation}" if q > p else f"{variation} -> {NONE}"] = amount
    return Impact(
        flag=after.key,
        environment=environment,
        method="arithmetic",
        changed=round(abs(q - p) * 100, 4),
        population=ROLLOUT_POPULATION.format(
            index=index + 1, now=moment.strftime("%Y-%m-%d %H:%M UTC")
        ),
        moves=dict(sorted(moves.items())),
    )
