"""DESIGN's laws for PostHog against a real emulator server, with hypothesis-generated flags
promoted across two projects: apply then plan is empty (no phantom diffs from server echoes,
list order, payload encoding, aggregation copies, injected cohort names), and any edit applied
on top converges too. Generated holdouts round-trip through the server, and holdouts with the
experiments using them converge as well."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.apply import apply_plan
from reconciler.emulator import EmulatorConfig, EmulatorServer
from reconciler.emulator.posthog import PERSONAL_API_KEY
from reconciler.model import Flag, FlagSet, Holdout
from reconciler.providers.posthog.client import PostHogClient
from reconciler.providers.posthog.holdouts import holdout_body, holdout_to_model
from reconciler.providers.posthog.provider import PostHogProvider
from reconciler.reconcile import PlanOptions, make_plan
from reconciler.workspace import EnvironmentSettings, Workspace
from tests.strategies import experiment_sets, holdouts, posthog_flags, prefixed

_unique = itertools.count()


@pytest.fixture(scope="module")
def provider() -> Iterator[PostHogProvider]:
    yield from _provider()


@pytest.fixture(scope="module")
def experiment_provider() -> Iterator[PostHogProvider]:
    """A server of its own: the flag law prunes, which must not meet these holdouts."""
    yield from _provider()


def _provider() -> Iterator[PostHogProvider]:
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
        yield PostHogProvider(workspace, client)
        client.close()


def converge(
    provider: PostHogProvider, desired: FlagSet, options: PlanOptions | None = None
) -> None:
    options = options or PlanOptions(prune=True)
    plan = make_plan(provider.workspace, desired, provider, options)
    result = apply_plan(plan, provider, lambda line: None)
    assert result.ok, result.error
    again = make_plan(provider.workspace, desired, provider, options)
    assert again.changes == [], again.changes


@pytest.mark.slow
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.tuples(posthog_flags(), posthog_flags()), min_size=1, max_size=3))
def test_apply_then_plan_is_empty_and_edits_converge(
    provider: PostHogProvider, versions: list[tuple[Flag, Flag]]
) -> None:
    keys = [f"law-{next(_unique)}" for _ in versions]

    def named(flag: Flag, key: str) -> Flag:
        return flag.model_copy(update={"key": key, "name": key})

    first = FlagSet(flags={k: named(a, k) for k, (a, _) in zip(keys, versions, strict=True)})
    converge(provider, first)
    second = FlagSet(flags={k: named(b, k) for k, (_, b) in zip(keys, versions, strict=True)})
    converge(provider, second)


@pytest.mark.slow
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(holdouts())
def test_holdouts_round_trip_through_posthog(
    experiment_provider: PostHogProvider, holdout: Holdout
) -> None:
    """model -> PostHog body -> the server -> model (the description trimmed by the server,
    the mark and the filter's stamped variant are absorbed)."""
    name = f"round trip {next(_unique)}"
    sent = holdout.model_copy(update={"name": name, "environments": ("staging",)})
    answer = experiment_provider.client.json(
        "POST", "/api/projects/1/experiment_holdouts/", body=holdout_body(sent)
    )
    assert holdout_to_model(answer, "staging") == sent
    (read,) = experiment_provider.read(set()).holdouts[name]["staging"]
    assert read.model == sent
    assert read.owned


@pytest.mark.slow
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(experiment_sets(), st.data())
def test_holdouts_and_experiments_apply_then_plan_is_empty(
    experiment_provider: PostHogProvider, generated: FlagSet, data: st.DataObject
) -> None:
    """Generated holdouts and the experiments using them, in one or two projects: apply, then
    the plan is empty; then the holdouts' descriptions and percentages change, and converge."""
    prefix = f"law{next(_unique)}-"
    first = prefixed(generated, prefix)
    selected = PlanOptions(flag_patterns=(f"{prefix}*",))
    converge(experiment_provider, first, selected)
    edited = {
        name: data.draw(holdouts(name=name)).model_copy(
            update={"environments": holdout.environments}
        )
        for name, holdout in first.holdouts.items()
    }
    converge(experiment_provider, first.model_copy(update={"holdouts": edited}), selected)
