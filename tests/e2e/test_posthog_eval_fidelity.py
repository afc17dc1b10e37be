"""Fidelity: flagsync's offline PostHog evaluation gives the answer of the official `posthog`
SDK's local evaluation, on hypothesis-generated flags and users.

Each example applies generated flags (conditions with every operator flagsync writes for
PostHog, rollouts, variant splits and overrides, payloads, flag dependencies, company group
flags, early exit, experience continuity) to the emulator through flagsync's provider; the SDK
loads them with a personal API key (`load_feature_flags`, as deployed servers do) and evaluates
every flag for generated users with `only_evaluate_locally=True`. The law:

- where flagsync answers exactly, the SDK answers the same value and payload;
- where flagsync says it cannot decide, the SDK cannot either (it returns None) - unless the
  reason is a cohort, whose members flagsync does not know (the SDK has the cohort's definition).

Source of the SDK behaviour: posthog-python client.py `_compute_flag_locally`, feature_flags.py
`match_feature_flag_properties` (the module the evaluator follows, see its docstring).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.apply import apply_plan
from reconciler.emulator import EmulatorConfig, EmulatorServer
from reconciler.emulator.posthog import (
    PERSONAL_API_KEY,
    PRODUCTION_PROJECT_API_KEY,
    STAGING_PROJECT_API_KEY,
)
from reconciler.model import Audience, EnvironmentConfig, Filter, Flag, FlagSet, Target, Variation
from reconciler.providers.posthog.client import PostHogClient
from reconciler.providers.posthog.evaluate import evaluator
from reconciler.providers.posthog.provider import PostHogProvider
from reconciler.reconcile import PlanOptions, make_plan
from reconciler.workspace import EnvironmentSettings, Workspace
from tests.strategies import SEMVER_COMPARATORS, json_values, whole_splits

posthog = pytest.importorskip("posthog")
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

ENVIRONMENTS = {"staging": STAGING_PROJECT_API_KEY, "production": PRODUCTION_PROJECT_API_KEY}
_unique = itertools.count()

# Property values users carry and filters compare, drawn from the same pools so they meet.
POOLS: dict[str, list[Any]] = {
    "email": ["jane@acme.com", "JOE@ACME.COM", "ann@beta.example.com", "bob@example.org", ""],
    "plan": ["free", "pro", "enterprise", "true", True, False, 5, "5", 2.5],
    "version": ["1.2.3", "v2.0.0", "0.4.1", "10", "1.2", "1.2.3-beta.1", "bad", 2, "01.2.3"],
    "signup": ["2025-01-01", "2026-03-01T10:00:00Z", "2024-12-31 UTC", "not a date", 5],
    "score": [10, -5, "20", "1e3", 3.5, True, "abc", 0],
}
NEEDLES = ["acme", "@ACME.com", "example", "e", "pro", "5"]
PATTERNS = ["^j", "acme\\.com$", "[0-9]+", "a|b", "(ab)+", "\\bx", "PRO", "^$", "(?i)acme", "x{2}"]
property_values = st.one_of(*(st.sampled_from(pool) for pool in POOLS.values()), st.none())


@st.composite
def property_filter(draw: st.DrawFn, field: str) -> Filter:
    key = draw(st.sampled_from(sorted(POOLS)))
    comparator = draw(
        st.sampled_from(
            ["is", "is_not", "contains", "not_contains", "matches", "not_matches"]
            + ["gt", "gte", "lt", "lte", "exists", "not_exists", "date_before", "date_after"]
            + SEMVER_COMPARATORS
        )
    )
    values: tuple[Any, ...]
    if comparator in ("is", "is_not"):
        values = tuple(draw(st.lists(st.sampled_from(POOLS[key]), min_size=1, max_size=3)))
    elif comparator in ("contains", "not_contains"):
        values = tuple(draw(st.lists(st.sampled_from(NEEDLES), min_size=1, max_size=2)))
    elif comparator in ("matches", "not_matches"):
        values = (draw(st.sampled_from(PATTERNS)),)
    elif comparator in ("gt", "gte", "lt", "lte"):
        values = (draw(st.sampled_from(["0", "5", "10.5", "-3", "1000"])),)
    elif comparator in ("date_before", "date_after"):
        values = (draw(st.sampled_from(["2025-06-01", "2026-01-31T12:00:00+00:00", "-7d"])),)
    elif comparator == "semver_wildcard":
        values = (draw(st.sampled_from(["1.*", "1.2.*", "0.4.*", "2.*"])),)
    elif comparator.startswith("semver_"):
        values = (draw(st.sampled_from(["1.2.3", "v2.0.0", "0.4", "10", "1.2.3-beta.1"])),)
    else:
        values = ()
    return Filter.model_validate(
        {
            "field": field,
            "comparator": comparator,
            "values": values,
            "data_key": key,
            "group_type": "company" if field == "group" else None,
        }
    )


@st.composite
def audiences(draw: st.DrawFn, parents: list[tuple[str, list[str]]], cohorts: bool) -> Audience:
    kind = draw(st.sampled_from(["everyone", "persons", "persons", "groups"]))
    if kind == "everyone":
        return Audience()
    field = "group" if kind == "groups" else "person"
    items = [draw(property_filter(field)) for _ in range(draw(st.integers(1, 3)))]
    if kind == "persons" and parents and draw(st.booleans()):
        parent, variants = draw(st.sampled_from(parents))
        value = draw(st.sampled_from([True, False, *variants]))
        items.append(Filter(field="flag", comparator="is", values=(value,), data_key=parent))
    if kind == "persons" and cohorts and draw(st.booleans()):
        cohort = draw(st.sampled_from(["Beta testers", "Enterprise customers"]))
        items.append(Filter(field="cohort", comparator="is", values=(cohort,)))
    return Audience(filters=tuple(draw(st.permutations(items))))


@st.composite
def flag_sets(draw: st.DrawFn, prefix: str, cohorts: bool = False) -> FlagSet:
    """A few flags in both projects; later ones may depend on earlier ones that are on."""
    flags: dict[str, Flag] = {}
    for index in range(draw(st.integers(1, 4))):
        key = f"{prefix}-{index}"
        variants = draw(st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=3, unique=True))
        environments = {}
        for env in ENVIRONMENTS:
            parents = [
                (k, list(f.variations))
                for k, f in flags.items()
                if env in f.environments and f.environments[env].enabled
            ]
            split = draw(whole_splits(variants)) if len(variants) > 1 else {}
            targets = []
            for _ in range(draw(st.integers(1, 3))):
                serve: dict[str, float] = {}
                if split and draw(st.booleans()):
                    serve = split
                elif variants:
                    serve = {draw(st.sampled_from(variants)): 100.0}
                targets.append(
                    Target(
                        name=draw(st.one_of(st.none(), st.just("Rule"))),
                        audience=draw(audiences(parents, cohorts)),
                        serve=serve,
                        percentage=draw(
                            st.one_of(st.none(), st.integers(0, 100).map(float), st.just(33.33))
                        ),
                    )
                )
            environments[env] = EnvironmentConfig(
                enabled=draw(st.booleans()), targets=tuple(targets)
            )
        flags[key] = Flag(
            key=key,
            name=key,
            variations={
                v: Variation(name=v, payload=draw(st.one_of(st.none(), json_values)))
                for v in variants
            },
            environments=environments,
            payload=None if variants else draw(st.one_of(st.none(), json_values)),
            settings={
                "ensure_experience_continuity": draw(st.integers(0, 9)) == 0,
                "early_exit": draw(st.booleans()),
            },
        )
    return FlagSet(flags=flags)


@st.composite
def users(draw: st.DrawFn) -> dict[str, Any]:
    person = draw(st.dictionaries(st.sampled_from(sorted(POOLS)), property_values, max_size=5))
    user: dict[str, Any] = {"distinct_id": draw(st.sampled_from([f"user-{n}" for n in range(50)]))}
    user.update(person)
    if draw(st.booleans()):
        company = draw(st.dictionaries(st.sampled_from(sorted(POOLS)), property_values))
        user["groups"] = {"company": draw(st.sampled_from(["c-1", "c-2", "c-3"]))}
        user["group_properties"] = {"company": company}
    return user


class Sdk:
    """One project's posthog client, evaluating only locally."""

    def __init__(self, host: str, project_key: str) -> None:
        self.client = posthog.Posthog(
            project_key,
            personal_api_key=PERSONAL_API_KEY,
            host=host,
            poll_interval=3600,
            disable_geoip=True,
            send=False,
        )

    def answer(self, key: str, user: dict[str, Any]) -> tuple[Any, Any]:
        person = {
            k: v for k, v in user.items() if k not in ("distinct_id", "groups", "group_properties")
        }
        options = {
            "groups": user.get("groups") or {},
            "person_properties": person,
            "group_properties": user.get("group_properties") or {},
            "only_evaluate_locally": True,
            "send_feature_flag_events": False,
        }
        value = self.client.get_feature_flag(key, user["distinct_id"], **options)
        if value is None:
            return None, None
        payload = self.client.get_feature_flag_payload(
            key, user["distinct_id"], match_value=value, **options
        )
        return value, payload  # the SDK decodes the JSON text PostHog stores


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[PostHogProvider, dict[str, Sdk]]]:
    with EmulatorServer(EmulatorConfig()) as server:
        workspace = Workspace(
            file=Path("flagsync.yaml"),
            provider="posthog",
            api_url=server.url,
            environments={
                "staging": EnvironmentSettings(project_id=1),
                "production": EnvironmentSettings(project_id=2),
            },
            manifests=(),
        )
        client = PostHogClient(server.url, PERSONAL_API_KEY)
        sdks = {env: Sdk(server.url, key) for env, key in ENVIRONMENTS.items()}
        yield PostHogProvider(workspace, client), sdks
        for sdk in sdks.values():
            sdk.client.shutdown()
        client.close()


