"""The exact impact of a DevCycle split change is what evaluating many users before and after
finds with DevCycle's bucketing (DevCycleHQ/js-sdks bucketing.ts `_generateBoundedHashes`,
`decideTargetVariation`: one uniform hash per user, seeded by the target's `_id`, walked in
order of the variations' `_id`s). A named target keeps its `_id`, so the overlap of the old and
new ranges moves; an unnamed one gets a new `_id`, so every user is bucketed afresh."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from reconciler.model import EnvironmentConfig, Flag, FlagSet, Rollout, Target, Variation
from reconciler.providers.devcycle.evaluate import arithmetic_impact, evaluator

USERS = [{"user_id": f"user-{n}"} for n in range(4000)]
TOLERANCE = 3.0  # percentage points: 4,000 users put the standard error under 1 point


def _flag(split: dict[str, float], name: str | None = "Everyone") -> Flag:
    variations = {key: Variation(name=key, values={}) for key in ("a", "b", "c")}
    target = Target(name=name, serve={k: v for k, v in split.items() if v})
    return Flag(
        key="f",
        name="f",
        variations=variations,
        environments={"prod": EnvironmentConfig(enabled=True, targets=(target,))},
    )


def _moves(before: Flag, after: Flag, *, same_target: bool = True) -> dict[str, float]:
    old = evaluator(FlagSet(flags={"f": before}))
    renamed = after.model_copy(update={"key": "f" if same_target else "g"})
    new = evaluator(FlagSet(flags={renamed.key: renamed}))
    moved: Counter[str] = Counter()
    for user in USERS:
        was = old.evaluate("f", "prod", user)
        now = new.evaluate(renamed.key, "prod", user)
        if was.variation != now.variation:
            moved[f"{was.variation} -> {now.variation}"] += 1
    return {move: 100 * count / len(USERS) for move, count in moved.items()}


def _parts(cuts: list[int], names: str) -> dict[str, float]:
    bounds = [0, *cuts, 100]
    return {names[i]: float(bounds[i + 1] - bounds[i]) for i in range(len(names))}


two_way = st.integers(1, 99).map(lambda cut: _parts([cut], "ab"))
three_way = st.lists(st.integers(1, 98), min_size=2, max_size=2, unique=True).map(
    lambda cuts: _parts(sorted(cuts), "abc")
)


def _agrees(seen: dict[str, float], moves: dict[str, float]) -> None:
    for move in set(seen) | set(moves):
        assert abs(seen.get(move, 0) - moves.get(move, 0)) < TOLERANCE, (move, seen, moves)


@settings(max_examples=6, deadline=None)
@given(two_way, two_way)
def test_a_named_targets_split_change_moves_the_overlap(old: dict, new: dict) -> None:
    assume(old != new)
    impact = arithmetic_impact(_flag(old), _flag(new), "prod")
    assert impact is not None and impact.method == "arithmetic"
    assert impact.changed == abs(old["a"] - new["a"])
    _agrees(_moves(_flag(old), _flag(new)), impact.moves)


@settings(max_examples=6, deadline=None)
@given(three_way, three_way)
def test_a_three_way_split_change_is_exact_only_when_the_walk_order_cannot_matter(
    old: dict, new: dict
) -> None:
    assume(old != new)
    impact = arithmetic_impact(_flag(old), _flag(new), "prod")
    if impact is not None:
        _agrees(_moves(_flag(old), _flag(new)), impact.moves)


@settings(max_examples=4, deadline=None)
@given(three_way, three_way)
def test_an_unnamed_targets_split_change_rebuckets_everyone(old: dict, new: dict) -> None:
    assume(old != new)
    impact = arithmetic_impact(_flag(old, None), _flag(new, None), "prod")
    assert impact is not None
    # the new target's `_id` is another one: here, the stand-in of another flag key
    _agrees(_moves(_flag(old, None), _flag(new, None), same_target=False), impact.moves)


def test_an_audience_change_is_not_arithmetic() -> None:
    before = _flag({"a": 50, "b": 50})
    config = before.environments["prod"]
    target = config.targets[0].model_copy(update={"name": "Renamed"})
    after = before.model_copy(
        update={"environments": {"prod": config.model_copy(update={"targets": (target,)})}}
    )
    assert arithmetic_impact(before, after, "prod") is None


def _rolled(percentage: float | None, split: dict[str, float]) -> Flag:
    flag = _flag(split)
    target = flag.environments["prod"].targets[0]
    rollout = None
    if percentage is not None:
        rollout = Rollout(
            type="gradual", start=datetime(2020, 1, 1, tzinfo=UTC), start_percentage=percentage
        )
    config = EnvironmentConfig(
        enabled=True, targets=(target.model_copy(update={"rollout": rollout}),)
    )
    return flag.model_copy(update={"environments": {"prod": config}})


@settings(max_examples=6, deadline=None)
@given(st.integers(0, 100), st.integers(0, 100), two_way)
def test_the_last_targets_rollout_change_moves_the_difference(p: int, q: int, split: dict) -> None:
    assume(p != q)
    before, after = _rolled(float(p), split), _rolled(float(q), split)
    impact = arithmetic_impact(before, after, "prod")
    assert impact is not None and impact.changed == pytest.approx(abs(q - p), abs=0.01)
    seen = _moves(before, after)
    _agrees({move.replace("None", "(none)"): share for move, share in seen.items()}, impact.moves)
