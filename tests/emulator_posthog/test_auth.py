"""Authentication and project addressing: PostHog's 401s and 404s, body and headers."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from reconciler.emulator.posthog import PERSONAL_API_KEY, PostHogState, posthog_routes

from .conftest import ContractClient, error

PATHS = [
    "/api/projects/1/feature_flags/",
    "/api/projects/1/experiments/",
    "/api/projects/1/cohorts/",
    "/api/projects/1/feature_flags/local_evaluation/",
    "/flags/definitions?token=phc_emulator_staging_project_key",
]


@pytest.fixture
def anonymous() -> TestClient:
    return TestClient(Starlette(routes=posthog_routes(PostHogState.seeded())))


@pytest.mark.parametrize("path", PATHS)
def test_missing_credentials_is_401_not_authenticated(anonymous: TestClient, path: str) -> None:
    response = anonymous.get(path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert error(response) == {
        "type": "authentication_error",
        "code": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
        "attr": None,
    }


@pytest.mark.parametrize("path", PATHS)
def test_unknown_key_is_401_authentication_failed(anonymous: TestClient, path: str) -> None:
    response = anonymous.get(path, headers={"Authorization": "Bearer phx_not_a_key"})
    assert response.status_code == 401
    assert error(response) == {
        "type": "authentication_error",
        "code": "authentication_failed",
        "detail": "Personal API key found in request Authorization header is invalid.",
        "attr": None,
    }


def test_key_is_also_accepted_in_query_string_and_body(anonymous: TestClient) -> None:
    assert (
        anonymous.get(f"/api/projects/1/cohorts/?personal_api_key={PERSONAL_API_KEY}").status_code
        == 200
    )
    response = anonymous.post(
        "/api/projects/1/feature_flags/",
        json={
            "personal_api_key": PERSONAL_API_KEY,
            "key": "from-body",
            "filters": {"groups": [{"properties": [], "rollout_percentage": 10}]},
        },
    )
    assert response.status_code == 201, response.text
    wrong = anonymous.get("/api/projects/1/cohorts/?personal_api_key=phx_wrong")
    assert error(wrong)["detail"] == "Personal API key found in request query string is invalid."


def test_non_bearer_authorization_is_not_authenticated(anonymous: TestClient) -> None:
    response = anonymous.get(
        "/api/projects/1/feature_flags/", headers={"Authorization": "Basic abc"}
    )
    assert response.status_code == 401
    assert error(response)["code"] == "not_authenticated"


def test_authentication_comes_before_method_and_project_checks(anonymous: TestClient) -> None:
    assert anonymous.delete("/api/projects/999/feature_flags/1/").status_code == 401


def test_unknown_project_is_404(client: ContractClient) -> None:
    response = client.get("/api/projects/999/feature_flags/")
    assert response.status_code == 404
    assert error(response) == {
        "type": "invalid_request",
        "code": "not_found",
        "detail": "Project not found.",
        "attr": None,
    }


def test_current_project_alias(client: ContractClient) -> None:
    response = client.get("/api/projects/@current/")
    assert response.status_code == 200
    assert response.json()["id"] == 1


def test_unsupported_method_is_405_with_exceptions_hog_body(client: ContractClient) -> None:
    response = client.delete("/api/projects/1/feature_flags/")
    assert response.status_code == 405
    assert error(response) == {
        "type": "invalid_request",
        "code": "method_not_allowed",
        "detail": 'Method "DELETE" not allowed.',
        "attr": None,
    }


def test_malformed_json_is_a_parse_error(client: ContractClient) -> None:
    response = client.post(
        "/api/projects/1/feature_flags/",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    body = error(response)
    assert (body["type"], body["code"]) == ("invalid_request", "parse_error")
    assert body["detail"].startswith("JSON parse error - ")


def test_discovery_endpoints(client: ContractClient) -> None:
    projects = client.get("/api/projects/").json()
    assert [(p["id"], p["name"]) for p in projects["results"]] == [
        (1, "Demo staging"),
        (2, "Demo production"),
    ]
    assert all(p["api_token"].startswith("phc_") for p in projects["results"])
    org = client.get("/api/users/@me/").json()["organization"]["id"]
    listed = client.get(f"/api/organizations/{org}/projects/").json()
    assert listed["count"] == 2


def test_group_types_are_listed_per_project(
    client: ContractClient, contract: object | None
) -> None:
    """`GET /api/projects/{id}/groups_types/`: an unpaginated list of the OpenAPI GroupType."""
    response = client.get("/api/projects/2/groups_types/")
    assert response.status_code == 200
    body = response.json()
    assert [(g["group_type"], g["group_type_index"]) for g in body] == [("company", 0)]
    if contract is not None:
        from .openapi import Contract

        assert isinstance(contract, Contract)
        assert not contract.errors("response", "GroupType", body[0])
    assert client.get("/api/projects/99/groups_types/").status_code == 404
