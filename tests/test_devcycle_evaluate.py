"""DevCycle's offline evaluator: what it answers, and when it says its answer is not exact.

Bucketing rules come from DevCycle's bucketing library (DevCycleHQ/js-sdks,
lib/shared/bucketing-assembly-script/assembly/: helpers/murmurhash.ts `murmurhashV3`,
bucketing/bucketing.ts `_generateBoundedHashes`, bucketing/segmentation.ts
`_evaluateOperator` and `_checkCustomData`); agreement with the vendor's SDK itself is shown by
tests/e2e/test_devcycle_evaluation_agrees.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.model import (
    Audience,
    EnvironmentConfig,
    Filter,
    Flag,
    FlagSet,
    ReusableAudience,
    Rollout,
    RolloutStage,
    Target,
    Variable,
    Variation,
)
from reconciler.providers.devcycle import bucketing
from reconciler.providers.devcycle.evaluate import BadUser, UnknownFlag, evaluator
from reconciler.providers.devcycle.live_ids import LiveView

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
ENV_ID = "env-production"


def _flag(*targets: Target, enabled: bool = True, **fields: Any) -> Flag:
    return Flag(
        key="checkout",
        name="Checkout",
        variables={"checkout-version": Variable(type="String", name="Version")},
        variations={
            "classic": Variation(name="Classic", values={"checkout-version": "v1"}),
            "redesign": Variation(name="Redesign", values={"checkout-version": "v2"}),
        },
        environments={"production": EnvironmentConfig(enabled=enabled, targets=targets)},
        **fields,
    )


def _live(flag: Flag, target_names: list[str | None], variations: dict[str, str]) -> LiveView:
    """A live view holding `flag` as DevCycle would return it: ids for each target and
    variation (the targets as applied: same audiences and splits, the names given)."""
    config = flag.environments["production"]
    targets = []
    for index, (target, name) in enumerate(zip(config.targets, target_names, strict=True)):
        raw: dict[str, Any] = {
            "_id": f"target-{index}",
            "audience": {"filters": {"operator": "and", "filters": [{"type": "all"}]}},
            "distribution": [
                {"_variation": variations[key], "percentage": pct / 100}
                for key, pct in target.serve.items()
            ],
        }
        if name:
            raw["name"] = name
        targets.append(raw)
    feature = {
        "key": flag.key,
        "variations": [{"key": key, "_id": vid} for key, vid in variations.items()],
        "configurations": [{"_environment": ENV_ID, "status": "active", "targets": targets}],
    }
    return LiveView(features={flag.key: feature}, environment_keys={ENV_ID: "production"})


SPLIT = Target(name="Everyone", serve={"classic": 90, "redesign": 10})
IDS = {"classic": "64b000000000000000000001", "redesign": "64b000000000000000000002"}


def test_a_single_variation_target_is_exact_without_live_ids() -> None:
    flags = FlagSet(flags={"checkout": _flag(Target(serve={"redesign": 100}))})
    got = evaluator(flags, now=NOW).evaluate("checkout", "production", {"user_id": "u1"})
    assert (got.variation, got.exact, dict(got.values)) == (
        "redesign",
        True,
        {"checkout-version": "v2"},
    )


def test_a_split_without_live_ids_is_inexact_and_says_why() -> None:
    flags = FlagSet(flags={"checkout": _flag(SPLIT)})
    got = evaluator(flags, now=NOW).evaluate("checkout", "production", {"user_id": "u1"})
    assert got.variation in ("classic", "redesign")
    assert not got.exact
    assert "_id" in got.reason and "'Everyone'" in got.reason


def test_a_split_with_live_ids_is_exact_and_hashes_the_target_id() -> None:
    flag = _flag(SPLIT)
    live = _live(flag, ["Everyone"], IDS)
    offline = evaluator(FlagSet(flags={"checkout": flag}), live, now=NOW)
    seed = bucketing.target_seed("target-0")
    for user_id in ("u1", "u2", "u3", "ana", "joe"):
        got = offline.evaluate("checkout", "production", {"user_id": user_id})
        assert got.exact, got.reason
        # Walked in descending `_id` order: redesign (…02) holds [0, 0.1), classic the rest.
        expected = "redesign" if bucketing.bucketing_hash(user_id, seed) < 0.1 else "classic"
        assert got.variation == expected


def test_a_changed_named_target_keeps_its_live_id_and_an_unnamed_one_does_not() -> None:
    applied = _flag(SPLIT, Target(serve={"classic": 50, "redesign": 50}))
    live = _live(applied, ["Everyone", None], IDS)
    changed = _flag(
        Target(name="Everyone", serve={"classic": 80, "redesign": 20}),
        Target(serve={"classic": 40, "redesign": 60}),
    )
    offline = evaluator(FlagSet(flags={"checkout": changed}), live, now=NOW)
    everyone = offline.evaluate("checkout", "production", {"user_id": "u1"})
    assert everyone.exact, everyone.reason
    ids = LiveView.ids(live, changed)
    assert ids is not None and ids.targets["production"] == ("target-0", None)


def test_a_new_variation_in_a_split_is_inexact() -> None:
    flag = _flag(SPLIT)
    live = _live(flag, ["Everyone"], {"classic": IDS["classic"], "redesign": IDS["redesign"]})
    grown = flag.model_copy(
        update={
            "variations": {**flag.variations, "bold": Variation(name="Bold")},
            "environments": {
                "production": EnvironmentConfig(
                    enabled=True,
                    targets=(Target(name="Everyone", serve={"classic": 50, "bold": 50}),),
                )
            },
        }
    )
    got = evaluator(FlagSet(flags={"checkout": grown}), live, now=NOW).evaluate(
        "checkout", "production", {"user_id": "u1"}
    )
    assert not got.exact
    assert "variation 'bold'" in got.reason


def _rollout_flag(rollout: Rollout) -> Flag:
    return _flag(Target(serve={"redesign": 100}, rollout=rollout))


def test_a_rollout_partway_needs_the_target_id_but_one_at_0_or_100_does_not() -> None:
    partway = Rollout(
        type="gradual",
        start=NOW - timedelta(days=1),
        start_percentage=0,
        stages=(RolloutStage(percentage=100, at=NOW + timedelta(days=1)),),
    )
    done = Rollout(type="schedule", start=NOW - timedelta(hours=1))
    pending = Rollout(type="schedule", start=NOW + timedelta(hours=1))
    exact = {}
    served = {}
    for name, rollout in (("partway", partway), ("done", done), ("pending", pending)):
        got = evaluator(FlagSet(flags={"checkout": _rollout_flag(rollout)}), now=NOW).evaluate(
            "checkout", "production", {"user_id": "u1"}
        )
        exact[name], served[name] = got.exact, got.variation
    assert exact == {"partway": False, "done": True, "pending": True}
    assert served["done"] == "redesign" and served["pending"] is None


def test_rollout_share_follows_the_stages_at_now() -> None:
    start = 0
    stages = [
        bucketing.Stage(0.2, 1000, discrete=True),
        bucketing.Stage(0.6, 2000, discrete=False),
    ]
    share = bucketing.rollout_percentage
    assert share("gradual", start, 0.1, stages, 500) == 0.1  # started, before any stage
    assert share("gradual", start, 0.1, stages, 1000) == 0  # the vendor's: elapsed 0 -> 0 %
    assert share("gradual", start, 0.1, stages[:1], 1000) == 0.2
    assert share("gradual", start, 0.1, stages, 1500) == pytest.approx(0.4)
    assert share("gradual", start, 0.1, stages, 2500) == 0.6
    assert share("gradual", 100, 0.1, stages, 50) == 0  # not started
    assert share("schedule", 100, 0.1, (), 100) == 1


def test_a_platform_filter_without_the_sdk_platform_is_inexact() -> None:
    python_only = Audience(filters=(Filter(field="platform", comparator="is", values=("Python",)),))
    flags = FlagSet(
        flags={"checkout": _flag(Target(audience=python_only, serve={"redesign": 100}))}
    )
    offline = evaluator(flags, now=NOW)
    unknown = offline.evaluate("checkout", "production", {"user_id": "u1"})
    known = offline.evaluate(
        "checkout",
        "production",
        {"user_id": "u1", "platform": "Python", "platform_version": "3.11.9"},
    )
    assert not unknown.exact and "platform" in unknown.reason
    assert (known.exact, known.variation) == (True, "redesign")


def test_off_archived_and_complete_flags() -> None:
    off = _flag(Target(serve={"redesign": 100}), enabled=False)
    archived = _flag(Target(serve={"redesign": 100}), status="archived")
    complete = _flag(SPLIT, status="complete", static_variation="classic")
    flags = FlagSet(flags={"off": off, "archived": archived, "complete": complete})
    offline = evaluator(flags, now=NOW)
    answers = {key: offline.evaluate(key, "production", {"user_id": "u1"}) for key in flags.flags}
    assert answers["off"].variation is None and "off" in answers["off"].reason
    assert answers["archived"].variation is None and "archived" in answers["archived"].reason
    assert (answers["complete"].variation, answers["complete"].exact) == ("classic", True)
    assert offline.evaluate("off", "staging", {"user_id": "u1"}).variation is None


def test_in_an_all_the_first_nested_group_decides_alone() -> None:
    """segmentation.ts `_evaluateOperator`: an `and` returns its first nested operator's result,
    so the filter after the group is never read."""
    us = Filter.group("any", (Filter(field="country", comparator="is", values=("US",)),))
    audience = Audience(
        match="all", filters=(us, Filter(field="email", comparator="is", values=("x@acme.com",)))
    )
    flags = FlagSet(flags={"checkout": _flag(Target(audience=audience, serve={"redesign": 100}))})
    got = evaluator(flags, now=NOW).evaluate(
        "checkout", "production", {"user_id": "u1", "country": "US", "email": "other@example.org"}
    )
    assert got.variation == "redesign"


def test_custom_data_types_and_missing_values() -> None:
    plan_is_not_pro = Filter(
        field="custom",
        comparator="is_not",
        values=("pro",),
        data_key="plan",
        data_key_type="String",
    )
    seats = Filter(
        field="custom", comparator="gte", values=(5,), data_key="seats", data_key_type="Number"
    )
    audiences = {
        "prospects": ReusableAudience(
            key="prospects", name="Prospects", audience=Audience(filters=(plan_is_not_pro, seats))
        )
    }
    in_prospects = Audience(
        filters=(Filter(field="audience", comparator="is", values=("prospects",)),)
    )
    flags = FlagSet(
        flags={"checkout": _flag(Target(audience=in_prospects, serve={"redesign": 100}))},
        audiences=audiences,
    )
    offline = evaluator(flags, now=NOW)

    def served(custom: dict[str, Any]) -> str | None:
        return offline.evaluate(
            "checkout", "production", {"user_id": "u", "customData": custom}
        ).variation

    assert served({"seats": 5}) == "redesign"  # a missing property passes is_not
    assert served({"seats": "5"}) is None  # a string is not a Number
    assert served({"plan": "pro", "seats": 9}) is None
    assert served({"plan": None, "seats": 9}) is None  # null is a string that is absent
    assert (
        offline.evaluate(
            "checkout", "production", {"user_id": "u", "privateCustomData": {"seats": 7}}
        ).variation
        == "redesign"
    )


def test_unknown_flags_and_users_without_an_id_are_refused() -> None:
    offline = evaluator(FlagSet(flags={"checkout": _flag()}), now=NOW)
    with pytest.raises(UnknownFlag, match="no flag 'nope'"):
        offline.evaluate("nope", "production", {"user_id": "u1"})
    with pytest.raises(BadUser, match="user_id"):
        offline.evaluate("checkout", "production", {"email": "a@acme.com"})


@given(st.binary(max_size=40), st.integers(0, 2**32 - 1))
def test_murmurhash_in_python_equals_the_c_one(data: bytes, seed: int) -> None:
    import mmh3

    assert bucketing.murmur3_32(data, seed) == mmh3.hash(data, seed, signed=False)


def test_murmurhash_reads_every_non_ascii_code_unit_as_a_backslash() -> None:
    assert bucketing.murmur3_32(b"hello", 0) == 613153351  # MurmurHash3_x86_32 reference
    assert bucketing.hash_input("aé\U0001f600") == b"a\\\\\\"
    assert bucketing.murmurhash_v3("é", 1) == bucketing.murmurhash_v3("\\", 1)


def test_without_passthrough_a_rollout_that_leaves_the_user_out_serves_nothing() -> None:
    """bucketing.ts `doesUserQualifyForFeature`: with `disablePassthroughRollouts`, the first
    target whose audience holds the user decides, and its rollout is checked after."""
    pending = Rollout(type="schedule", start=NOW + timedelta(days=1))
    flag = _flag(Target(serve={"redesign": 100}, rollout=pending), Target(serve={"classic": 100}))
    flags = FlagSet(flags={"checkout": flag})
    user = {"user_id": "u1"}
    passthrough = evaluator(flags, now=NOW).evaluate("checkout", "production", user)
    strict = evaluator(flags, now=NOW, passthrough_rollouts=False).evaluate(
        "checkout", "production", user
    )
    assert passthrough.variation == "classic"
    assert strict.variation is None and "rollout" in strict.reason
