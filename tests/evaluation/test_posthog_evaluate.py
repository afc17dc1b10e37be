"""flagsync's offline PostHog evaluation: the answers a user reads from `flagsync eval`.

Sources: posthog-python feature_flags.py (`_hash`, `is_condition_match`, `get_matching_variant`,
`_match_flag_conditions`, `match_cohort`) and client.py (`_compute_group_flag_locally`); the
agreement with the SDK on generated flags is tests/e2e/test_posthog_eval_fidelity.py."""

from __future__ import annotations

from typing import Any

from reconciler.model import Audience, EnvironmentConfig, Filter, Flag, FlagSet, Target, Variation
from reconciler.providers.posthog.evaluate import bucket, evaluator


def _flags(*targets: Target, variations: dict[str, Variation] | None = None, **kw: Any) -> FlagSet:
    flag = Flag(
        key="f",
        name="f",
        variations=variations or {},
        environments={"prod": EnvironmentConfig(enabled=True, targets=targets)},
        **kw,
    )
    return FlagSet(flags={"f": flag})


def _person(key: str, comparator: str, *values: Any) -> Filter:
    return Filter.model_validate(
        {"field": "person", "comparator": comparator, "data_key": key, "values": values}
    )


def test_rollout_uses_the_sdk_hash() -> None:
    # posthog-python `_hash("f", id)`: sha1 of "f.<id>", 15 hex digits over 0xFFFFFFFFFFFFFFF
    import hashlib

    expected = int(hashlib.sha1(b"f.user-7").hexdigest()[:15], 16) / float(0xFFFFFFFFFFFFFFF)
    assert bucket("f", "user-7") == expected
    flags = _flags(Target(percentage=50))
    users = [f"user-{n}" for n in range(200)]
    answers = [evaluator(flags).evaluate("f", "prod", {"distinct_id": u}) for u in users]
    on = {a.variation for a in answers}
    assert on == {"true", "false"}
    assert all(
        (a.variation == "true") == (bucket("f", u) <= 0.5)
        for a, u in zip(answers, users, strict=True)
    )


def test_first_matching_condition_and_its_override_win() -> None:
    flags = _flags(
        Target(
            name="Staff",
            audience=Audience(filters=(_person("email", "contains", "@acme.com"),)),
            serve={"b": 100},
        ),
        Target(name="Everyone", serve={"a": 50, "b": 50}),
        variations={"a": Variation(name="a"), "b": Variation(name="b", payload={"x": 1})},
    )
    staff = evaluator(flags).evaluate("f", "prod", {"distinct_id": "u", "email": "Jo@ACME.com"})
    assert (staff.variation, staff.rule, staff.values["payload"]) == ("b", "Staff", {"x": 1})


def test_a_cohort_or_a_missing_property_is_not_guessed() -> None:
    cohort = Filter(field="cohort", comparator="is", values=("Beta",))
    flags = _flags(Target(audience=Audience(filters=(cohort,))), Target())
    answer = evaluator(flags).evaluate("f", "prod", {"distinct_id": "u"})
    assert not answer.exact and answer.variation is None and "cohort" in answer.reason
    flags = _flags(Target(audience=Audience(filters=(_person("plan", "is", "pro"),))))
    answer = evaluator(flags).evaluate("f", "prod", {"distinct_id": "u"})
    assert not answer.exact and "plan" in answer.reason


def test_a_group_flag_is_false_without_the_group() -> None:
    company = Filter(
        field="group", comparator="is", values=("acme",), data_key="name", group_type="company"
    )
    flags = _flags(Target(audience=Audience(filters=(company,))))
    ev = evaluator(flags)
    assert ev.evaluate("f", "prod", {"distinct_id": "u"}).variation == "false"
    user = {
        "distinct_id": "u",
        "groups": {"company": "c1"},
        "group_properties": {"company": {"name": "ACME"}},
    }
    assert ev.evaluate("f", "prod", user).variation == "true"
