"""Feature flag CRUD: server echoes, soft delete, key reuse, versions and conflicts."""

from __future__ import annotations

import json
from typing import Any

from reconciler.emulator.posthog import PostHogState

from .conftest import ContractClient, create_flag, error, flag_body

FLAGS = "/api/projects/1/feature_flags/"


def _cohort_prop(cohort_id: int) -> dict[str, Any]:
    return {"key": "id", "type": "cohort", "value": cohort_id, "operator": "in"}


def test_create_returns_the_server_shape(client: ContractClient) -> None:
    flag = create_flag(client, "shape", tags=["Beta", "beta ", "ops"])
    assert flag["version"] == 1
    assert flag["active"] is True
    assert flag["deleted"] is False
    assert flag["is_simple_flag"] is True
    assert flag["rollout_percentage"] == 100
    assert flag["tags"] == ["beta", "ops"]
    assert flag["created_by"]["email"] == flag["last_modified_by"]["email"]
    assert flag["experiment_set"] == []
    assert flag["status"] == "ACTIVE"
    assert flag["usage_dashboard"] is not None


def test_filters_are_normalised_on_the_way_in(client: ContractClient) -> None:
    flag = create_flag(
        client,
        "normalised",
        filters={
            "groups": [{"rollout_percentage": 30}, {"properties": [_cohort_prop(11)]}],
            "payloads": {"true": {"color": "blue"}},
            "unknown_key": 1,
        },
    )
    filters = flag["filters"]
    assert filters["groups"][0]["properties"] == []
    assert all(g["aggregation_group_type_index"] is None for g in filters["groups"])
    assert filters["aggregation_group_type_index"] is None
    assert filters["payloads"] == {"true": json.dumps({"color": "blue"})}
    assert "unknown_key" not in filters
    assert filters["groups"][1]["properties"][0]["cohort_name"] == "Beta testers"


def test_payload_strings_are_kept_and_numbers_encoded(client: ContractClient) -> None:
    flag = create_flag(
        client,
        "payloads",
        filters={
            "groups": [{"properties": [], "rollout_percentage": 100}],
            "multivariate": {
                "variants": [
                    {"key": "a", "rollout_percentage": 50},
                    {"key": "b", "rollout_percentage": 50},
                ]
            },
            "payloads": {"a": '{"x": 1}', "b": 42},
        },
    )
    assert flag["filters"]["payloads"] == {"a": '{"x": 1}', "b": "42"}


def test_group_aggregation_is_copied_into_groups(client: ContractClient) -> None:
    prop = {"key": "name", "type": "group", "group_type_index": 0, "value": "acme"}
    flag = create_flag(
        client,
        "by-company",
        filters={"aggregation_group_type_index": 0, "groups": [{"properties": [prop]}]},
    )
    assert flag["filters"]["groups"][0]["aggregation_group_type_index"] == 0
    assert flag["filters"]["aggregation_group_type_index"] == 0
    assert flag["is_simple_flag"] is False


def test_cohort_ids_are_per_project(client: ContractClient) -> None:
    staging = {c["name"]: c["id"] for c in client.get("/api/projects/1/cohorts/").json()["results"]}
    production = {
        c["name"]: c["id"] for c in client.get("/api/projects/2/cohorts/").json()["results"]
    }
    assert staging.keys() == production.keys() == {"Beta testers", "Enterprise customers"}
    assert set(staging.values()).isdisjoint(production.values())
    cohort = client.get(f"/api/projects/2/cohorts/{production['Beta testers']}/").json()
    assert cohort["filters"]["properties"]["type"] == "OR"
    assert client.get(f"/api/projects/1/cohorts/{production['Beta testers']}/").status_code == 404


def test_retrieve_and_unknown_ids(client: ContractClient) -> None:
    flag = create_flag(client, "retrieve")
    assert client.get(f"{FLAGS}{flag['id']}/").json()["key"] == "retrieve"
    assert client.get(f"{FLAGS}{flag['id']}").status_code == 200
    missing = client.get(f"{FLAGS}9999/")
    assert missing.status_code == 404
    assert error(missing) == {
        "type": "invalid_request",
        "code": "not_found",
        "detail": "Not found.",
        "attr": None,
    }
    assert client.get(f"/api/projects/2/feature_flags/{flag['id']}/").status_code == 404
    assert client.get(f"{FLAGS}retrieve/").status_code == 404


def test_delete_is_405_without_body(client: ContractClient) -> None:
    flag = create_flag(client, "undeletable")
    response = client.delete(f"{FLAGS}{flag['id']}/")
    assert response.status_code == 405
    assert response.content == b""
    assert client.get(f"{FLAGS}{flag['id']}/").json()["deleted"] is False
    assert client.delete(f"{FLAGS}424242/").status_code == 405


def test_soft_delete_and_undelete(client: ContractClient) -> None:
    flag = create_flag(client, "soft")
    deleted = client.patch(f"{FLAGS}{flag['id']}/", json={"deleted": True})
    assert deleted.status_code == 200
    assert deleted.json()["status"] == "DELETED"
    assert client.get(FLAGS).json()["count"] == 0
    retrieved = client.get(f"{FLAGS}{flag['id']}/").json()
    assert retrieved["deleted"] is True
    restored = client.patch(f"{FLAGS}{flag['id']}/", json={"deleted": False})
    assert restored.json()["deleted"] is False
    assert [f["key"] for f in client.get(FLAGS).json()["results"]] == ["soft"]


