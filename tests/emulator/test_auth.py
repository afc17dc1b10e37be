"""The OAuth token endpoint (Auth0's shapes) and the token check on every API route."""

from __future__ import annotations

import httpx

from reconciler.emulator import EmulatorServer
from reconciler.emulator.devcycle.auth import TokenRegistry

from .conftest import CLIENT_ID, fetch_token


def test_token_endpoint_issues_a_bearer_token_for_the_configured_client(
    server: EmulatorServer,
) -> None:
    response = httpx.post(
        f"{server.url}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "audience": "https://api.devcycle.com/",
            "client_id": CLIENT_ID,
            "client_secret": "test-secret",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["expires_in"] == 86400
    assert body["token_type"] == "Bearer"
    assert isinstance(body["access_token"], str) and len(body["access_token"]) >= 20


def test_each_token_request_gets_a_different_token(server: EmulatorServer) -> None:
    assert fetch_token(server.url) != fetch_token(server.url)


def test_wrong_secret_is_refused_with_auth0_body(server: EmulatorServer) -> None:
    response = httpx.post(
        f"{server.url}/oauth/token",
        data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": "nope"},
    )
    assert response.status_code == 401
    assert response.json() == {"error": "access_denied", "error_description": "Unauthorized"}


def test_unsupported_grant_type_is_refused(server: EmulatorServer) -> None:
    response = httpx.post(
        f"{server.url}/oauth/token",
        data={"grant_type": "magic", "client_id": CLIENT_ID, "client_secret": "test-secret"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"
    password = httpx.post(f"{server.url}/oauth/token", data={"grant_type": "password"})
    assert password.status_code == 403
    assert password.json()["error"] == "unauthorized_client"


UNAUTHORIZED = {"statusCode": 401, "message": "Unauthorized", "error": "Unauthorized"}


def test_api_without_token_is_401(server: EmulatorServer) -> None:
    for path in ("/v1/projects", "/v2/projects/demo/features", "/v1/projects/demo/variables"):
        response = httpx.get(f"{server.url}{path}")
        assert response.status_code == 401
        assert response.json() == UNAUTHORIZED


def test_api_with_unknown_token_is_401(server: EmulatorServer) -> None:
    response = httpx.get(f"{server.url}/v1/projects", headers={"Authorization": "not-a-token"})
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_writes_without_token_change_nothing(server: EmulatorServer, api: httpx.Client) -> None:
    response = httpx.post(f"{server.url}/v1/projects", json={"key": "sneaky", "name": "Sneaky"})
    assert response.status_code == 401
    assert api.get("/v1/projects/sneaky").status_code == 404


def test_raw_and_bearer_tokens_are_both_accepted(server: EmulatorServer, token: str) -> None:
    raw = httpx.get(f"{server.url}/v1/projects", headers={"Authorization": token})
    bearer = httpx.get(f"{server.url}/v1/projects", headers={"Authorization": f"Bearer {token}"})
    assert raw.status_code == 200
    assert bearer.status_code == 200


def test_expired_token_is_refused() -> None:
    now = [1000.0]
    registry = TokenRegistry("id", "secret", clock=lambda: now[0])
    token = registry.issue()
    assert registry.is_valid(token)
    now[0] += 86400 + 1
    assert not registry.is_valid(token)
