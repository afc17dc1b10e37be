"""Experiments: the flag they create or reuse, the lifecycle, update rules, soft delete."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import ContractClient, create_flag, define_events, error

EXPERIMENTS = "/api/projects/1/experiments/"
FLAGS = "/api/projects/1/feature_flags/"

VARIANTS = [
    {"key": "control", "name": "Control", "rollout_percentage": 34},
    {"key": "red", "name": "Red", "rollout_percentage": 33},
    {"key": "blue", "name": "Blue", "rollout_percentage": 33},
]
METRIC = {
    "kind": "ExperimentMetric",
    "metric_type": "mean",
    "source": {"kind": "EventsNode", "event": "purchase", "math": "total"},
}


@pytest.fixture(autouse=True)
def _purchase_seen(client: ContractClient) -> None:
    """The metric's event has been ingested: these tests are about other rules."""
    define_events(client, "purchase")


def _create(client: ContractClient, **body: Any) -> dict[str, Any]:
    payload = {"name": "Checkout test", "feature_flag_key": "checkout-exp", **body}
    response = client.post(EXPERIMENTS, json=payload)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _flag(client: ContractClient, experiment: dict[str, Any]) -> dict[str, Any]:
    return dict(client.get(f"{FLAGS}{experiment['feature_flag']['id']}/").json())


def test_create_makes_an_inactive_flag_with_default_variants(client: ContractClient) -> None:
    experiment = _create(client)
    assert experiment["status"] == "draft"
    assert experiment["start_date"] is None
    assert experiment["feature_flag_key"] == "checkout-exp"
    flag = _flag(client, experiment)
    assert flag["key"] == "checkout-exp"
    assert flag["name"] == "Feature Flag for Experiment Checkout test"
    assert flag["active"] is False
    assert flag["experiment_set"] == [experiment["id"]]
    variants = flag["filters"]["multivariate"]["variants"]
    assert [(v["key"], v["rollout_percentage"]) for v in variants] == [
        ("control", 50),
        ("test", 50),
    ]
    assert experiment["stats_config"] == {"method": "bayesian"}
    assert experiment["exposure_criteria"] == {"filterTestAccounts": True}


def test_variants_and_rollout_come_from_parameters(client: ContractClient) -> None:
    experiment = _create(
        client, parameters={"feature_flag_variants": VARIANTS, "rollout_percentage": 40}
    )
    flag = _flag(client, experiment)
    assert [v["key"] for v in flag["filters"]["multivariate"]["variants"]] == [
        "control",
        "red",
        "blue",
    ]
    assert flag["filters"]["groups"][0]["rollout_percentage"] == 40


@pytest.mark.parametrize(
    ("variants", "detail"),
    [
        (
            [{"key": "a", "rollout_percentage": 50}, {"key": "b", "rollout_percentage": 50}],
            "control",
        ),
        ([{"key": "control", "rollout_percentage": 100}], "at least 2 variants"),
        ([{"key": f"v{i}", "rollout_percentage": 1} for i in range(21)], "less than 21"),
    ],
)
def test_parameter_validation(client: ContractClient, variants: list[Any], detail: str) -> None:
    response = client.post(
        EXPERIMENTS,
        json={
            "name": "x",
            "feature_flag_key": "x",
            "parameters": {"feature_flag_variants": variants},
        },
    )
    assert response.status_code == 400
    body = error(response)
    assert (body["type"], body["attr"]) == ("validation_error", "parameters")
    assert detail in body["detail"]
    assert client.get(FLAGS).json()["count"] == 0


def test_required_fields(client: ContractClient) -> None:
    response = client.post(EXPERIMENTS, json={"name": "no key"}, schema_violation=True)
    assert error(response) == {
        "type": "validation_error",
        "code": "required",
        "detail": "This field is required.",
        "attr": "feature_flag_key",
    }


