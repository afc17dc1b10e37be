"""A variable dropped from a manifest is gone from DevCycle after one apply, and a delete an
apply left undone (stopped between the feature's PATCH and the variable's DELETE) is finished
by the next one."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.apply import apply_plan
from reconciler.emulator import EmulatorConfig, EmulatorServer
from reconciler.errors import ApiError
from reconciler.model import Flag, FlagSet
from reconciler.providers.devcycle.provider import DevCycleProvider
from reconciler.reconcile import make_plan
from tests.e2e.conftest import CLIENT_ID, CLIENT_SECRET, Cli, devcycle_provider
from tests.strategies import flags

PRICING = "flags/pricing.yaml"


def _drop_pricing_layout(example: Cli) -> None:
    manifest = example.cwd / PRICING
    text = re.sub(r"\n +pricing-layout: [^\n]*", "", manifest.read_text())
    manifest.write_text(text)


@pytest.mark.slow
def test_dropped_variable_is_deleted_and_the_plan_after_is_empty(
    example: Cli, api: httpx.Client
) -> None:
    assert example("apply", "--yes").returncode == 0
    _drop_pricing_layout(example)
    applied = example("apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert api.get("/v1/projects/demo/variables/pricing-layout").status_code == 404
    again = example("plan")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes." in again.stdout


@pytest.mark.slow
def test_variable_left_by_an_interrupted_apply_is_planned_and_deleted(
    example: Cli, api: httpx.Client
) -> None:
    assert example("apply", "--yes").returncode == 0
    # What an apply stopped right after the feature's PATCH leaves: the variable detached.
    feature = api.get("/v2/projects/demo/features/pricing-page-test").json()
    body = {
        "variables": [
            {k: v[k] for k in ("key", "type", "name", "tags") if k in v}
            for v in feature["variables"]
            if v["key"] != "pricing-layout"
        ],
        "variations": [
            {
                "_id": variation["_id"],
                "key": variation["key"],
                "name": variation["name"],
                "variables": {
                    k: v for k, v in variation["variables"].items() if k != "pricing-layout"
                },
            }
            for variation in feature["variations"]
        ],
    }
    patched = api.patch("/v2/projects/demo/features/pricing-page-test", json=body)
    assert patched.status_code == 200, patched.text
    assert api.get("/v1/projects/demo/variables/pricing-layout").json().get("_feature") is None
    _drop_pricing_layout(example)

    plan = example("plan")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "variable pricing-layout" in plan.stdout
    applied = example("apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert api.get("/v1/projects/demo/variables/pricing-layout").status_code == 404
    assert example("plan").returncode == 0


@pytest.mark.slow
def test_a_variable_someone_else_detached_is_left_alone(example: Cli, api: httpx.Client) -> None:
    """Only variables flagsync wrote carry its tag: another detached variable is not its own."""
    created = api.post("/v1/projects/demo/variables", json={"key": "hand-made", "type": "Boolean"})
    assert created.status_code == 201, created.text
    assert example("apply", "--yes").returncode == 0
    assert example("plan").returncode == 0
    assert api.get("/v1/projects/demo/variables/hand-made").status_code == 200


_runs = itertools.count()


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    config = EmulatorConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    with EmulatorServer(config) as running:
        yield running


def _without(flag: Flag, dropped: set[str]) -> Flag:
    return flag.model_copy(
        update={
            "variables": {k: v for k, v in flag.variables.items() if k not in dropped},
            "variations": {
                key: variation.model_copy(
                    update={
                        "values": {k: x for k, x in variation.values.items() if k not in dropped}
                    }
                )
                for key, variation in flag.variations.items()
            },
        }
    )


@pytest.mark.slow
@settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_law_an_apply_stopped_after_any_call_converges(
    server: EmulatorServer, data: st.DataObject
) -> None:
    """Whatever call an apply dropping variables stops after, the next plan shows what is left
    (flagsync's own leftover variables as deletes) and one more apply converges, with the
    dropped variables gone."""
    key = f"law-var-{next(_runs)}"
    flag = data.draw(flags(key=key).filter(lambda f: len(f.variables) >= 1))
    dropped = set(data.draw(st.sets(st.sampled_from(sorted(flag.variables)), min_size=1)))
    provider = devcycle_provider(server)
    try:
        first = make_plan(provider.workspace, FlagSet(flags={key: flag}), provider)
        assert apply_plan(first, provider, lambda line: None).ok
        desired = FlagSet(flags={key: _without(flag, dropped)})
        plan = make_plan(provider.workspace, desired, provider)
        calls = [call for step in plan.steps for call in step.calls]
        stop = data.draw(st.integers(1, len(calls)), label="calls sent before the stop")
        for call in calls[:stop]:
            provider.execute(call)
        again = make_plan(provider.workspace, desired, provider)
        result = apply_plan(again, provider, lambda line: None)
        assert result.ok, result.error
        assert make_plan(provider.workspace, desired, provider).changes == []
        assert [v for v in dropped if _exists(provider, v)] == []
    finally:
        provider.close()


def _exists(provider: DevCycleProvider, variable: str) -> bool:
    try:
        provider.client.request("GET", f"/v1/projects/demo/variables/{variable}")
    except ApiError as error:
        assert error.status == 404, error
        return False
    return True
