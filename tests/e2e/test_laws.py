"""DESIGN's laws against a real emulator server, with hypothesis-generated flags:
apply then plan is empty, and any edit applied on top converges too."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from reconciler.apply import apply_plan
from reconciler.emulator import EmulatorConfig, EmulatorServer
from reconciler.model import Flag, FlagSet
from reconciler.providers.devcycle.provider import DevCycleProvider
from reconciler.reconcile import make_plan
from tests.e2e.conftest import CLIENT_ID, CLIENT_SECRET, devcycle_provider
from tests.strategies import experiment_metrics, flags, renamed

_unique = itertools.count()


@pytest.fixture(scope="module")
def provider() -> Iterator[DevCycleProvider]:
    config = EmulatorConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    with EmulatorServer(config) as server:
        provider = devcycle_provider(server)
        yield provider
        provider.close()


def converge(provider: DevCycleProvider, desired: FlagSet) -> None:
    plan = make_plan(provider.workspace, desired, provider)
    result = apply_plan(plan, provider, lambda line: None)
    assert result.ok, result.error
    again = make_plan(provider.workspace, desired, provider)
    assert again.changes == [], again.changes


@pytest.mark.slow
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.tuples(flags(), flags()), min_size=1, max_size=3))
def test_apply_then_plan_is_empty_and_edits_converge(
    provider: DevCycleProvider, versions: list[tuple[Flag, Flag]]
) -> None:
    keys = [f"law-{next(_unique)}" for _ in versions]
    first = FlagSet(flags={k: renamed(a, k) for k, (a, _) in zip(keys, versions, strict=True)})
    converge(provider, first)
    second = FlagSet(flags={k: renamed(b, k) for k, (_, b) in zip(keys, versions, strict=True)})
    converge(provider, second)


METRICS = experiment_metrics("law-")


def _orderable(before: Flag, after: Flag) -> bool:
    """DevCycle cannot move a complete flag to a variation the same apply creates while the
    old static variation is removed (see `feature_status.status_first`)."""
    moving = before.status == after.status == "complete"
    return not (
        moving
        and after.static_variation not in before.variations
        and before.static_variation not in after.variations
    )


@pytest.mark.slow
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(
            flags(metric_keys=tuple(METRICS), lifecycle=True),
            flags(metric_keys=tuple(METRICS), lifecycle=True),
        ),
        min_size=1,
        max_size=2,
    )
)
def test_experiments_metrics_and_status_converge(
    provider: DevCycleProvider, versions: list[tuple[Flag, Flag]]
) -> None:
    """Control variations, metric associations and lifecycle status: applied, read back equal,
    and any change of them converges (status changes ordered around the feature's PATCH)."""
    assume(all(_orderable(a, b) for a, b in versions))
    keys = [f"law-x-{next(_unique)}" for _ in versions]
    first = {k: renamed(a, k) for k, (a, _) in zip(keys, versions, strict=True)}
    converge(provider, FlagSet(flags=first, metrics=METRICS))
    second = {k: renamed(b, k) for k, (_, b) in zip(keys, versions, strict=True)}
    converge(provider, FlagSet(flags=second, metrics=METRICS))
    live = provider.read(set(keys)).flags
    assert live.flags == second
    assert {k: live.metrics[k] for k in METRICS} == METRICS
