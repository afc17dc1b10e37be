"""Experiment holdouts: CRUD, validation, pagination, and what they do to experiments' flags."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import ContractClient, error

HOLDOUTS = "/api/projects/1/experiment_holdouts/"
EXPERIMENTS = "/api/projects/1/experiments/"
FLAGS = "/api/projects/1/feature_flags/"


def _holdout(client: ContractClient, name: str = "Global", percentage: float = 10, **body: Any):
    payload = {"name": name, "filters": [{"properties": [], "rollout_percentage": percentage}]}
    payload.update(body)
    response = client.post(HOLDOUTS, json=payload)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _experiment(client: ContractClient, project: int = 1, **body: Any) -> dict[str, Any]:
    payload = {"name": "Checkout test", "feature_flag_key": "checkout-exp", **body}
    response = client.post(f"/api/projects/{project}/experiments/", json=payload)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _flag_filters(client: ContractClient, experiment: dict[str, Any]) -> dict[str, Any]:
    flag = client.get(f"{FLAGS}{experiment['feature_flag']['id']}/").json()
    return dict(flag["filters"])


def test_create_stamps_the_holdout_variant_and_retrieve_returns_it(
    client: ContractClient,
) -> None:
    holdout = _holdout(client, description="Kept out of experiments")
    assert holdout["filters"] == [
        {"properties": [], "rollout_percentage": 10, "variant": f"holdout-{holdout['id']}"}
    ]
    assert holdout["description"] == "Kept out of experiments"
    assert holdout["created_by"]["email"]
    again = client.get(f"{HOLDOUTS}{holdout['id']}/")
    assert again.status_code == 200
    assert again.json() == holdout


@pytest.mark.parametrize(
    ("body", "attr", "detail"),
    [
        ({"filters": [{"rollout_percentage": 5}]}, "name", "This field is required."),
        ({"name": "H", "filters": []}, None, "Filters are required to create an holdout group"),
        ({"name": "H"}, None, "Filters are required to create an holdout group"),
        ({"name": "H", "filters": [{"properties": []}]}, "filters", "must be present"),
        ({"name": "H", "filters": [{"rollout_percentage": 101}]}, "filters", "between 0 and 100"),
        ({"name": "H", "filters": [{"rollout_percentage": -1}]}, "filters", "between 0 and 100"),
    ],
)
def test_validation(
    client: ContractClient, body: dict[str, Any], attr: str | None, detail: str
) -> None:
    response = client.post(HOLDOUTS, json=body, schema_violation="name" not in body)
    assert response.status_code == 400
    problem = error(response)
    assert problem["type"] == "validation_error"
    assert problem["attr"] == attr
    assert detail in problem["detail"]


def test_list_is_paginated_newest_first(client: ContractClient) -> None:
    made = [_holdout(client, name=f"H{i}") for i in range(3)]
    first = client.get(HOLDOUTS, params={"limit": 2}).json()
    assert first["count"] == 3
    assert [h["name"] for h in first["results"]] == ["H2", "H1"]
    assert first["previous"] is None
    second = client.get(first["next"]).json()
    assert [h["name"] for h in second["results"]] == ["H0"]
    assert second["next"] is None and second["previous"] is not None
    assert client.get("/api/projects/2/experiment_holdouts/").json()["count"] == 0
    assert client.get(f"/api/projects/2/experiment_holdouts/{made[0]['id']}/").status_code == 404


def test_update_and_put(client: ContractClient) -> None:
    holdout = _holdout(client)
    patched = client.patch(f"{HOLDOUTS}{holdout['id']}/", json={"description": "new"}).json()
    assert patched["description"] == "new" and patched["name"] == "Global"
    put = client.put(
        f"{HOLDOUTS}{holdout['id']}/",
        json={"name": "Renamed", "filters": [{"properties": [], "rollout_percentage": 20}]},
    )
    assert put.status_code == 200, put.text
    assert put.json()["name"] == "Renamed"
    assert put.json()["filters"][0] == {
        "properties": [],
        "rollout_percentage": 20,
        "variant": f"holdout-{holdout['id']}",
    }
    missing_name = client.put(
        f"{HOLDOUTS}{holdout['id']}/", json={"filters": []}, schema_violation=True
    )
    assert missing_name.status_code == 400
    assert error(missing_name)["attr"] == "name"


def test_experiment_with_a_holdout_puts_it_on_its_flag(client: ContractClient) -> None:
    holdout = _holdout(client, percentage=15)
    experiment = _experiment(client, holdout_id=holdout["id"])
    assert experiment["holdout_id"] == holdout["id"]
    assert experiment["holdout"]["name"] == "Global"
    assert _flag_filters(client, experiment)["holdout"] == {
        "id": holdout["id"],
        "exclusion_percentage": 15,
    }


def test_holdout_of_another_project_or_unknown_is_refused(client: ContractClient) -> None:
    holdout = _holdout(client)
    for holdout_id in (holdout["id"] + 100, holdout["id"]):
        response = client.post(
            "/api/projects/2/experiments/",
            json={"name": "X", "feature_flag_key": "x-exp", "holdout_id": holdout_id},
        )
        assert response.status_code == 400
        problem = error(response)
        assert problem["attr"] == "holdout_id"
        assert problem["code"] == "does_not_exist"


def test_editing_the_holdout_rewrites_linked_flags(client: ContractClient) -> None:
    holdout = _holdout(client, percentage=10)
    experiment = _experiment(client, holdout_id=holdout["id"])
    version = client.get(f"{FLAGS}{experiment['feature_flag']['id']}/").json()["version"]
    client.patch(
        f"{HOLDOUTS}{holdout['id']}/",
        json={"filters": [{"properties": [], "rollout_percentage": 30}]},
    )
    flag = client.get(f"{FLAGS}{experiment['feature_flag']['id']}/").json()
    assert flag["filters"]["holdout"] == {"id": holdout["id"], "exclusion_percentage": 30}
    assert flag["version"] == version + 1


def test_draft_holdout_changes_reach_the_flag_and_running_ones_are_refused(
    client: ContractClient,
) -> None:
    first, second = _holdout(client, "A", 10), _holdout(client, "B", 20)
    experiment = _experiment(client, holdout_id=first["id"])
    path = f"{EXPERIMENTS}{experiment['id']}/"
    changed = client.patch(path, json={"holdout_id": second["id"]}).json()
    assert changed["holdout"]["name"] == "B"
    assert _flag_filters(client, experiment)["holdout"]["id"] == second["id"]
    client.patch(path, json={"holdout_id": None})
    assert _flag_filters(client, experiment).get("holdout") is None
    client.post(f"{path}launch/")
    refused = client.patch(path, json={"holdout_id": first["id"]})
    assert refused.status_code == 400
    assert "Can't update holdout" in error(refused)["detail"]


def test_delete_detaches_the_holdout_from_flags_and_experiments(client: ContractClient) -> None:
    holdout = _holdout(client)
    experiment = _experiment(client, holdout_id=holdout["id"])
    response = client.delete(f"{HOLDOUTS}{holdout['id']}/")
    assert response.status_code == 204
    assert client.get(f"{HOLDOUTS}{holdout['id']}/").status_code == 404
    assert _flag_filters(client, experiment).get("holdout") is None
    after = client.get(f"{EXPERIMENTS}{experiment['id']}/").json()
    assert after["holdout"] is None and after["holdout_id"] is None


def test_local_evaluation_serves_the_holdout(client: ContractClient) -> None:
    holdout = _holdout(client, percentage=100)
    experiment = _experiment(client, holdout_id=holdout["id"])
    client.post(f"{EXPERIMENTS}{experiment['id']}/launch/")
    definitions = client.get("/api/projects/1/feature_flags/local_evaluation/").json()
    served = next(f for f in definitions["flags"] if f["key"] == "checkout-exp")
    assert served["filters"]["holdout"] == {"id": holdout["id"], "exclusion_percentage": 100}
