"""Project audiences: CRUD, and references from targets by id."""

from __future__ import annotations

import httpx

from .conftest import Project, config_of, create_feature, environments

ANDROID = {
    "operator": "and",
    "filters": [{"type": "user", "subType": "platform", "comparator": "=", "values": ["Android"]}],
}


def test_audience_crud(api: httpx.Client, project: Project) -> None:
    base = f"/v1/projects/{project['key']}/audiences"
    created = api.post(base, json={"key": "android", "name": "Android", "filters": ANDROID})
    assert created.status_code == 201, created.text
    audience = created.json()
    assert audience["_project"] == project["_id"] and audience["readonly"] is False
    assert audience["filters"] == ANDROID
    assert api.get(f"{base}/android").json() == audience
    assert api.get(f"{base}/{audience['_id']}").json() == audience

    patched = api.patch(f"{base}/android", json={"name": "Android users"})
    assert patched.status_code == 200
    assert patched.json()["name"] == "Android users"
    assert patched.json()["filters"] == ANDROID

    listed = api.get(base)
    assert listed.headers["count"] == "1"
    assert api.delete(f"{base}/android").status_code == 200
    assert api.get(f"{base}/android").status_code == 404


def test_audience_needs_key_name_and_values(api: httpx.Client, project: Project) -> None:
    base = f"/v1/projects/{project['key']}/audiences"
    nameless = api.post(base, json={"filters": ANDROID})
    assert nameless.status_code == 400
    assert nameless.json()["message"] == ["name should not be empty", "key should not be empty"]
    no_values = {
        "operator": "and",
        "filters": [{"type": "user", "subType": "email", "comparator": "="}],
    }
    response = api.post(base, json={"key": "k", "name": "K", "filters": no_values})
    assert response.status_code == 400
    assert response.json()["message"] == ["filters.filters.0.values should not be empty"]
    exists = {
        "operator": "and",
        "filters": [{"type": "user", "subType": "email", "comparator": "exist"}],
    }
    assert api.post(base, json={"key": "k", "name": "K", "filters": exists}).status_code == 201
    assert api.post(base, json={"key": "k", "name": "K", "filters": exists}).status_code == 409


def test_project_audiences_cannot_nest_audience_match(api: httpx.Client, project: Project) -> None:
    nested = {"operator": "and", "filters": [{"type": "audienceMatch", "_audiences": []}]}
    response = api.post(
        f"/v1/projects/{project['key']}/audiences",
        json={"key": "n", "name": "N", "filters": nested},
    )
    assert response.status_code == 400


def test_targets_reference_audiences_by_id_and_deletion_is_412(
    api: httpx.Client, project: Project
) -> None:
    base = f"/v1/projects/{project['key']}/audiences"
    audience = api.post(base, json={"key": "android", "name": "Android", "filters": ANDROID}).json()
    feature = create_feature(
        api,
        project["key"],
        {
            "key": "for-android",
            "name": "For Android",
            "variations": [{"key": "on", "name": "On"}],
            "configurations": {
                "production": {
                    "status": "active",
                    "targets": [
                        {
                            "audience": {
                                "name": "Android users",
                                "filters": {
                                    "operator": "and",
                                    "filters": [
                                        {
                                            "type": "audienceMatch",
                                            "comparator": "=",
                                            "_audiences": ["android"],
                                        }
                                    ],
                                },
                            },
                            "distribution": [{"_variation": "on", "percentage": 1}],
                        }
                    ],
                }
            },
        },
    )
    envs = environments(api, project["key"])
    [match] = config_of(feature, envs["production"])["targets"][0]["audience"]["filters"]["filters"]
    assert match["_audiences"] == [audience["_id"]]

    response = api.delete(f"{base}/android")
    assert response.status_code == 412
    assert response.json()["error"] == "Precondition Failed"
    assert api.get(f"{base}/android").status_code == 200
    usage = api.get(base, params={"includeUsage": "true"}).json()
    assert usage[0]["hasUsage"] is True

    api.patch(
        f"/v2/projects/{project['key']}/features/for-android",
        json={"configurations": {"production": {"status": "inactive", "targets": []}}},
    )
    assert api.delete(f"{base}/android").status_code == 200


def test_unknown_audience_in_a_target_is_404(api: httpx.Client, project: Project) -> None:
    response = api.post(
        f"/v2/projects/{project['key']}/features",
        json={
            "key": "ghost",
            "name": "Ghost",
            "variations": [{"key": "on", "name": "On"}],
            "configurations": {
                "staging": {
                    "targets": [
                        {
                            "audience": {
                                "filters": {
                                    "operator": "and",
                                    "filters": [{"type": "audienceMatch", "_audiences": ["nope"]}],
                                }
                            },
                            "distribution": [{"_variation": "on", "percentage": 1}],
                        }
                    ]
                }
            },
        },
    )
    assert response.status_code == 404
