"""The exact impact of a PostHog split or rollout change, from PostHog's bucketing.

PostHog buckets a user into a condition's rollout with `sha1(key.id)` and into a variant with
`sha1(key.id + "variant")` (posthog-python feature_flags.py `_hash`, `is_condition_match`,
`get_matching_variant`): two uniform, independent numbers in [0, 1]. So when only the variant
split changes, the users who move are those whose variant bucket lands in another variant's
range, the overlap of the old and new ranges; and when only the last condition's rollout
changes from p to q %, |q - p| % of the users reaching that condition move between `false` and
what the condition serves. Anything else (an audience, an order, several changes at once) is
left to the sample or stated unknown.
"""

from __future__ import annotations

from reconciler.model import Flag
from reconciler.plan import Impact
from reconciler.providers.posthog.translate import variant_split


def _intervals(split: dict[str, float]) -> list[tuple[str, float, float]]:
    rows, low = [], 0.0
    for key, share in split.items():
        rows.append((key, low, low + share))
        low += share
    return rows


def _split_moves(old: dict[str, float], new: dict[str, float]) -> dict[str, float]:
    moves: dict[str, float] = {}
    for was, low, high in _intervals(old):
        for now, new_low, new_high in _intervals(new):
            overlap = min(high, new_high) - max(low, new_low)
            if was != now and overlap > 0:
                moves[f"{was} -> {now}"] = round(overlap, 4)
    return moves


def arithmetic_impact(before: Flag, after: Flag, environment: str) -> Impact | None:
    """The exact impact, or None when the change is not only a split or a last rollout."""
    old, new = before.environments.get(environment), after.environments.get(environment)
    if old is None or new is None or not (old.enabled and new.enabled):
        return None
    if list(before.variations) != list(after.variations) or len(old.targets) != len(new.targets):
        return None
    if before.settings != after.settings:
        return None
    pairs = list(zip(old.targets, new.targets, strict=True))
    overrides = [len(t.serve) == 1 for t, _ in pairs]
    for (was, now), single in zip(pairs, overrides, strict=True):
        if was.audience != now.audience or (single and was.serve != now.serve):
            return None
        if single != (len(now.serve) == 1):
            return None
    variations = bool(before.variations)
    old_split = variant_split(before, old) if variations else {}
    new_split = variant_split(after, new) if variations else {}
    split_used = variations and not all(overrides)
    split_changed = split_used and old_split != new_split
    rollouts = [i for i, (was, now) in enumerate(pairs) if was.percentage != now.percentage]
    if split_changed and not rollouts:
        moves = _split_moves(old_split, new_split)
        return Impact(
            flag=after.key,
            environment=environment,
            method="arithmetic",
            changed=round(sum(moves.values()), 4),
            population="the users the variant split serves (a condition without an override)",
            moves=moves,
        )
    if split_changed or len(rollouts) != 1 or rollouts[0] != len(pairs) - 1:
        return None
    index = rollouts[0]
    was, now = pairs[index]
    p = 100.0 if was.percentage is None else was.percentage
    q = 100.0 if now.percentage is None else now.percentage
    if overrides[index] or not variations:
        served = {next(iter(now.serve)) if now.serve else "true": 100.0}
    else:
        served = new_split
    moves = {}
    for value, share in served.items():
        amount = round(abs(q - p) * share / 100, 4)
        if amount:
            moves[f"false -> {value}" if q > p else f"{value} -> false"] = amount
    return Impact(
        flag=after.key,
        environment=environment,
        method="arithmetic",
        changed=round(abs(q - p), 4),
        population=(
            f"the users who reach condition {index + 1} (no earlier condition matches them) "
            "and match its audience"
        ),
        moves=moves,
    )
