"""A variable dropped from a manifest is gone from DevCycle after one apply, and a delete an
apply left undone (stopped between the feature's PATCH and the variable's DELETE) is finished
by the next one."""

from __future__ import annotations

import re

import httpx

from tests.e2e.conftest import Cli

PRICING = "flags/pricing.yaml"


def _drop_pricing_layout(example: Cli) -> None:
    manifest = example.cwd / PRICING
    text = re.sub(r"\n +pricing-layout: [^\n]*", "", manifest.read_text())
    manifest.write_text(text)


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


def test_a_variable_someone_else_detached_is_left_alone(example: Cli, api: httpx.Client) -> None:
    """Only variables flagsync wrote carry its tag: another detached variable is not its own."""
    created = api.post("/v1/projects/demo/variables", json={"key": "hand-made", "type": "Boolean"})
    assert created.status_code == 201, created.text
    assert example("apply", "--yes").returncode == 0
    assert example("plan").returncode == 0
    assert api.get("/v1/projects/demo/variables/hand-made").status_code == 200
