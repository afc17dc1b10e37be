"""The v1 variation and feature-configuration routes."""

from __future__ import annotations

import httpx

from .conftest import Project, checkout_feature, create_feature, environments, target


def test_variation_routes(api: httpx.Client, project: Project) -> None:
    create_feature(api, project["key"], checkout_feature())
    base = f"/v1/projects/{project['key']}/features/new-checkout/variations"
    listed = api.get(base)
    assert [v["key"] for v in listed.json()] == ["classic", "redesign"]
    assert "count" not in listed.headers

    created = api.post(
        base, json={"key": "beta", "name": "Beta", "variables": {"new-checkout-version": "v3"}}
    )
    assert created.status_code == 201, created.text
    assert [v["key"] for v in created.json()["variations"]] == ["classic", "redesign", "beta"]
    assert api.post(base, json={"key": "beta", "name": "Again"}).status_code == 409
    wrong_type = api.post(
        base, json={"key": "gamma", "name": "G", "variables": {"new-checkout-version": 3}}
    )
    assert wrong_type.status_code == 400

    beta = api.get(f"{base}/beta").json()
    assert beta["name"] == "Beta"
    assert api.get(f"{base}/{beta['_id']}").json() == beta

    patched = api.patch(f"{base}/classic", json={"key": "original", "name": "Original"})
    assert patched.status_code == 200
    feature = patched.json()
    assert feature["controlVariation"] == "original"
    assert [v["key"] for v in feature["variations"]] == ["original", "redesign", "beta"]
    assert api.get(f"{base}/nope").status_code == 404


def test_configuration_routes(api: httpx.Client, project: Project) -> None:
    feature = create_feature(api, project["key"], checkout_feature())
    envs = environments(api, project["key"])
    base = f"/v1/projects/{project['key']}/features/new-checkout/configurations"
    every = api.get(base).json()
    assert len(every) == 3
    only = api.get(base, params={"environment": "production"}).json()
    assert [c["_environment"] for c in only] == [envs["production"]["_id"]]

    missing = api.patch(base, json={"status": "inactive"})
    assert missing.status_code == 400
    assert "environment should not be empty" in missing.json()["message"]

    response = api.patch(
        base,
        params={"environment": "development"},
        json={"status": "active", "targets": [target("redesign")]},
    )
    assert response.status_code == 200, response.text
    config = response.json()
    assert config["_environment"] == envs["development"]["_id"]
    assert config["_feature"] == feature["_id"]
    assert config["status"] == "active"
    redesign = [v["_id"] for v in feature["variations"] if v["key"] == "redesign"]
    assert config["targets"][0]["distribution"][0]["_variation"] == redesign[0]

    refused = api.patch(base, params={"environment": "development"}, json={"targets": []})
    assert refused.status_code == 400
    cleared = api.patch(
        base, params={"environment": "development"}, json={"status": "inactive", "targets": []}
    )
    assert cleared.json()["targets"] == [] and cleared.json()["status"] == "inactive"
    assert "startedAt" in cleared.json()


def test_rollout_is_stored_and_null_clears_it(api: httpx.Client, project: Project) -> None:
    create_feature(api, project["key"], checkout_feature())
    base = f"/v1/projects/{project['key']}/features/new-checkout/configurations"
    rollout = {
        "type": "gradual",
        "startDate": "2030-01-01T00:00:00.000Z",
        "startPercentage": 0.1,
        "stages": [{"type": "linear", "percentage": 1, "date": "2030-02-01T00:00:00.000Z"}],
    }
    with_rollout = api.patch(
        base,
        params={"environment": "staging"},
        json={"targets": [target("redesign", rollout=rollout)]},
    )
    assert with_rollout.status_code == 200, with_rollout.text
    assert with_rollout.json()["targets"][0]["rollout"] == rollout
    cleared = api.patch(
        base,
        params={"environment": "staging"},
        json={"targets": [target("redesign", rollout=None)]},
    )
    assert "rollout" not in cleared.json()["targets"][0]
    bad_date = api.patch(
        base,
        params={"environment": "staging"},
        json={"targets": [target("redesign", rollout={**rollout, "startDate": "soon"})]},
    )
    assert bad_date.status_code == 400
    assert bad_date.json()["message"] == [
        "targets.0.rollout.startDate must be a valid ISO 8601 date string"
    ]


def test_spec_defects_are_corrected(api: httpx.Client, project: Project) -> None:
    """platformVersion filters, optIn filters and customData values are accepted as the vendor's
    tools send them, although the OpenAPI document types them otherwise."""
    create_feature(api, project["key"], checkout_feature())
    filters = [
        {"type": "user", "subType": "platformVersion", "comparator": ">=", "values": ["14.0"]},
        {"type": "optIn"},
        {
            "type": "user",
            "subType": "customData",
            "dataKey": "plan",
            "dataKeyType": "String",
            "comparator": "=",
            "values": ["pro"],
        },
    ]
    response = api.patch(
        f"/v1/projects/{project['key']}/features/new-checkout/configurations",
        params={"environment": "development"},
        json={
            "targets": [
                {
                    "audience": {"filters": {"operator": "and", "filters": filters}},
                    "distribution": [{"_variation": "classic", "percentage": 1}],
                }
            ]
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["targets"][0]["audience"]["filters"]["filters"] == filters
    wrong_sub = api.patch(
        f"/v1/projects/{project['key']}/features/new-checkout/configurations",
        params={"environment": "development"},
        json={
            "targets": [
                {
                    "audience": {
                        "filters": {
                            "operator": "and",
                            "filters": [{"type": "user", "subType": "shoeSize", "comparator": "="}],
                        }
                    },
                    "distribution": [{"_variation": "classic", "percentage": 1}],
                }
            ]
        },
    )
    assert wrong_sub.status_code == 400
    [message] = wrong_sub.json()["message"]
    assert message.startswith("targets.0.audience.filters.filters.0.subType must be one of")
