"""How flagsync reads DevCycle: paged list calls at the largest page size, never per feature;
reusable audiences referenced by key."""

from __future__ import annotations

import httpx
import pytest

from reconciler.emulator import EmulatorServer
from tests.e2e.conftest import Cli, devcycle_provider


@pytest.mark.slow
def test_reading_2050_features_costs_three_feature_pages(
    emulator: EmulatorServer, api: httpx.Client
) -> None:
    for index in range(2050):
        response = api.post(
            "/v2/projects/demo/features",
            json={"key": f"bulk-{index:04d}", "name": f"Bulk {index}", "configurations": {}},
        )
        assert response.status_code == 201
    provider = devcycle_provider(emulator, ["production"])
    client = provider.client
    with client:
        live = provider.read({"bulk-0007", "bulk-2049"})
        # environments (1 page) + audiences (1 page) + features (3 pages of 1,000)
        # + metrics (1 page) + metric associations (1 unpaged list)
        # + variables (1 page: flagsync's variables left without a feature)
        # + the project (its approval workflow; off, so no change request lists)
        # + the stale features (1 page)
        assert client.request_count == 10
    assert sorted(live.flags.flags) == ["bulk-0007", "bulk-2049"]
    assert len(live.others) == 2048


@pytest.mark.slow
def test_reusable_audience_is_referenced_by_key(example: Cli, api: httpx.Client) -> None:
    created = api.post(
        "/v1/projects/demo/audiences",
        json={
            "key": "beta-testers",
            "name": "Beta testers",
            "filters": {
                "operator": "and",
                "filters": [
                    {
                        "type": "user",
                        "subType": "email",
                        "comparator": "endWith",
                        "values": ["@beta.io"],
                    }
                ],
            },
        },
    )
    assert created.status_code == 201, created.text
    (example.cwd / "flags" / "beta.yaml").write_text(
        "flags:\n"
        "  - key: beta-banner\n"
        "    variables: {beta-banner-on: {type: Boolean}}\n"
        "    variations:\n"
        "      - {key: 'on', values: {beta-banner-on: true}}\n"
        "    environments:\n"
        "      production:\n"
        "        enabled: true\n"
        "        targets:\n"
        "          - {name: Beta, audience: {all: [{audience: beta-testers}]}, serve: 'on'}\n"
    )
    applied = example("apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    feature = api.get("/v2/projects/demo/features/beta-banner").json()
    envs = {e["_id"]: e["key"] for e in api.get("/v1/projects/demo/environments").json()}
    production = next(
        c for c in feature["configurations"] if envs[c["_environment"]] == "production"
    )
    match = production["targets"][0]["audience"]["filters"]["filters"][0]
    assert match["type"] == "audienceMatch"
    assert match["_audiences"] == [created.json()["_id"]]
    assert example("plan").returncode == 0


def test_unknown_reusable_audience_is_a_clear_error(example: Cli) -> None:
    (example.cwd / "flags" / "beta.yaml").write_text(
        "flags:\n"
        "  - key: beta-banner\n"
        "    variations: [{key: 'on'}]\n"
        "    environments:\n"
        "      production:\n"
        "        targets: [{audience: {all: [{audience: nobody}]}, serve: 'on'}]\n"
    )
    result = example("plan")
    assert result.returncode == 1
    assert "flag 'beta-banner' [production]: audience 'nobody' does not exist" in result.stderr