def _apply(provider: PostHogProvider, desired: FlagSet) -> None:
    plan = make_plan(provider.workspace, desired, provider, PlanOptions())
    result = apply_plan(plan, provider, lambda line: None)
    assert result.ok, result.error


def _agree(
    world: tuple[PostHogProvider, dict[str, Sdk]], desired: FlagSet, people: list[dict[str, Any]]
) -> tuple[int, int]:
    provider, sdks = world
    _apply(provider, desired)
    offline = evaluator(desired)
    exact = total = 0
    for env, sdk in sdks.items():
        sdk.client.load_feature_flags()
        for key, flag in desired.flags.items():
            if env not in flag.environments:
                continue
            for user in people:
                ours = offline.evaluate(key, env, user)
                value, payload = sdk.answer(key, user)
                where = f"{key} [{env}] for {user}: flagsync says {ours}, the SDK {value!r}"
                total += 1
                if ours.exact:
                    exact += 1
                    assert value == ours.values["value"], where
                    assert payload == ours.values.get("payload"), where
                elif "cohort" not in ours.reason:
                    assert value is None, where
    return exact, total


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.data())
def test_offline_evaluation_agrees_with_the_sdk(
    world: tuple[PostHogProvider, dict[str, Sdk]], data: st.DataObject
) -> None:
    desired = data.draw(flag_sets(f"fid{next(_unique)}"))
    people = data.draw(st.lists(users(), min_size=5, max_size=25))
    exact, total = _agree(world, desired, people)
    assert 0 <= exact <= total


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.data())
def test_with_cohorts_every_exact_answer_is_the_sdks(
    world: tuple[PostHogProvider, dict[str, Sdk]], data: st.DataObject
) -> None:
    desired = data.draw(flag_sets(f"coh{next(_unique)}", cohorts=True))
    people = data.draw(st.lists(users(), min_size=5, max_size=15))
    _agree(world, desired, people)
