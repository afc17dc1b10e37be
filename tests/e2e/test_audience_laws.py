"""DESIGN's laws for DevCycle reusable audiences and custom properties, against a real emulator
server with hypothesis-generated objects: the round trip model -> DevCycle body -> emulator ->
model is the identity, and apply then plan is empty, also after an edit."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.apply import apply_plan
from reconciler.emulator import EmulatorConfig, EmulatorServer
from reconciler.model import CustomProperty, FlagSet, ReusableAudience
from reconciler.providers.devcycle import audiences, custom_properties
from reconciler.providers.devcycle.provider import DevCycleProvider
from reconciler.reconcile import make_plan
from tests.e2e.conftest import CLIENT_ID, CLIENT_SECRET, devcycle_provider
from tests.strategies import custom_properties as property_models
from tests.strategies import reusable_audiences

_unique = itertools.count()
LAW_SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def provider() -> Iterator[DevCycleProvider]:
    config = EmulatorConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    with EmulatorServer(config) as server:
        provider = devcycle_provider(server)
        yield provider
        provider.close()


def _base(provider: DevCycleProvider) -> str:
    return f"/v1/projects/{provider.workspace.project}"


@LAW_SETTINGS
@given(st.data())
def test_round_trip_through_the_emulator(provider: DevCycleProvider, data: st.DataObject) -> None:
    n = next(_unique)
    audience: ReusableAudience = data.draw(reusable_audiences(f"rt-audience-{n}"))
    prop: CustomProperty = data.draw(property_models(f"rt-prop-{n}"))
    prop = prop.model_copy(update={"property_key": f"{prop.property_key}-{n}"})
    base = _base(provider)
    stored = provider.client.json("POST", f"{base}/audiences", body=audiences.create_body(audience))
    assert audiences.to_model(stored) == audience
    read = provider.client.json("GET", f"{base}/audiences/{audience.key}")
    assert audiences.to_model(read) == audience
    created = provider.client.json(
        "POST", f"{base}/customProperties", body=custom_properties.body(prop)
    )
    assert custom_properties.to_model(created) == prop


def _converge(provider: DevCycleProvider, desired: FlagSet) -> None:
    plan = make_plan(provider.workspace, desired, provider)
    result = apply_plan(plan, provider, lambda line: None)
    assert result.ok, result.error
    again = make_plan(provider.workspace, desired, provider)
    assert again.changes == [], again.changes


@pytest.mark.slow
@LAW_SETTINGS
@given(st.data())
def test_apply_then_plan_is_empty_and_edits_converge(
    provider: DevCycleProvider, data: st.DataObject
) -> None:
    n = next(_unique)
    keys = [f"law-audience-{n}-{i}" for i in range(data.draw(st.integers(1, 2)))]
    prop_key = f"law-prop-{n}"

    def version() -> FlagSet:
        prop = data.draw(property_models(prop_key)).model_copy(
            update={"property_key": f"law-data-{n}"}
        )
        return FlagSet(
            audiences={key: data.draw(reusable_audiences(key)) for key in keys},
            custom_properties={prop_key: prop},
        )

    _converge(provider, version())
    _converge(provider, version())
