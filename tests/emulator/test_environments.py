"""Environments: defaults of a new project, create with SDK keys, rename, delete rules."""

from __future__ import annotations

import re

import httpx

from .conftest import Project, checkout_feature, create_feature, environments

SDK_KEY = re.compile(r"^dvc_(mobile|client|server)_[0-9a-f_]+$")


def test_new_project_has_the_three_default_environments(
    api: httpx.Client, project: Project
) -> None:
    envs = environments(api, project["key"])
    assert {key: env["type"] for key, env in envs.items()} == {
        "development": "development",
        "staging": "staging",
        "production": "production",
    }


def test_create_generates_sdk_keys_of_each_kind(api: httpx.Client, project: Project) -> None:
    response = api.post(
        f"/v1/projects/{project['key']}/environments",
        json={"key": "qa", "name": "QA", "type": "staging", "color": "#ABCDEF"},
    )
    assert response.status_code == 201, response.text
    env = response.json()
    assert env["_project"] == project["_id"]
    assert env["readonly"] is False
    for kind in ("mobile", "client", "server"):
        [sdk_key] = env["sdkKeys"][kind]
        assert SDK_KEY.match(sdk_key["key"]) and sdk_key["key"].startswith(f"dvc_{kind}_")
        assert sdk_key["compromised"] is False
    listed = api.get(f"/v1/projects/{project['key']}/environments")
    assert listed.headers["count"] == "4"


def test_existing_features_get_an_inactive_configuration_for_a_new_environment(
    api: httpx.Client, project: Project
) -> None:
    create_feature(api, project["key"], checkout_feature())
    env = api.post(
        f"/v1/projects/{project['key']}/environments",
        json={"key": "qa", "name": "QA", "type": "staging"},
    ).json()
    feature = api.get(f"/v2/projects/{project['key']}/features/new-checkout").json()
    [qa] = [c for c in feature["configurations"] if c["_environment"] == env["_id"]]
    assert qa["status"] == "inactive" and qa["targets"] == []


def test_environment_validation_and_conflicts(api: httpx.Client, project: Project) -> None:
    base = f"/v1/projects/{project['key']}/environments"
    bad = api.post(base, json={"key": "x", "name": "X", "type": "testing", "color": "blue"})
    assert bad.status_code == 400
    assert sorted(bad.json()["message"]) == [
        "color must match /^#([0-9A-Fa-f]{3}|[0-9A-Fa-f]{4}|[0-9A-Fa-f]{6}|[0-9A-Fa-f]{8})$/ "
        "regular expression",
        "type must be one of the following values: development, staging, production, "
        "disaster_recovery",
    ]
    duplicate = api.post(base, json={"key": "staging", "name": "Again", "type": "staging"})
    assert duplicate.status_code == 409
    rename = api.patch(f"{base}/development", json={"key": "production"})
    assert rename.status_code == 409
    assert rename.json()["message"] == "Duplicate key 'production'"


def test_patch_renames_and_the_new_key_resolves(api: httpx.Client, project: Project) -> None:
    base = f"/v1/projects/{project['key']}/environments"
    response = api.patch(f"{base}/development", json={"key": "dev", "name": "Dev"})
    assert response.status_code == 200
    assert api.get(f"{base}/dev").json()["_id"] == response.json()["_id"]
    assert api.get(f"{base}/development").status_code == 404


def test_deleting_the_last_environment_is_405(api: httpx.Client, project: Project) -> None:
    base = f"/v1/projects/{project['key']}/environments"
    assert api.delete(f"{base}/development").status_code == 200
    assert api.delete(f"{base}/staging").status_code == 200
    response = api.delete(f"{base}/production")
    assert response.status_code == 405
    assert response.json() == {
        "statusCode": 405,
        "message": "Cannot DELETE last item",
        "error": "Method Not Allowed",
    }
    assert list(environments(api, project["key"])) == ["production"]


def test_sdk_key_rotation(api: httpx.Client, project: Project) -> None:
    base = f"/v1/projects/{project['key']}/environments/production"
    env = api.post(f"{base}/sdk-keys", json={"server": True}).json()
    assert len(env["sdkKeys"]["server"]) == 2 and len(env["sdkKeys"]["client"]) == 1
    old = env["sdkKeys"]["server"][0]["key"]
    assert api.delete(f"{base}/sdk-keys/{old}").status_code == 200
    last = api.get(base).json()["sdkKeys"]["server"][0]["key"]
    assert api.delete(f"{base}/sdk-keys/{last}").status_code == 405
