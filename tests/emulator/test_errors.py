"""Error bodies in the vendor's NestJS shape, with class-validator messages."""

from __future__ import annotations

import httpx

from .conftest import Project, create_feature


def test_bad_key_gives_class_validator_message(api: httpx.Client, project: Project) -> None:
    response = api.post(
        f"/v2/projects/{project['key']}/features", json={"key": "Bad Key!", "name": "Bad"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "message": ["key must match /^[a-z0-9-_.]+$/ regular expression"],
        "error": "Bad Request",
    }


def test_missing_name_and_too_long_fields(api: httpx.Client, project: Project) -> None:
    missing = api.post(f"/v2/projects/{project['key']}/features", json={"key": "ok"})
    assert missing.status_code == 400
    assert missing.json()["message"] == ["name should not be empty"]
    long_name = api.post(
        f"/v2/projects/{project['key']}/features", json={"key": "ok", "name": "n" * 101}
    )
    assert long_name.json()["message"] == ["name must be shorter than or equal to 100 characters"]


def test_unknown_properties_are_rejected_with_their_path(
    api: httpx.Client, project: Project
) -> None:
    response = api.post(
        f"/v2/projects/{project['key']}/features",
        json={
            "key": "with-extra",
            "name": "Extra",
            "colour": "red",
            "variations": [{"key": "on", "name": "On", "weight": 5}],
        },
    )
    assert response.status_code == 400
    assert sorted(response.json()["message"]) == [
        "property colour should not exist",
        "variations.0.property weight should not exist",
    ]


def test_nested_violations_name_the_nested_path(api: httpx.Client, project: Project) -> None:
    response = api.post(
        f"/v2/projects/{project['key']}/features",
        json={
            "key": "nested",
            "name": "Nested",
            "variations": [{"key": "on", "name": "On"}],
            "configurations": {
                "staging": {
                    "status": "enabled",
                    "targets": [
                        {
                            "audience": {"filters": {"operator": "and", "filters": []}},
                            "distribution": [{"_variation": "on", "percentage": 1.5}],
                        }
                    ],
                }
            },
        },
    )
    assert response.status_code == 400
    assert sorted(response.json()["message"]) == [
        "configurations.staging.status must be one of the following values: active, inactive",
        "configurations.staging.targets.0.distribution.0.percentage must not be greater than 1",
    ]


def test_filter_errors_are_reported_for_the_filter_meant(
    api: httpx.Client, project: Project
) -> None:
    audience = {
        "filters": {
            "operator": "and",
            "filters": [{"type": "user", "subType": "email", "comparator": "lessThan"}],
        }
    }
    response = api.post(
        f"/v1/projects/{project['key']}/audiences",
        json={"key": "aud", "name": "Aud", "filters": audience["filters"]},
    )
    assert response.status_code == 400
    message = response.json()["message"]
    assert message == [
        "filters.filters.0.comparator must be one of the following values: "
        "=, !=, exist, !exist, contain, !contain, startWith, !startWith, endWith, !endWith"
    ]


def test_malformed_json_is_400_with_a_string_message(api: httpx.Client, project: Project) -> None:
    response = api.post(
        f"/v2/projects/{project['key']}/features",
        content=b'{"key": ',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Bad Request"
    assert isinstance(body["message"], str) and "JSON" in body["message"]


def test_missing_items_are_404_naming_the_key(api: httpx.Client, project: Project) -> None:
    for path in (
        "/v1/projects/no-such-project",
        f"/v2/projects/{project['key']}/features/no-such-feature",
        f"/v1/projects/{project['key']}/variables/no-such-variable",
        f"/v1/projects/{project['key']}/environments/no-such-environment",
        f"/v1/projects/{project['key']}/audiences/no-such-audience",
    ):
        response = api.get(path)
        assert response.status_code == 404, path
        missing = path.rsplit("/", 1)[1]
        assert response.json() == {
            "statusCode": 404,
            "message": f"Item with key '{missing}' not found",
            "error": "Not Found",
        }


def test_unknown_route_and_method_are_nest_404(api: httpx.Client, project: Project) -> None:
    response = api.delete(f"/v2/projects/{project['key']}/features/anything")
    assert response.status_code == 404
    assert response.json() == {
        "statusCode": 404,
        "message": f"Cannot DELETE /v2/projects/{project['key']}/features/anything",
        "error": "Not Found",
    }


def test_taken_feature_key_is_409_with_error_type(api: httpx.Client, project: Project) -> None:
    create_feature(api, project["key"], {"key": "taken", "name": "Taken"})
    response = api.post(
        f"/v2/projects/{project['key']}/features", json={"key": "taken", "name": "Again"}
    )
    assert response.status_code == 409
    assert response.json() == {
        "statusCode": 409,
        "message": "Duplicate key 'taken'",
        "error": "Conflict",
        "errorType": "ERR_DUPE_FEATURE_KEY",
    }


def test_taken_variable_key_is_409(api: httpx.Client, project: Project) -> None:
    variable = {"key": "shared-var", "type": "Boolean"}
    create_feature(api, project["key"], {"key": "one", "name": "One", "variables": [variable]})
    response = api.post(
        f"/v2/projects/{project['key']}/features",
        json={"key": "two", "name": "Two", "variables": [variable]},
    )
    assert response.status_code == 409
    assert response.json()["message"] == "Duplicate key 'shared-var'"
    assert response.json()["errorType"] == "ERR_DUPE_VARIABLE_KEY"
    assert api.get(f"/v2/projects/{project['key']}/features/two").status_code == 404
    direct = api.post(f"/v1/projects/{project['key']}/variables", json=variable)
    assert direct.status_code == 409
