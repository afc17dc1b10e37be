"""Fixtures: a real emulator server, its Management API, and the vendor's own server SDK on it.

State is created as `flagsync apply` creates it, through the Management API over HTTP (the same
bodies flagsync's DevCycle provider sends); evaluation is done by `devcycle-python-server-sdk`
in local-bucketing mode, which downloads the emulator's SDK config from `config_cdn_uri` and
evaluates users with DevCycle's own bucketing library (WASM). Each test gets its own project,
so no test sees another's features.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from reconciler.emulator import EmulatorConfig, EmulatorServer
from tests.emulator_auth import fetch_token

CLIENT_ID = "sdk-test-client"
CLIENT_SECRET = "sdk-test-secret"
INIT_TIMEOUT = 10.0
Body = dict[str, Any]
EVERYONE: Body = {"operator": "and", "filters": [{"type": "all"}]}


@pytest.fixture(scope="session")
def server() -> Iterator[EmulatorServer]:
    config = EmulatorConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    with EmulatorServer(config) as running:
        yield running


@pytest.fixture(scope="session")
def api(server: EmulatorServer) -> Iterator[httpx.Client]:
    """The Management API with a token from the emulator's OAuth endpoint."""
    token = fetch_token(server.url, CLIENT_ID, CLIENT_SECRET)
    with httpx.Client(base_url=server.url, headers={"Authorization": token}) as client:
        yield client


@pytest.fixture
def project(api: httpx.Client) -> str:
    """A fresh project's key (with development, staging and production environments)."""
    key = f"sdk-{uuid.uuid4().hex[:12]}"
    response = api.post("/v1/projects", json={"key": key, "name": f"Project {key}"})
    assert response.status_code == 201, response.text
    return key


def server_key(api: httpx.Client, project: str, environment: str) -> str:
    """The environment's first server SDK key, as a developer copies it from the dashboard."""
    response = api.get(f"/v1/projects/{project}/environments/{environment}")
    assert response.status_code == 200, response.text
    key: str = response.json()["sdkKeys"]["server"][0]["key"]
    return key


def create_feature(api: httpx.Client, project: str, body: Body) -> Body:
    response = api.post(f"/v2/projects/{project}/features", json=body)
    assert response.status_code == 201, response.text
    created: Body = response.json()
    return created


def update_feature(api: httpx.Client, project: str, key: str, body: Body) -> Body:
    response = api.patch(f"/v2/projects/{project}/features/{key}", json=body)
    assert response.status_code == 200, response.text
    updated: Body = response.json()
    return updated


def target(serve: str | dict[str, float], audience: Body | None = None, **extra: Any) -> Body:
    """A target serving one variation, or a split `{variation: percent}`, to an audience
    (everyone by default); the body flagsync sends for a manifest target."""
    split = {serve: 100.0} if isinstance(serve, str) else serve
    return {
        "audience": {"filters": audience or EVERYONE},
        "distribution": [
            {"_variation": key, "percentage": percent / 100} for key, percent in split.items()
        ],
        **extra,
    }


def all_of(*filters: Body) -> Body:
    return {"operator": "and", "filters": list(filters)}


def any_of(*filters: Body) -> Body:
    return {"operator": "or", "filters": list(filters)}


def user_filter(sub_type: str, comparator: str, *values: Any, **extra: Any) -> Body:
    body: Body = {"type": "user", "subType": sub_type, "comparator": comparator, **extra}
    if values:
        body["values"] = list(values)
    return body


def custom_filter(key: str, kind: str, comparator: str, *values: Any) -> Body:
    return user_filter("customData", comparator, *values, dataKey=key, dataKeyType=kind)


def one_variable_feature(
    key: str,
    variable_type: str,
    values: dict[str, Any],
    configurations: dict[str, Body],
    **extra: Any,
) -> Body:
    """A feature with one variable (named like the feature) and a variation per value."""
    return {
        "key": key,
        "name": key.replace("-", " ").capitalize(),
        "variables": [{"key": key, "type": variable_type}],
        "variations": [
            {"key": variation, "name": variation.capitalize(), "variables": {key: value}}
            for variation, value in values.items()
        ],
        "configurations": configurations,
        **extra,
    }


@contextmanager
def sdk_client(server: EmulatorServer, sdk_key: str, **options: Any) -> Iterator[Any]:
    """An initialized `DevCycleLocalClient` whose config CDN and events API are the emulator."""
    from devcycle_python_sdk import DevCycleLocalClient, DevCycleLocalOptions

    ready = threading.Event()
    settings: dict[str, Any] = {
        "config_cdn_uri": server.url,
        "events_api_uri": server.url,
        "config_polling_interval_ms": 60_000,
        "disable_automatic_event_logging": True,
        "disable_custom_event_logging": True,
        "on_client_initialized": ready.set,
    }
    settings.update(options)
    client = DevCycleLocalClient(sdk_key, DevCycleLocalOptions(**settings))
    try:
        assert ready.wait(INIT_TIMEOUT), "the SDK did not initialize from the emulator's config"
        yield client
    finally:
        client.close()


def user(user_id: str, **fields: Any) -> Any:
    from devcycle_python_sdk.models.user import DevCycleUser

    return DevCycleUser(user_id=user_id, **fields)
