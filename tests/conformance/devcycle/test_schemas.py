"""What the emulator answers validates against the component schemas of DevCycle's OpenAPI
document (`reconciler/emulator/devcycle/spec/devcycle-management-openapi.json`, read directly in
`spec.py`)."""

from __future__ import annotations

import httpx
import pytest

from tests.devcycle_settings import set_approval_workflow
from tests.emulator.conftest import Project, checkout_feature, create_feature

from .spec import assert_valid as _assert_valid


@pytest.fixture
def populated(api: httpx.Client, project: Project) -> Project:
    base = f"/v1/projects/{project['key']}"
    api.post(
        f"{base}/audiences",
        json={
            "key": "beta-users",
            "name": "Beta users",
            "description": "People who opted in",
            "tags": ["beta"],
            "filters": {
                "operator": "or",
                "filters": [
                    {
                        "type": "user",
                        "subType": "email",
                        "comparator": "endWith",
                        "values": ["@acme.com"],
                    },
                    {
                        "type": "user",
                        "subType": "customData",
                        "comparator": ">=",
                        "dataKey": "plan",
                        "dataKeyType": "Number",
                        "values": [2],
                    },
                ],
            },
        },
    )
    body = checkout_feature(description="Contract", tags=["contract"])
    body["configurations"]["development"] = {
        "status": "active",
        "targets": [
            {
                "name": "Beta",
                "audience": {
                    "name": "Beta",
                    "filters": {
                        "operator": "and",
                        "filters": [
                            {
                                "type": "audienceMatch",
                                "comparator": "=",
                                "_audiences": ["beta-users"],
                            },
                            {
                                "type": "user",
                                "subType": "country",
                                "comparator": "=",
                                "values": ["CA"],
                            },
                        ],
                    },
                },
                "rollout": {"type": "schedule", "startDate": "2030-01-01T00:00:00.000Z"},
                "distribution": [{"_variation": "redesign", "percentage": 1}],
            }
        ],
    }
    create_feature(api, project["key"], body)
    api.post(f"{base}/variables", json={"key": "standalone", "type": "JSON", "name": "Standalone"})
    return project


def test_feature_responses_match_the_feature_schema(api: httpx.Client, populated: Project) -> None:
    key = populated["key"]
    _assert_valid(api.get(f"/v2/projects/{key}/features/new-checkout").json(), "Feature")
    for feature in api.get(f"/v2/projects/{key}/features").json():
        _assert_valid(feature, "Feature")
    for config in api.get(f"/v1/projects/{key}/features/new-checkout/configurations").json():
        _assert_valid(config, "FeatureConfig")
    for variation in api.get(f"/v1/projects/{key}/features/new-checkout/variations").json():
        _assert_valid(variation, "Variation")


def test_variable_environment_project_audience_responses_match(
    api: httpx.Client, populated: Project
) -> None:
    key = populated["key"]
    for variable in api.get(f"/v1/projects/{key}/variables").json():
        _assert_valid(variable, "Variable")
    for env in api.get(f"/v1/projects/{key}/environments").json():
        _assert_valid(env, "Environment")
    _assert_valid(api.get(f"/v1/projects/{key}").json(), "Project")
    for project in api.get("/v1/projects").json():
        _assert_valid(project, "Project")
    for audience in api.get(f"/v1/projects/{key}/audiences").json():
        _assert_valid(audience, "Audience")


def test_error_responses_match_the_error_schemas(api: httpx.Client, populated: Project) -> None:
    key = populated["key"]
    not_found = api.get(f"/v2/projects/{key}/features/missing").json()
    conflict = api.post(f"/v2/projects/{key}/features", json={"key": "new-checkout", "name": "X"})
    bad = api.post(f"/v2/projects/{key}/features", json={"key": "x"}).json()
    # The document types `message` as object; it is a string or a list of strings.
    assert isinstance(not_found["message"], str) and isinstance(bad["message"], list)
    for body, name in (
        ({**not_found, "message": {}}, "NotFoundErrorResponse"),
        ({**conflict.json(), "message": {}}, "ConflictErrorResponse"),
        ({**bad, "message": {}}, "BadRequestErrorResponse"),
    ):
        _assert_valid(body, name)


def test_change_request_responses_match_their_schemas(
    api: httpx.Client, populated: Project
) -> None:
    key = populated["key"]
    set_approval_workflow(api, key)
    feature = f"/v2/projects/{key}/features/new-checkout"
    base = f"{feature}/change-requests"
    created = api.post(base, json={"path": feature, "method": "PATCH", "body": {"name": "CR"}})
    assert created.status_code == 201, created.text
    request_id = created.json()["_id"]
    _assert_valid(created.json(), "FeatureChangeRequest")
    submitted = api.patch(
        f"{base}/{request_id}/submit", json={"description": "Why", "reviewers": ["auth0|r"]}
    )
    _assert_valid(submitted.json(), "FeatureChangeRequest")
    for request in api.get(base).json():
        _assert_valid(request, "FeatureChangeRequest")
    _assert_valid(api.get(f"{base}/{request_id}").json(), "FeatureChangeRequest")
    _assert_valid(api.get(feature).json(), "Feature")
    for summary in api.get(f"/v2/projects/{key}/change-requests").json():
        _assert_valid(summary, "FeatureChangeRequestSummary")

    conflict = api.post(base, json={"path": feature, "method": "PATCH", "body": {}}).json()
    locked = api.patch(feature, json={"name": "Direct"}).json()
    for body, name in (
        ({**conflict, "message": {}}, "ConflictErrorResponse"),
        ({**locked, "message": {}}, "PreconditionFailedErrorResponse"),
    ):
        _assert_valid(body, name)

    reviewed = api.patch(
        f"{base}/{request_id}/review", json={"action": "approved", "comment": "ok"}
    )
    _assert_valid(reviewed.json(), "FeatureChangeRequest")
    applied = api.patch(
        f"{base}/{request_id}/apply", json={"description": "Go", "action": "applied"}
    )
    assert applied.json()["status"] == "applied"
    _assert_valid(applied.json(), "FeatureChangeRequest")
    _assert_valid(api.get(f"{base}/latest").json(), "FeatureChangeRequest")
