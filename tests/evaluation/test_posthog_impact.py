"""The exact impact of a PostHog split or rollout change is what evaluating many users before
and after finds (PostHog's rollout and variant hashes are uniform and independent:
posthog-python feature_flags.py `_hash`, `is_condition_match`, `get_matching_variant`)."""

from __future__ import annotations

from collections import Counter

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from reconciler.model import EnvironmentConfig, Flag, FlagSet, Target, Variation
from reconciler.providers.posthog.evaluate import arithmetic_impact, evaluator

USERS = [{"distinct_id": f"user-{n}"} for n in range(4000)]
TOLERANCE = 3.0  # percentage points: 4,000 users put the standard error under 1 point


def _flag(split: dict[str, float], percentage: float | None) -> Flag:
    variations = {key: Variation(name=key) for key in ("a", "b", "c")}
    target = Target(serve=split, percentage=percentage)
    return Flag(
        key="f",
        name="f",
        variations=variations,
        environments={"prod": EnvironmentConfig(enabled=True, targets=(target,))},
    )


def _moves(before: Flag, after: Flag) -> dict[str, float]:
    old, new = evaluator(FlagSet(flags={"f": before})), evaluator(FlagSet(flags={"f": after}))
    moved: Counter[str] = Counter()
    for user in USERS:
        was, now = old.evaluate("f", "prod", user), new.evaluate("f", "prod", user)
        if was.variation != now.variation:
            moved[f"{was.variation} -> {now.variation}"] += 1
    return {move: 100 * count / len(USERS) for move, count in moved.items()}


splits = st.lists(st.integers(1, 98), min_size=2, max_size=2, unique=True).map(
    lambda cuts: dict(zip("abc", [float(x) for x in _parts(sorted(cuts))], strict=True))
)


def _parts(cuts: list[int]) -> list[int]:
    bounds = [0, *cuts, 100]
    return [bounds[i + 1] - bounds[i] for i in range(3)]


@settings(max_examples=8, deadline=None)
@given(splits, splits)
def test_a_split_change_moves_the_overlap(old: dict[str, float], new: dict[str, float]) -> None:
    assume(old != new)
    impact = arithmetic_impact(_flag(old, None), _flag(new, None), "prod")
    assert impact is not None and impact.method == "arithmetic"
    seen = _moves(_flag(old, None), _flag(new, None))
    for move in set(seen) | set(impact.moves):
        assert abs(seen.get(move, 0) - impact.moves.get(move, 0)) < TOLERANCE, (move, seen)


@settings(max_examples=6, deadline=None)
@given(splits, st.integers(0, 100), st.integers(0, 100))
def test_a_rollout_change_moves_the_difference(split: dict[str, float], p: int, q: int) -> None:
    assume(p != q)
    before, after = _flag(split, float(p)), _flag(split, float(q))
    impact = arithmetic_impact(before, after, "prod")
    assert impact is not None
    assert impact.changed == abs(q - p)
    seen = _moves(before, after)
    for move in set(seen) | set(impact.moves):
        assert abs(seen.get(move, 0) - impact.moves.get(move, 0)) < TOLERANCE, (move, seen)


def test_a_rule_change_is_not_arithmetic() -> None:
    from reconciler.model import Audience, Filter

    staff = Filter(field="person", comparator="is", values=("x",), data_key="email")
    before = _flag({"a": 50, "b": 50}, None)
    target = Target(audience=Audience(filters=(staff,)), serve={"a": 50, "b": 50})
    after = before.model_copy(
        update={"environments": {"prod": EnvironmentConfig(enabled=True, targets=(target,))}}
    )
    assert arithmetic_impact(before, after, "prod") is None
