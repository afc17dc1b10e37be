"""State: persistence round trips, load errors, `on_change`, and concurrent writers."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from reconciler.emulator.posthog import PostHogState, posthog_routes

from .conftest import AUTH, flag_body


def _broken(change: dict[str, Any]) -> dict[str, Any]:
    data = PostHogState.seeded().to_json()
    data.update(change)
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "must be a JSON object"),
        (_broken({"format": "other/9"}), "format"),
        ({"format": "flagsync-posthog-emulator/1"}, "organization"),
        (_broken({"projects": [{"id": 1}]}), "projects.0.name"),
        (_broken({"surprise": 1}), "surprise"),
        (
            _broken(
                {
                    "cohorts": [
                        {
                            "id": 1,
                            "team_id": 7,
                            "name": "x",
                            "filters": {},
                            "deleted": False,
                            "is_static": False,
                        }
                    ]
                }
            ),
            "unknown project 7",
        ),  # fmt: skip
    ],
)
def test_from_json_rejects_bad_data_clearly(data: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PostHogState.from_json(data)


def test_to_json_is_a_deep_copy() -> None:
    state = PostHogState.seeded()
    snapshot = state.to_json()
    snapshot["projects"][0]["name"] = "changed"
    assert state.projects[0]["name"] == "Demo staging"


def test_on_change_runs_once_per_successful_write() -> None:
    state = PostHogState.seeded()
    snapshots: list[dict[str, Any]] = []
    app = Starlette(
        routes=posthog_routes(state, on_change=lambda: snapshots.append(state.to_json()))
    )
    client = TestClient(app, headers=AUTH)
    created = client.post("/api/projects/1/feature_flags/", json=flag_body("persist-me"))
    assert len(snapshots) == 1
    assert snapshots[0]["feature_flags"][0]["key"] == "persist-me"
    client.get("/api/projects/1/feature_flags/")
    client.post("/api/projects/1/feature_flags/", json=flag_body("persist-me"))  # 400
    client.delete(f"/api/projects/1/feature_flags/{created.json()['id']}/")  # 405
    assert len(snapshots) == 1
    client.patch(f"/api/projects/1/feature_flags/{created.json()['id']}/", json={"name": "n"})
    assert len(snapshots) == 2


def test_concurrent_writers_get_unique_ids_and_serial_versions() -> None:
    state = PostHogState.seeded()
    app = Starlette(routes=posthog_routes(state))
    seed_client = TestClient(app, headers=AUTH)
    target = seed_client.post("/api/projects/1/feature_flags/", json=flag_body("hot")).json()
    failures: list[str] = []

    def worker(n: int) -> None:
        with TestClient(app, headers=AUTH) as own:
            for i in range(5):
                created = own.post("/api/projects/1/feature_flags/", json=flag_body(f"w{n}-{i}"))
                patched = own.patch(
                    f"/api/projects/1/feature_flags/{target['id']}/", json={"name": f"{n}-{i}"}
                )
                if created.status_code != 201 or patched.status_code != 200:
                    failures.append(f"{created.status_code} {patched.status_code}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    ids = [f["id"] for f in state.feature_flags]
    assert len(ids) == len(set(ids)) == 31
    final = seed_client.get(f"/api/projects/1/feature_flags/{target['id']}/").json()
    assert final["version"] == 1 + 30


def test_a_write_that_fails_midway_changes_nothing_and_lookups_see_the_rollback() -> None:
    """A request that raises after changing records leaves the state as it was (Django runs
    each request in a transaction), and a flag read by id afterwards is the stored one."""
    state = PostHogState.seeded()
    app = Starlette(routes=posthog_routes(state, on_change=lambda: None))
    client = TestClient(app, headers=AUTH, raise_server_exceptions=False)
    created = client.post("/api/projects/1/feature_flags/", json=flag_body("kept")).json()
    assert client.get(f"/api/projects/1/feature_flags/{created['id']}/").status_code == 200
    before = state.to_json()
    point = state.rollback_point()
    state.feature_flags[0]["name"] = "changed midway"
    state.feature_flags.append(dict(state.feature_flags[0], id=999, key="half-made"))
    state.next_id("feature_flag")
    state.restore(point)
    assert state.to_json() == before
    again = client.get(f"/api/projects/1/feature_flags/{created['id']}/").json()
    assert again["name"] == "kept description"
    assert client.get("/api/projects/1/feature_flags/999/").status_code == 404
