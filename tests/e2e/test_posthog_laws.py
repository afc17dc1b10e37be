"""DESIGN's laws for PostHog against a real emulator server, with hypothesis-generated flags
promoted across two projects: apply then plan is empty (no phantom diffs from server echoes,
list order, payload encoding, aggregation copies, injected cohort names), and any edit applied
on top converges too."""

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
from reconciler.model import Flag, FlagSet
from reconciler.providers.posthog.client import PostHogClient
from reconciler.providers.posthog.provider import PostHogProvider
from reconciler.reconcile import PlanOptions, make_plan
from reconciler.workspace import EnvironmentSettings, Workspace
from tests.strategies import posthog_flags

_unique = itertools.count()


@pytest.fixture(scope="module")
def provider() -> Iterator[PostHogProvider]:
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


def converge(provider: PostHogProvider, desired: FlagSet) -> None:
    options = PlanOptions(prune=True)
    plan = make_plan(provider.workspace, desired, provider, options)
    result = apply_plan(plan, provider, lambda line: None)
    assert result.ok, result.error
    again = make_plan(provider.workspace, desired, provider, options)
    assert again.changes == [], again.changes


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
