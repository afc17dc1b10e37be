"""State file: survives a restart, written atomically, seeded when new, errors when corrupt."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from reconciler.emulator import EmulatorConfig, EmulatorServer, create_app
from tests.devcycle_settings import set_approval_workflow

from .conftest import checkout_feature, create_feature, fetch_token


def _client(server: EmulatorServer) -> httpx.Client:
    return httpx.Client(
        base_url=server.url,
        headers={"Authorization": fetch_token(server.url, "emulator", "emulator-secret")},
    )


def test_state_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state" / "emulator.json"
    config = EmulatorConfig(state_file=state)
    with EmulatorServer(config) as first, _client(first) as api:
        assert state.exists()  # seeded and created at start
        created = create_feature(api, "demo", checkout_feature())
        api.post(
            "/v1/projects/demo/audiences",
            json={
                "key": "everyone",
                "name": "Everyone",
                "filters": {"operator": "and", "filters": [{"type": "all"}]},
            },
        )
    assert [p.name for p in state.parent.iterdir()] == ["emulator.json"]  # no temp files left
    with EmulatorServer(config) as second, _client(second) as api:
        again = api.get("/v2/projects/demo/features/new-checkout").json()
        assert again == created
        assert api.get("/v1/projects/demo/audiences/everyone").status_code == 200
        # Ids stay unique after the restart.
        other = create_feature(api, "demo", {"key": "after-restart", "name": "After"})
        all_ids = {created["_id"], *(v["_id"] for v in created["variations"])}
        assert other["_id"] not in all_ids


def test_change_requests_survive_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "emulator.json"
    config = EmulatorConfig(state_file=state)
    feature = "/v2/projects/demo/features/new-checkout"
    with EmulatorServer(config) as first, _client(first) as api:
        set_approval_workflow(api, "demo")
        create_feature(api, "demo", checkout_feature())
        created = api.post(
            f"{feature}/change-requests",
            json={"path": feature, "method": "PATCH", "body": {"name": "Later"}},
        ).json()
        submitted = api.patch(
            f"{feature}/change-requests/{created['_id']}/submit",
            json={"description": "Why", "reviewers": ["auth0|r"]},
        ).json()
    with EmulatorServer(config) as second, _client(second) as api:
        assert api.get(f"{feature}/change-requests/{created['_id']}").json() == submitted
        assert api.get(feature).json()["changeRequests"][0]["_id"] == created["_id"]
        assert api.patch(feature, json={"name": "Direct"}).status_code == 412  # still locked
        applied = api.patch(
            f"{feature}/change-requests/{created['_id']}/review",
            params={"apply": "true"},
            json={"action": "approved", "comment": "ok"},
        )
        assert applied.json()["status"] == "applied"
    saved = json.loads(state.read_text())
    assert [r["status"] for r in saved["devcycle"]["changeRequests"]] == ["applied"]


def test_state_from_before_change_requests_loads(tmp_path: Path) -> None:
    state = tmp_path / "old.json"
    with EmulatorServer(EmulatorConfig(state_file=state)):
        pass
    saved = json.loads(state.read_text())
    del saved["devcycle"]["changeRequests"]
    state.write_text(json.dumps(saved))
    with EmulatorServer(EmulatorConfig(state_file=state)) as server, _client(server) as api:
        set_approval_workflow(api, "demo")
        assert api.get("/v2/projects/demo/change-requests").json() == []


def test_seed_creates_the_demo_project(tmp_path: Path) -> None:
    state = tmp_path / "seeded.json"
    with EmulatorServer(EmulatorConfig(state_file=state)) as server, _client(server) as api:
        [demo] = api.get("/v1/projects").json()
        assert (demo["key"], demo["name"]) == ("demo", "Demo")
        envs = api.get("/v1/projects/demo/environments").json()
        assert sorted((e["key"], e["type"]) for e in envs) == [
            ("development", "development"),
            ("production", "production"),
            ("staging", "staging"),
        ]
        assert api.get("/v2/projects/demo/features").json() == []
    saved = json.loads(state.read_text())
    assert saved["devcycle"]["projects"][0]["key"] == "demo"


def test_no_seed_starts_empty(tmp_path: Path) -> None:
    with EmulatorServer(EmulatorConfig(seed=False)) as server, _client(server) as api:
        assert api.get("/v1/projects").json() == []


def test_failed_writes_are_not_persisted(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with EmulatorServer(EmulatorConfig(state_file=state)) as server, _client(server) as api:
        before = state.read_text()
        assert api.post("/v2/projects/demo/features", json={"key": "BAD"}).status_code == 400
        assert state.read_text() == before


def test_corrupt_state_file_is_a_clear_error(tmp_path: Path) -> None:
    state = tmp_path / "broken.json"
    state.write_text('{"format": "flagsync-emulator", "version": 1, "devcycle": ')
    with pytest.raises(ValueError, match="not valid JSON") as error:
        create_app(EmulatorConfig(state_file=state))
    assert str(state) in str(error.value)

    state.write_text('{"format": "flagsync-emulator", "version": 1, "devcycle": {"version": 1}}')
    with pytest.raises(ValueError, match="invalid DevCycle state") as error:
        create_app(EmulatorConfig(state_file=state))
    assert str(state) in str(error.value)

    state.write_text("[1, 2, 3]")
    with pytest.raises(ValueError, match="not an emulator state file"):
        create_app(EmulatorConfig(state_file=state))