def test_existing_flag_is_reused_when_it_has_control(client: ContractClient) -> None:
    flag = create_flag(
        client,
        "prebuilt",
        filters={
            "groups": [{"properties": [], "rollout_percentage": 100}],
            "multivariate": {"variants": VARIANTS},
        },
    )
    experiment = _create(client, feature_flag_key="prebuilt")
    assert experiment["feature_flag"]["id"] == flag["id"]
    create_flag(client, "boolean-flag")
    response = client.post(EXPERIMENTS, json={"name": "y", "feature_flag_key": "boolean-flag"})
    assert error(response)["detail"] == (
        "Feature flag must have at least 2 variants (control and at least one test variant)"
    )


def test_invalid_flag_key_reports_the_flag_serializer_error(client: ContractClient) -> None:
    response = client.post(EXPERIMENTS, json={"name": "bad", "feature_flag_key": "bad key"})
    assert error(response)["code"] == "invalid_key"
    assert error(response)["attr"] == "key"


def test_launch_pause_resume_end(client: ContractClient) -> None:
    experiment = _create(client)
    url = f"{EXPERIMENTS}{experiment['id']}"
    flag_version = _flag(client, experiment)["version"]
    launched = client.post(f"{url}/launch/").json()
    assert launched["status"] == "running"
    assert launched["start_date"] is not None
    assert _flag(client, experiment)["active"] is True
    assert _flag(client, experiment)["version"] == flag_version  # a bare save, no version bump
    again = client.post(f"{url}/launch/")
    assert error(again)["detail"] == "Experiment has already been launched."
    assert client.post(f"{url}/pause/").json()["status"] == "paused"
    assert _flag(client, experiment)["active"] is False
    assert error(client.post(f"{url}/pause/"))["detail"] == "Experiment is already paused."
    assert client.post(f"{url}/resume/").json()["status"] == "running"
    ended = client.post(f"{url}/end/", json={"conclusion": "won"}).json()
    assert ended["status"] == "stopped"
    assert ended["end_date"] is not None
    assert ended["conclusion"] == "won"
    assert _flag(client, experiment)["active"] is True  # end leaves the flag alone
    assert error(client.post(f"{url}/end/"))["detail"] == "Experiment has already ended."


def test_lifecycle_actions_need_a_launched_experiment(client: ContractClient) -> None:
    url = f"{EXPERIMENTS}{_create(client)['id']}"
    for action in ("pause", "resume", "end"):
        assert error(client.post(f"{url}/{action}/"))["detail"] == (
            "Experiment has not been launched yet."
        )


def test_patching_start_date_launches_a_draft(client: ContractClient) -> None:
    experiment = _create(client)
    response = client.patch(
        f"{EXPERIMENTS}{experiment['id']}/", json={"start_date": "2025-06-01T00:00:00Z"}
    )
    assert response.json()["status"] == "running"
    assert _flag(client, experiment)["active"] is True


def test_draft_variant_changes_are_pushed_to_the_flag(client: ContractClient) -> None:
    experiment = _create(client)
    before = _flag(client, experiment)["version"]
    client.patch(
        f"{EXPERIMENTS}{experiment['id']}/",
        json={"parameters": {"feature_flag_variants": VARIANTS}},
    )
    flag = _flag(client, experiment)
    assert [v["key"] for v in flag["filters"]["multivariate"]["variants"]] == [
        "control",
        "red",
        "blue",
    ]
    assert flag["version"] == before + 1


def test_running_experiment_variants_are_frozen(client: ContractClient) -> None:
    experiment = _create(client)
    url = f"{EXPERIMENTS}{experiment['id']}/"
    client.post(f"{url}launch/")
    renamed = client.patch(url, json={"parameters": {"feature_flag_variants": VARIANTS}})
    assert error(renamed)["detail"] == "Can't update feature_flag_variants on Experiment"
    reweighted = [
        {"key": "control", "rollout_percentage": 20},
        {"key": "test", "rollout_percentage": 80},
    ]
    kept = client.patch(url, json={"parameters": {"feature_flag_variants": reweighted}})
    assert kept.status_code == 200
    assert (
        _flag(client, experiment)["filters"]["multivariate"]["variants"][0]["rollout_percentage"]
        == 50
    )
    pushed = client.patch(
        url,
        json={
            "parameters": {"feature_flag_variants": reweighted},
            "update_feature_flag_params": True,
        },
    )
    assert pushed.status_code == 200
    assert (
        _flag(client, experiment)["filters"]["multivariate"]["variants"][0]["rollout_percentage"]
        == 20
    )


