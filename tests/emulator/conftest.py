"""Fixtures: one real emulator server for the session, tokens, and a fresh project per test.

Tests never rely on each other's data: each one that writes gets its own project (unique key),
which the emulator creates with the vendor's three default environments.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reconciler.emulator import EmulatorConfig, EmulatorServer
from tests import emulator_auth

CLIENT_ID = "test-client"
Project = dict[str, Any]
CLIENT_SECRET = "test-secret"


@pytest.fixture(scope="session")
def server() -> Iterator[EmulatorServer]:
    config = EmulatorConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    with EmulatorServer(config) as running:
        yield running


def fetch_token(base_url: str, client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> str:
    """A token from the emulator's OAuth endpoint, exactly as a vendor client asks for one."""
    return emulator_auth.fetch_token(base_url, client_id, secret)


@pytest.fixture(scope="session")
def token(server: EmulatorServer) -> str:
    return fetch_token(server.url)


@pytest.fixture(scope="session")
def api(server: EmulatorServer, token: str) -> Iterator[httpx.Client]:
    """An authenticated client sending the raw token, as the vendor's tools do."""
    with httpx.Client(base_url=server.url, headers={"Authorization": token}) as client:
        yield client


@pytest.fixture
def project(api: httpx.Client) -> Project:
    """A fresh project (with development, staging and production environments)."""
    key = f"p-{uuid.uuid4().hex[:12]}"
    response = api.post("/v1/projects", json={"key": key, "name": f"Project {key}"})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def environments(api: httpx.Client, project_key: str) -> dict[str, dict[str, Any]]:
    """The project's environments by key."""
    response = api.get(f"/v1/projects/{project_key}/environments")
    assert response.status_code == 200, response.text
    return {env["key"]: env for env in response.json()}


ALL_USERS = {"filters": {"operator": "and", "filters": [{"type": "all"}]}}


def target(serve: str | dict[str, float], **extra: Any) -> dict[str, Any]:
    """A target for everyone serving one variation, or a split `{variation: fraction}`."""
    split = {serve: 1.0} if isinstance(serve, str) else serve
    return {
        "audience": ALL_USERS,
        "distribution": [{"_variation": k, "percentage": v} for k, v in split.items()],
        **extra,
    }


def checkout_feature(key: str = "new-checkout", **extra: Any) -> dict[str, Any]:
    """A feature with one String variable, two variations, targeting in staging and production."""
    return {
        "key": key,
        "name": "New checkout",
        "variables": [{"key": f"{key}-version", "type": "String"}],
        "variations": [
            {"key": "classic", "name": "Classic", "variables": {f"{key}-version": "v1"}},
            {"key": "redesign", "name": "Redesign", "variables": {f"{key}-version": "v2"}},
        ],
        "configurations": {
            "staging": {"status": "active", "targets": [target("redesign", name="Everyone")]},
            "production": {
                "status": "active",
                "targets": [target({"classic": 0.9, "redesign": 0.1}, name="Split")],
            },
        },
        **extra,
    }


def create_feature(api: httpx.Client, project_key: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(f"/v2/projects/{project_key}/features", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def config_of(feature: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
    """The feature's configuration for one environment (matched by `_environment` id)."""
    matches = [c for c in feature["configurations"] if c["_environment"] == env["_id"]]
    assert len(matches) == 1
    return matches[0]