def test_key_of_soft_deleted_flag_is_reusable(client: ContractClient) -> None:
    old = create_flag(client, "reused")
    client.patch(f"{FLAGS}{old['id']}/", json={"deleted": True})
    new = create_flag(client, "reused")
    assert new["id"] != old["id"]
    # The tombstone is hard-deleted to free the key, as PostHog does.
    assert client.get(f"{FLAGS}{old['id']}/").status_code == 404


def test_rename_onto_a_tombstone_frees_it(client: ContractClient) -> None:
    gone = create_flag(client, "target")
    client.patch(f"{FLAGS}{gone['id']}/", json={"deleted": True})
    other = create_flag(client, "other")
    renamed = client.patch(f"{FLAGS}{other['id']}/", json={"key": "target"})
    assert renamed.status_code == 200
    assert renamed.json()["key"] == "target"


def test_version_increments_on_every_update(client: ContractClient) -> None:
    flag = create_flag(client, "versions")
    url = f"{FLAGS}{flag['id']}/"
    versions = [client.patch(url, json={"name": f"v{i}"}).json()["version"] for i in range(3)]
    assert versions == [2, 3, 4]
    assert client.put(url, json=flag_body("versions", name="put")).json()["version"] == 5


def test_version_conflict_with_original_flag_is_409(client: ContractClient) -> None:
    original = create_flag(client, "contested", name="original")
    url = f"{FLAGS}{original['id']}/"
    client.patch(url, json={"name": "someone else"})
    response = client.patch(
        url, json={"name": "mine", "version": original["version"], "original_flag": original}
    )
    assert response.status_code == 409
    assert error(response) == {
        "type": "server_error",
        "code": "conflict",
        "detail": "The feature flag was updated by emulator@flagsync.invalid since you started "
        "editing it. Please refresh and try again.",
        "attr": None,
    }
    assert client.get(url).json()["name"] == "someone else"


def test_stale_version_without_overlap_or_original_flag_proceeds(client: ContractClient) -> None:
    original = create_flag(client, "weak", name="original")
    url = f"{FLAGS}{original['id']}/"
    client.patch(url, json={"name": "someone else"})
    disjoint = client.patch(
        url, json={"active": False, "version": original["version"], "original_flag": original}
    )
    assert disjoint.status_code == 200
    no_original = client.patch(url, json={"name": "mine", "version": 1})
    assert no_original.status_code == 200
    assert no_original.json()["version"] == 4


def test_patch_filters_merge_into_the_stored_filters(client: ContractClient) -> None:
    """`_validate_filters_inner`: an update stores `{**stored, **sent}`; `{}` changes nothing."""
    flag = create_flag(
        client,
        "merge",
        filters={
            "groups": [{"properties": [], "rollout_percentage": 5}],
            "payloads": {"true": "1"},
        },
    )
    url = f"{FLAGS}{flag['id']}/"
    unchanged = client.patch(url, json={"filters": {}}).json()
    assert unchanged["filters"]["payloads"] == {"true": "1"}
    merged = client.patch(
        url, json={"filters": {"groups": [{"properties": [], "rollout_percentage": 7}]}}
    ).json()
    assert merged["filters"]["payloads"] == {"true": "1"}
    assert merged["rollout_percentage"] == 7
    cleared = client.patch(url, json={"filters": {"payloads": {}}}).json()
    assert cleared["filters"]["payloads"] == {}
    assert cleared["rollout_percentage"] == 7
    assert client.patch(url, json={"filters": {"groups": []}}).status_code == 200


def test_dependencies_block_delete_and_disable(client: ContractClient) -> None:
    base = create_flag(client, "dep-base")
    prop = {"key": str(base["id"]), "type": "flag", "operator": "flag_evaluates_to", "value": True}
    create_flag(client, "dep-child", filters={"groups": [{"properties": [prop]}]})
    url = f"{FLAGS}{base['id']}/"
    delete = error(client.patch(url, json={"deleted": True}))
    assert delete["detail"].startswith("Cannot delete this feature flag because other flags")
    assert "dep-child (ID:" in delete["detail"]
    disable = error(client.patch(url, json={"active": False}))
    assert disable["detail"].startswith("Cannot disable this feature flag because other flags")


def test_put_requires_key(client: ContractClient) -> None:
    flag = create_flag(client, "put-me")
    response = client.put(f"{FLAGS}{flag['id']}/", json={"name": "x"}, schema_violation=True)
    assert error(response)["code"] == "required"


def test_state_round_trips_through_json(client: ContractClient, state: PostHogState) -> None:
    create_flag(client, "persisted", tags=["a"])
    copy = PostHogState.from_json(json.loads(json.dumps(state.to_json())))
    assert copy.to_json() == state.to_json()


def test_a_failed_write_changes_nothing(client: ContractClient) -> None:
    gone = create_flag(client, "tomb")
    client.patch(f"{FLAGS}{gone['id']}/", json={"deleted": True})
    original = create_flag(client, "rename-me", name="original")
    url = f"{FLAGS}{original['id']}/"
    client.patch(url, json={"name": "someone else"})
    response = client.patch(
        url,
        json={"key": "tomb", "name": "mine", "version": 1, "original_flag": original},
    )
    assert response.status_code == 409
    # Freeing the tombstone's key happened before the conflict check; it was rolled back.
    assert client.get(f"{FLAGS}{gone['id']}/").json()["deleted"] is True
    assert client.get(url).json()["key"] == "rename-me"


def test_flag_created_without_filters_is_on_for_everyone(client: ContractClient) -> None:
    response = client.post(FLAGS, json={"key": "bare"})
    assert response.status_code == 201
    flag = response.json()
    assert flag["filters"] == {"groups": [{"properties": [], "rollout_percentage": None}]}
    assert flag["is_simple_flag"] is True
    assert flag["rollout_percentage"] is None
