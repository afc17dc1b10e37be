"""The evaluators' variation-only entry (`variations`, what `eval --summary` counts) answers
what their full answers say: for every flag and user, the variation of an exact answer, and an
`Inexact` with the full answer's variation and reason otherwise.

Flags and users are the SDK agreement tests' generators (tests/e2e/test_posthog_eval_fidelity.py
and tests/e2e/test_devcycle_evaluation_agrees.py); many users go through one evaluator, as in
`flagsync eval --users`, so remembered predicate results are reused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.evaluation.summary import variation_of
from reconciler.model import Flag, FlagSet
from reconciler.providers.devcycle import evaluate as devcycle
from reconciler.providers.devcycle.live_ids import FlagIds, LiveView
from reconciler.providers.posthog import evaluate as posthog
from tests.e2e import test_devcycle_evaluation_agrees as dc
from tests.e2e.test_posthog_eval_fidelity import ENVIRONMENTS, flag_sets, users
from tests.evaluation.test_posthog_fast_path import complete_users

NOW = datetime(2026, 6, 1, tzinfo=UTC)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(flag_sets("f"), flag_sets("f", cohorts=True)),
    st.lists(st.one_of(users(), complete_users), min_size=1, max_size=12),
    st.sampled_from(sorted(ENVIRONMENTS)),
)
def test_posthog_variations_are_the_full_answers_variations(
    desired: FlagSet, people: list[dict[str, Any]], environment: str
) -> None:
    keys = [*desired.flags, "no-such-flag"]
    fast = posthog.evaluator(desired)
    variations = fast.variations(keys, environment)  # type: ignore[attr-defined]
    full = posthog.evaluator(desired, reference=True)
    for person in people:
        expected = [variation_of(full.evaluate(key, environment, person)) for key in keys]
        assert variations(person) == expected


class _Assigned(LiveView):
    """Ids as DevCycle would have assigned them once the flags are applied (ascending, as
    ObjectIds are), so splits and rollouts are exact."""

    def ids(self, flag: Flag) -> FlagIds | None:
        return FlagIds(
            variations={key: f"{n:024x}" for n, key in enumerate(flag.variations)},
            targets={
                env: tuple(f"{flag.key}-{env}-{n}" for n in range(len(config.targets)))
                for env, config in flag.environments.items()
            },
        )


platform = st.one_of(st.just({}), st.just({"platform": "Python", "platform_version": "3.12.1"}))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    dc.flag_sets("d", NOW),
    st.lists(st.builds(lambda u, p: {**u, **p}, dc.users(), platform), min_size=1, max_size=12),
    st.booleans(),
    st.booleans(),
)
def test_devcycle_variations_are_the_full_answers_variations(
    desired: FlagSet, people: list[dict[str, Any]], known_ids: bool, passthrough: bool
) -> None:
    keys = list(desired.flags)
    live = _Assigned() if known_ids else None
    mode = {"now": NOW, "passthrough_rollouts": passthrough}
    variations = devcycle.evaluator(desired, live, **mode).variations(keys, dc.ENV)
    full = devcycle.evaluator(desired, live, **mode)
    for person in people:
        expected = [variation_of(full.evaluate(key, dc.ENV, person)) for key in keys]
        assert variations(person) == expected
