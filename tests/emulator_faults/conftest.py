"""Fixtures: one real emulator server for the module's tests, its fault config reset per test.

Every test sets the faults it needs through the control endpoint (as a test suite using the
emulator would) and starts from no faults and zeroed counters, so tests never see each other's
faults.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reconciler.emulator import EmulatorConfig, EmulatorServer
from tests import emulator_auth

CLIENT_ID = "faults-client"
CLIENT_SECRET = "faults-secret"


@pytest.fixture(scope="session")
def server() -> Iterator[EmulatorServer]:
    config = EmulatorConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    with EmulatorServer(config) as running:
        yield running


def fetch_token(base_url: str) -> str:
    return emulator_auth.fetch_token(base_url, CLIENT_ID, CLIENT_SECRET)


@pytest.fixture(scope="session")
def token(server: EmulatorServer) -> str:
    return fetch_token(server.url)


@pytest.fixture(scope="session")
def control(server: EmulatorServer) -> Iterator[httpx.Client]:
    """A client for the `/_emulator/` endpoints (they need no credential)."""
    with httpx.Client(base_url=server.url) as client:
        yield client


@pytest.fixture(autouse=True)
def no_faults(control: httpx.Client) -> Iterator[None]:
    """Each test starts and ends with no faults and zeroed counters."""
    reset(control)
    yield
    reset(control)


def reset(control: httpx.Client) -> None:
    assert control.put("/_emulator/faults", json={}).status_code == 200
    assert control.post("/_emulator/stats/reset").status_code == 204


@pytest.fixture
def api(server: EmulatorServer, token: str) -> Iterator[httpx.Client]:
    """An authenticated DevCycle client (a fresh connection pool per test)."""
    with httpx.Client(base_url=server.url, headers={"Authorization": token}) as client:
        yield client


def set_faults(control: httpx.Client, **faults: Any) -> dict[str, Any]:
    response = control.put("/_emulator/faults", json=faults)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def stats(control: httpx.Client) -> dict[str, Any]:
    response = control.get("/_emulator/stats")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def new_key() -> str:
    return f"p-{uuid.uuid4().hex[:12]}"