def test_unchangeable_keys(client: ContractClient) -> None:
    experiment = _create(client)
    url = f"{EXPERIMENTS}{experiment['id']}/"
    assert client.patch(url, json={"feature_flag_key": "checkout-exp"}).status_code == 200
    moved = client.patch(url, json={"feature_flag_key": "elsewhere"})
    assert error(moved)["detail"] == "Can't update keys: get_feature_flag_key on Experiment"


def test_metrics_get_uuid_and_fingerprint(client: ContractClient) -> None:
    experiment = _create(client, metrics=[METRIC], metrics_secondary=[dict(METRIC)])
    primary = experiment["metrics"][0]
    assert primary["uuid"] and primary["fingerprint"]
    assert experiment["primary_metrics_ordered_uuids"] == [primary["uuid"]]
    assert experiment["metrics_secondary"][0]["uuid"] != primary["uuid"]
    launched = client.post(f"{EXPERIMENTS}{experiment['id']}/launch/").json()
    assert launched["metrics"][0]["uuid"] == primary["uuid"]
    assert launched["metrics"][0]["fingerprint"] != primary["fingerprint"]
    legacy = client.post(
        EXPERIMENTS,
        json={
            "name": "old",
            "feature_flag_key": "old",
            "metrics": [{"kind": "ExperimentTrendsQuery"}],
        },
    )
    assert error(legacy)["attr"] == "metrics"
    assert "legacy metric kind" in error(legacy)["detail"]


def test_delete_is_405_and_soft_delete_hides_the_experiment(client: ContractClient) -> None:
    experiment = _create(client)
    url = f"{EXPERIMENTS}{experiment['id']}/"
    response = client.delete(url)
    assert response.status_code == 405
    assert response.content == b""
    flag_id = experiment["feature_flag"]["id"]
    client.post(f"{url}launch/")
    blocked = client.patch(f"{FLAGS}{flag_id}/", json={"deleted": True})
    assert error(blocked)["detail"] == (
        'Cannot delete a feature flag that is linked to running experiment(s): "Checkout test" '
        f"(ID: {experiment['id']}). Please stop the experiment(s) before deleting the flag."
    )
    assert client.patch(url, json={"deleted": True}).status_code == 200
    assert client.get(url).status_code == 404
    assert client.get(EXPERIMENTS).json()["count"] == 0
    restored = client.patch(url, json={"deleted": False})
    assert restored.status_code == 200
    assert client.get(url).json()["deleted"] is False


def test_deleting_the_flag_of_a_deleted_experiment_frees_its_key(client: ContractClient) -> None:
    experiment = _create(client)
    client.patch(f"{EXPERIMENTS}{experiment['id']}/", json={"deleted": True})
    flag_id = experiment["feature_flag"]["id"]
    deleted = client.patch(f"{FLAGS}{flag_id}/", json={"deleted": True}).json()
    assert deleted["key"] == f"checkout-exp:deleted:{flag_id}"
    create_flag(client, "checkout-exp")
    restored = client.patch(f"{FLAGS}{flag_id}/", json={"deleted": False}).json()
    assert restored["key"] == "checkout-exp-2"


def test_list_filters_by_status(client: ContractClient) -> None:
    draft = _create(client, name="draft one", feature_flag_key="d1")
    running = _create(client, name="running one", feature_flag_key="r1")
    client.post(f"{EXPERIMENTS}{running['id']}/launch/")
    page = client.get(f"{EXPERIMENTS}?status=running").json()
    assert [e["id"] for e in page["results"]] == [running["id"]]
    assert [e["id"] for e in client.get(f"{EXPERIMENTS}?status=draft").json()["results"]] == [
        draft["id"]
    ]
    assert client.get(f"{EXPERIMENTS}?limit=1").json()["next"] is not None
