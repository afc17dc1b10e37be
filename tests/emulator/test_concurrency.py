"""Concurrent writes: every request is applied whole, none lost, no duplicate keys."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from reconciler.emulator import EmulatorServer

from .conftest import Project


def test_concurrent_creates_and_conflicting_keys(
    server: EmulatorServer, token: str, project: Project
) -> None:
    path = f"{server.url}/v2/projects/{project['key']}/features"
    headers = {"Authorization": token}

    def create(index: int) -> int:
        key = f"race-{index % 10}"  # every key is attempted three times
        return httpx.post(path, headers=headers, json={"key": key, "name": key}).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(create, range(30)))
    assert statuses.count(201) == 10
    assert statuses.count(409) == 20
    listed = httpx.get(path, headers=headers, params={"perPage": 100})
    assert listed.headers["count"] == "10"
    assert len({feature["_id"] for feature in listed.json()}) == 10
