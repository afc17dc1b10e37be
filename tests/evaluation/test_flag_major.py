"""`eval --summary`'s flag-major evaluation (`flag_major`: one flag over every user at a time)
answers each user what the evaluator's reference walk answers, user by user and flag by flag
(the variation, or an `Inexact` with the full answer's variation and reason); its counts are
those answers counted; and the digest bounds it compares PostHog's sha1 digests with decide
exactly as the per-user walk's float arithmetic does.

Flags and users are the SDK agreement tests' generators (tests/e2e/test_posthog_eval_fidelity.py
and tests/e2e/test_devcycle_evaluation_agrees.py), as in tests/evaluation/test_variation_only.py.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from reconciler.commands.eval import flag_keys
from reconciler.evaluation import flag_major
from reconciler.evaluation.summary import by_flags, summarise, variation_of, variations
from reconciler.manifest.loader import load_flags
from reconciler.model import FlagSet
from reconciler.providers.devcycle import bucketing
from reconciler.providers.devcycle import evaluate as devcycle
from reconciler.providers.devcycle.flag_major import _picks
from reconciler.providers.evaluators import evaluator_for
from reconciler.providers.posthog import evaluate as posthog
from reconciler.providers.posthog.fast_evaluate import LONG_SCALE
from reconciler.providers.posthog.flag_major import rollout_bound, split_table
from reconciler.workspace import load_workspace
from tests.e2e import test_devcycle_evaluation_agrees as dc
from tests.e2e.conftest import REPO
from tests.e2e.test_eval_summary import _users as summary_users
from tests.e2e.test_posthog_eval_fidelity import ENVIRONMENTS, flag_sets, users
from tests.evaluation.test_posthog_fast_path import complete_users
from tests.evaluation.test_variation_only import NOW, _Assigned

LAW = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _columns(parts: flag_major.FlagParts, keys: list[str], people: int) -> list[list[Any]]:
    return [flag_major.column(parts(index), people) for index in range(len(keys))]


@LAW
@given(
    st.one_of(flag_sets("f"), flag_sets("f", cohorts=True)),
    st.lists(st.one_of(users(), complete_users), min_size=1, max_size=16),
    st.sampled_from(sorted(ENVIRONMENTS)),
)
def test_posthog_flag_major_answers_are_the_reference_answers(
    desired: FlagSet, people: list[dict[str, Any]], environment: str
) -> None:
    keys = [*desired.flags, "no-such-flag"]
    fast = posthog.evaluator(desired)
    parts = fast.flag_major(keys, environment, people)  # type: ignore[attr-defined]
    full = posthog.evaluator(desired, reference=True)
    expected = [
        [variation_of(full.evaluate(key, environment, person)) for person in people] for key in keys
    ]
    assert _columns(parts, keys, len(people)) == expected
    counted = by_flags(posthog.evaluator(desired), keys, environment, people, workers=0)
    assert counted == [Counter(column) for column in expected]


def _point(digest: bytes) -> float:
    """posthog-python's hash of a digest, as the per-user walk computes it."""
    return (int.from_bytes(digest[:8], "big") >> 4) / LONG_SCALE


near_bounds = st.one_of(
    st.floats(0, 1),
    st.integers(0, 10_000).map(lambda n: n / 10_000),
    st.sampled_from([0.0, 1.0, 0.3333, 0.5, 1 - 2**-53, 2**-60]),
)


@st.composite
def digests(draw: st.DrawFn, near: float) -> bytes:
    """A sha1-sized digest, often within a few 60-bit steps of where `near` falls."""
    if draw(st.booleans()):
        return draw(st.binary(min_size=20, max_size=20))
    top = min(max(int(near * LONG_SCALE) + draw(st.integers(-4000, 4000)), 0), (1 << 60) - 1)
    low = draw(st.integers(0, 15))
    return ((top << 4) | low).to_bytes(8, "big") + draw(st.binary(min_size=12, max_size=12))


@settings(max_examples=500, deadline=None)
@given(st.data(), near_bounds)
def test_a_rollout_bound_decides_as_the_float_comparison(data: Any, threshold: float) -> None:
    digest = data.draw(digests(threshold))
    assert (digest < rollout_bound(threshold)) == (_point(digest) <= threshold)


@settings(max_examples=500, deadline=None)
@given(st.data(), st.lists(near_bounds, min_size=2, max_size=5))
def test_a_split_table_picks_the_first_variant_whose_range_holds_the_hash(
    data: Any, edges: list[float]
) -> None:
    edges.sort()
    variants = [(low, high, f"v{n}") for n, (low, high) in enumerate(itertools.pairwise(edges))]
    assume(variants)
    digest = data.draw(digests(data.draw(st.sampled_from(edges))))
    where = _point(digest)
    expected = next((v for low, high, v in variants if low <= where < high), "none")
    bounds, answers = split_table(variants, "none")
    assert answers[bisect_right(bounds, digest)] == expected


platform = st.one_of(st.just({}), st.just({"platform": "Python", "platform_version": "3.12.1"}))


@LAW
@given(
    dc.flag_sets("d", NOW),
    st.lists(st.builds(lambda u, p: {**u, **p}, dc.users(), platform), min_size=1, max_size=16),
    st.booleans(),
    st.booleans(),
)
def test_devcycle_flag_major_answers_are_the_full_answers(
    desired: FlagSet, people: list[dict[str, Any]], known_ids: bool, passthrough: bool
) -> None:
    keys = list(desired.flags)
    live = _Assigned() if known_ids else None
    mode = {"now": NOW, "passthrough_rollouts": passthrough}
    parts = devcycle.evaluator(desired, live, **mode).flag_major(keys, dc.ENV, people)
    full = devcycle.evaluator(desired, live, **mode)
    expected = [
        [variation_of(full.evaluate(key, dc.ENV, person)) for person in people] for key in keys
    ]
    assert _columns(parts, keys, len(people)) == expected
    counted = by_flags(devcycle.evaluator(desired, live, **mode), keys, dc.ENV, people, workers=0)
    assert counted == [Counter(column) for column in expected]


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.sampled_from([0.0, 0.25, 0.5, 1 / 3, 0.1, 1.0, -0.1]), min_size=1, max_size=4),
    st.lists(st.one_of(st.floats(0, 1), st.sampled_from([0.0, 0.25, 0.5, 1.0])), max_size=20),
)
def test_devcycle_split_codes_are_the_sdks_picks(
    fractions: list[float], hashes: list[float]
) -> None:
    bounds = bucketing.cumulative(fractions)
    expected = [
        len(bounds) if (index := bucketing.pick(bounds, h)) is None else index for h in hashes
    ]
    assert _picks(bounds, hashes) == expected


@pytest.mark.parametrize("vendor", ["posthog", "devcycle"])
@pytest.mark.parametrize("workers", [0, 2])
def test_the_example_workspaces_are_counted_flag_major(vendor: str, workers: int) -> None:
    """The command's path on real manifests: the flag-major count answers (no fallback to the
    user-by-user count) and counts what the user-by-user count counts, in workers too."""
    desired = load_flags(load_workspace(REPO / "tests" / "fixtures" / "examples" / vendor))
    keys = flag_keys(desired, "production")
    people = summary_users(1000)
    offline = evaluator_for(vendor, desired)  # one clock for both counts (rollouts move)
    by_user = summarise(variations(offline, keys, "production"), people, len(keys), workers=0)
    counted = by_flags(offline, keys, "production", people, workers=workers)
    assert counted is not None
    assert counted == by_user
