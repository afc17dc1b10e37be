"""End-to-end fixtures: a real emulator server on 127.0.0.1 and the real `flagsync` command."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.emulator import EmulatorConfig, EmulatorServer
from reconciler.emulator.posthog import PERSONAL_API_KEY
from reconciler.providers.devcycle.client import Credentials, DevCycleClient
from reconciler.providers.devcycle.provider import DevCycleProvider
from reconciler.workspace import EnvironmentSettings, Workspace
from tests.emulator_auth import fetch_token

REPO = Path(__file__).resolve().parents[2]
CLIENT_ID, CLIENT_SECRET = "e2e-client", "e2e-secret-value"


@dataclass
class Cli:
    """Runs `flagsync` as a user would, in a workspace folder, against one emulator."""

    cwd: Path
    env: dict[str, str]

    def __call__(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "reconciler", *args],
            cwd=self.cwd,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )


@pytest.fixture
def emulator(posthog_validation: str) -> Iterator[EmulatorServer]:
    """A fresh emulator (in-memory state, the demo project) per test."""
    config = EmulatorConfig(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, posthog_validation=posthog_validation
    )
    with EmulatorServer(config) as server:
        yield server


@pytest.fixture
def api(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    """An authenticated client for the emulator, to change live state behind flagsync's back."""
    token = fetch_token(emulator.url, CLIENT_ID, CLIENT_SECRET)
    with httpx.Client(base_url=emulator.url, headers={"Authorization": token}) as client:
        yield client


@pytest.fixture
def posthog_api(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    """A client of the emulator's PostHog API with a personal API key, to change live state
    behind flagsync's back."""
    headers = {"Authorization": f"Bearer {PERSONAL_API_KEY}"}
    with httpx.Client(base_url=emulator.url, headers=headers) as client:
        yield client


def cli_environment(emulator: EmulatorServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEVCYCLE_", "FLAGSYNC_"))}
    env.update(
        DEVCYCLE_CLIENT_ID=CLIENT_ID,
        DEVCYCLE_CLIENT_SECRET=CLIENT_SECRET,
        DEVCYCLE_API_URL=emulator.url,
        DEVCYCLE_AUTH_URL=f"{emulator.url}/oauth/token",
        NO_COLOR="1",
    )
    return env


@pytest.fixture
def example(tmp_path: Path, emulator: EmulatorServer) -> Cli:
    """A copy of examples/devcycle and a CLI pointed at the emulator."""
    workspace = tmp_path / "devcycle"
    shutil.copytree(REPO / "tests" / "fixtures" / "examples" / "devcycle", workspace)
    return Cli(cwd=workspace, env=cli_environment(emulator))


def devcycle_provider(
    server: EmulatorServer, environments: list[str] | None = None, **client_options: Any
) -> DevCycleProvider:
    """flagsync's DevCycle provider in this process, against `server` (close it when done)."""
    workspace = Workspace(
        file=Path("flagsync.yaml"),
        provider="devcycle",
        project="demo",
        api_url=server.url,
        auth_url=f"{server.url}/oauth/token",
        environments={
            env: EnvironmentSettings()
            for env in environments or ["development", "staging", "production"]
        },
        manifests=(),
    )
    client = DevCycleClient(
        server.url,
        f"{server.url}/oauth/token",
        Credentials(client_id=CLIENT_ID, client_secret=CLIENT_SECRET),
        **client_options,
    )
    return DevCycleProvider(workspace, client)
