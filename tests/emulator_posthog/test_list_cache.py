"""A list page read again answers what a first read of the same state would.

The emulator keeps a list page's rendered flags between reads; these tests pin what may not
change because of that: a write in between is seen (a flag's change, a new flag), a flag
that turns STALE with time alone is seen as STALE, and the page's bytes are those of encoding
the whole page at once.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from reconciler.emulator.posthog import flag_status

from .conftest import ContractClient, create_flag

FLAGS = "/api/projects/1/feature_flags/"
PAGE = f"{FLAGS}?limit=2&offset=1"


def _by_key(client: ContractClient, url: str) -> dict[str, dict[str, object]]:
    return {flag["key"]: flag for flag in client.get(url).json()["results"]}


def test_a_write_between_two_reads_of_a_page_is_seen(client: ContractClient) -> None:
    for key in ("first", "second", "third"):
        create_flag(client, key)
    assert _by_key(client, PAGE)["second"]["name"] == "second description"
    flag_id = _by_key(client, PAGE)["second"]["id"]
    patched = client.patch(f"{FLAGS}{flag_id}/", json={"name": "renamed"})
    assert patched.status_code == 200, patched.text
    assert _by_key(client, PAGE)["second"]["name"] == "renamed"


def test_a_flag_created_between_two_reads_of_a_page_moves_the_page(
    client: ContractClient,
) -> None:
    for key in ("first", "second", "third"):
        create_flag(client, key)
    before = client.get(PAGE).json()
    assert (before["count"], [f["key"] for f in before["results"]]) == (3, ["second", "first"])
    create_flag(client, "fourth")
    after = client.get(PAGE).json()
    assert (after["count"], [f["key"] for f in after["results"]]) == (4, ["third", "second"])


def test_a_flag_turning_stale_with_time_alone_is_seen_stale(
    client: ContractClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No write happens: 30 days after its last call the flag's `status` is STALE."""
    now = datetime.now(UTC)
    last_called = (now - timedelta(days=30) + timedelta(hours=1)).isoformat()
    create_flag(client, "called", last_called_at=last_called)
    assert _by_key(client, FLAGS)["called"]["status"] == "ACTIVE"
    monkeypatch.setattr(flag_status, "utc_now", lambda: now + timedelta(hours=2))
    assert _by_key(client, FLAGS)["called"]["status"] == "STALE"


def test_a_page_read_again_is_the_same_bytes_as_encoding_it_whole(
    client: ContractClient,
) -> None:
    for key in ("unicode", "plain", "third"):
        create_flag(client, key, name=f"ünï {key} — “quoted” \\ name")
    middle = f"{FLAGS}?limit=1&offset=1"
    first = client.get(middle).content
    again = client.get(middle).content
    assert again == first
    whole = json.dumps(json.loads(first), ensure_ascii=False, separators=(",", ":"))
    assert first == whole.encode("utf-8")
    assert json.loads(first)["next"] is not None and json.loads(first)["previous"] is not None
