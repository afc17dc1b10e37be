"""The PostHog evaluator's specialised flags (`fast_evaluate`) answer exactly as its reference
walk does: variation, values (the SDK's value and the payload), rule, reason word for word,
exactness, for every flag and user; and `eval -o json`'s lines built in bulk are the bytes of
`json.dumps` of each row.

The flags and users are the SDK agreement test's generators
(tests/e2e/test_posthog_eval_fidelity.py: every operator flagsync writes, rollouts, splits,
overrides, payloads, dependencies, groups, early exit, experience continuity, cohorts), and users
carrying every property; many users go through one evaluator, so the predicates' remembered
values are reused as they are in `flagsync eval --users`."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.commands.eval import row
from reconciler.evaluation.bulk import JsonLines, answers_for
from reconciler.model import EnvironmentConfig, Flag, FlagSet, Target
from reconciler.providers.posthog.evaluate import evaluator
from tests.e2e.test_posthog_eval_fidelity import (
    ENVIRONMENTS,
    POOLS,
    flag_sets,
    property_values,
    users,
)

# Users with every property the flags read: the specialised walk decides every condition
# (a missing property sends the answer to the reference walk).
complete_users = st.builds(
    lambda user, person: {**user, **person},
    users(),
    st.fixed_dictionaries({key: property_values for key in POOLS}),
)


def _same(fast: Any, reference: Any) -> None:
    as_fields = [
        (a.flag, a.environment, a.variation, dict(a.values), a.rule, a.reason, a.exact)
        for a in fast
    ]
    assert as_fields == [
        (a.flag, a.environment, a.variation, dict(a.values), a.rule, a.reason, a.exact)
        for a in reference
    ]
    assert fast == reference


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(flag_sets("f"), flag_sets("f", cohorts=True)),
    st.lists(st.one_of(users(), complete_users), min_size=1, max_size=12),
    st.sampled_from(sorted(ENVIRONMENTS)),
)
def test_specialised_flags_answer_as_the_reference_walk(
    desired: FlagSet, people: list[dict[str, Any]], environment: str
) -> None:
    keys = [*desired.flags, "no-such-flag"]
    fast = evaluator(desired)
    reference = evaluator(desired, reference=True)
    for person in people:
        _same(
            fast.evaluate_many(keys, environment, person),  # type: ignore[attr-defined]
            [reference.evaluate(key, environment, person) for key in keys],
        )
        # one flag at a time, as `flagsync test` asks, the same again
        _same([fast.evaluate(key, environment, person) for key in keys],
              [reference.evaluate(key, environment, person) for key in keys])  # fmt: skip


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flag_sets("j", cohorts=True), st.lists(users(), min_size=1, max_size=6))
def test_bulk_json_lines_are_json_dumps_of_each_row(
    desired: FlagSet, people: list[dict[str, Any]]
) -> None:
    keys = list(desired.flags)
    lines = JsonLines()
    for user, answers in answers_for(evaluator(desired), keys, "production", people):
        expected = "".join(json.dumps(row(user, a), ensure_ascii=False) + "\n" for a in answers)
        assert lines.lines(user, answers) == expected


def test_a_constant_flag_is_one_answer_for_every_user() -> None:
    """An inactive flag, or one whose only condition is everyone at 100 %, reads nothing of
    the user: every user gets the same answer object (no per-user work)."""
    flags = FlagSet(
        flags={
            key: Flag(
                key=key,
                name=key,
                environments={"prod": EnvironmentConfig(enabled=on, targets=(Target(),))},
            )
            for key, on in (("off", False), ("everyone", True))
        }
    )
    answer = evaluator(flags).bulk(["off", "everyone"], "prod")  # type: ignore[attr-defined]
    first, second = answer({"distinct_id": "a"}), answer({"distinct_id": "b", "plan": "pro"})
    assert [a.variation for a in first] == ["false", "true"]
    assert all(x is y for x, y in zip(first, second, strict=True))
