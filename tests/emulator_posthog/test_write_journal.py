"""A write's undo costs what it touched: the journal, the key index across writes, list answers
kept between reads. The answers are the emulator's as before; these pin the bookkeeping."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from reconciler.emulator.posthog import PostHogState, flag_write, posthog_routes
from reconciler.emulator.posthog.state import WriteJournal

from .conftest import AUTH, flag_body

FLAGS = "/api/projects/1/feature_flags/"


def _client(state: PostHogState) -> TestClient:
    app = Starlette(routes=posthog_routes(state, on_change=lambda: None))
    return TestClient(app, headers=AUTH, raise_server_exceptions=False)


def _recording(state: PostHogState) -> list[WriteJournal]:
    journals: list[WriteJournal] = []
    begin = state.begin_write

    def recording() -> WriteJournal:
        journals.append(begin())
        return journals[-1]

    state.begin_write = recording  # type: ignore[method-assign]
    return journals


def test_a_write_copies_only_the_flag_it_changes() -> None:
    """The rollback point of a PATCH is its own flag, not a copy of the 40 stored ones."""
    state = PostHogState.seeded()
    client = _client(state)
    ids = [client.post(FLAGS, json=flag_body(f"f-{n}")).json()["id"] for n in range(40)]
    journals = _recording(state)
    assert client.patch(f"{FLAGS}{ids[7]}/", json={"name": "renamed"}).status_code == 200
    (journal,) = journals
    assert [record["id"] for record, _ in journal.saved.values()] == [ids[7]]
    assert journal.rows == []
    created = client.post(FLAGS, json=flag_body("f-new")).json()
    added = [row["id"] for _, row, index in journals[-1].rows if index is None]
    assert journals[-1].saved == {}
    assert created["id"] in added and created["usage_dashboard"] in added


def test_a_write_that_fails_after_changing_a_flag_is_undone_with_its_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A PATCH that renames a flag and then fails leaves the flag, its version and its key as
    they were: the old key is still taken, the new one still free."""
    state = PostHogState.seeded()
    client = _client(state)
    flag = client.post(FLAGS, json=flag_body("before")).json()

    def broken(state: PostHogState, flag: dict[str, Any]) -> None:
        raise RuntimeError("after the change")

    monkeypatch.setattr(flag_write, "_propagate_variants", broken)
    body = {"key": "after", "filters": {"groups": [{"properties": [], "rollout_percentage": 5}]}}
    assert client.patch(f"{FLAGS}{flag['id']}/", json=body).status_code == 500
    monkeypatch.undo()
    again = client.get(f"{FLAGS}{flag['id']}/").json()
    assert (again["key"], again["version"], again["rollout_percentage"]) == ("before", 1, 100)
    assert client.post(FLAGS, json=flag_body("before")).status_code == 400
    assert client.post(FLAGS, json=flag_body("after")).status_code == 201


def test_renamed_and_deleted_keys_are_free_again_across_writes() -> None:
    """The key index follows renames and soft deletes from one write to the next."""
    state = PostHogState.seeded()
    client = _client(state)
    first = client.post(FLAGS, json=flag_body("one")).json()
    assert client.patch(f"{FLAGS}{first['id']}/", json={"key": "two"}).status_code == 200
    assert client.post(FLAGS, json=flag_body("two")).status_code == 400
    assert client.post(FLAGS, json=flag_body("one")).status_code == 201
    assert client.patch(f"{FLAGS}{first['id']}/", json={"deleted": True}).status_code == 200
    reused = client.post(FLAGS, json=flag_body("two"))
    assert reused.status_code == 201
    assert client.get(f"{FLAGS}{first['id']}/").status_code == 404  # the tombstone is gone


def test_a_write_between_two_pages_shows_in_the_next_page() -> None:
    """List answers are kept between reads only: a create between two pages is counted."""
    state = PostHogState.seeded()
    client = _client(state)
    for n in range(3):
        client.post(FLAGS, json=flag_body(f"p-{n}"))
    first = client.get(f"{FLAGS}?limit=2").json()
    client.post(FLAGS, json=flag_body("p-late"))
    second = client.get(f"{FLAGS}?limit=2&offset=2").json()
    assert (first["count"], second["count"]) == (3, 4)
