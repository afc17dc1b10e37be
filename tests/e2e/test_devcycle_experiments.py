"""DevCycle experiments and feature lifecycle through the CLI, judged by the vendor's own SDK:
an experiment with its control variation and metrics applies and plans empty; completing it
shows the transition in the plan and then serves the static variation to every user; archiving
it takes it out of the SDK config."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from reconciler.emulator import EmulatorServer
from tests.e2e.conftest import Cli
from tests.emulator_sdk.conftest import sdk_client, server_key, user

pytest.importorskip("devcycle_python_sdk")

PRICING = Path("flags/pricing.yaml")
# Users across the experiment's audience and outside it (a paying plan, too few seats).
USERS = [
    user("prospect", customData={"plan": "trial", "seats": 6}),
    user("paying", customData={"plan": "pro", "seats": 50}),
    user("small", customData={"plan": "free", "seats": 2}),
    *(user(f"u-{i}") for i in range(20)),
]


def _discounts(emulator: EmulatorServer, api: httpx.Client) -> list[int]:
    with sdk_client(emulator, server_key(api, "demo", "production")) as client:
        return [client.variable_value(u, "pricing-discount", -1) for u in USERS]


def _set_lifecycle(example: Cli, lines: str) -> None:
    path = example.cwd / PRICING
    text = path.read_text()
    anchor = "    control: control"
    path.write_text(text.replace(anchor, f"{anchor}\n{lines}", 1))


@pytest.mark.slow
def test_experiment_with_metrics_applies_and_plans_empty(example: Cli, api: httpx.Client) -> None:
    applied = example("apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "POST /v1/projects/demo/metrics" in applied.stdout
    feature = api.get("/v2/projects/demo/features/pricing-page-test").json()
    assert (feature["type"], feature["controlVariation"]) == ("experiment", "control")
    associations = api.get(
        "/v1/projects/demo/metric-associations", params={"feature": "pricing-page-test"}
    ).json()
    assert sorted(a["metric"]["key"] for a in associations) == ["pricing-page-bounces", "upgrades"]
    upgrades = api.get("/v1/projects/demo/metrics/upgrades").json()
    assert (upgrades["dimension"], upgrades["optimize"]) == ("COUNT_PER_UNIQUE_USER", "increase")
    plan = example("plan")
    assert plan.returncode == 0 and "No changes" in plan.stdout, plan.stdout


@pytest.mark.slow
def test_completed_example_serves_its_static_variation(
    example: Cli, api: httpx.Client, emulator: EmulatorServer
) -> None:
    assert example("apply", "--yes").returncode == 0
    with sdk_client(emulator, server_key(api, "demo", "production")) as client:
        # pricing.yaml: annual-billing-toggle is complete, serving `shown` to everyone
        assert {client.variable_value(u, "annual-billing-enabled", False) for u in USERS} == {True}


@pytest.mark.slow
def test_complete_then_archive_an_experiment(
    example: Cli, api: httpx.Client, emulator: EmulatorServer
) -> None:
    assert example("apply", "--yes").returncode == 0
    before = _discounts(emulator, api)
    assert before[1:3] == [-1, -1]  # outside the experiment's audience: the code's default

    _set_lifecycle(example, "    status: complete\n    static_variation: banner")
    plan = example("plan")
    assert "status: active -> complete (serves banner)" in plan.stdout, plan.stdout
    applied = example("apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "PATCH /v2/projects/demo/features/pricing-page-test/status" in applied.stdout
    assert example("plan").stdout.strip().endswith("The live state matches the manifests.")
    assert _discounts(emulator, api) == [15] * len(USERS)  # every user, in the audience or not

    path = example.cwd / PRICING
    path.write_text(
        path.read_text().replace(
            "status: complete\n    static_variation: banner", "status: archived"
        )
    )
    plan = example("plan")
    assert "status: complete -> archived" in plan.stdout, plan.stdout
    assert example("apply", "--yes").returncode == 0
    assert "No changes" in example("plan").stdout
    assert _discounts(emulator, api) == [-1] * len(USERS)  # archived: not in the SDK config


def test_lifecycle_and_metric_mistakes_are_located(example: Cli) -> None:
    path = example.cwd / PRICING
    path.write_text(
        path.read_text().replace(
            "metrics: [upgrades, pricing-page-bounces]", "metrics: [upgrades, signups]"
        )
    )
    _set_lifecycle(example, "    static_variation: banner")
    result = example("validate")
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert "pricing.yaml:" in out
    assert "`static_variation` is served only by a complete flag" in out
    assert "metric 'signups' is not declared under `metrics:`" in out
    assert "Traceback" not in out
