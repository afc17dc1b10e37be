"""`drop_after_write_rate`: the write commits, its response never arrives."""

from __future__ import annotations

import httpx
import pytest

from .conftest import new_key, set_faults, stats


def test_the_client_sees_a_transport_error_but_the_write_happened(
    control: httpx.Client, api: httpx.Client
) -> None:
    key = new_key()
    set_faults(control, drop_after_write_rate=1)
    with pytest.raises(httpx.TransportError) as excinfo:
        api.post("/v1/projects", json={"key": key, "name": "Committed"})
    assert isinstance(excinfo.value, httpx.RemoteProtocolError | httpx.ReadError)
    # Reads are never dropped, and the write was committed.
    response = api.get(f"/v1/projects/{key}")
    assert response.status_code == 200
    assert response.json()["name"] == "Committed"
    # An idempotency-naive retry now conflicts, as against the real vendor.
    set_faults(control)
    assert api.post("/v1/projects", json={"key": key, "name": "Again"}).status_code == 409
    assert stats(control)["faults"]["drop_after_write"] == 1


def test_empty_bodied_writes_are_dropped_too(control: httpx.Client, api: httpx.Client) -> None:
    key = new_key()
    assert api.post("/v1/projects", json={"key": key, "name": "Doomed"}).status_code == 201
    api.post("/v1/projects", json={"key": new_key(), "name": "Keeps the org non-empty"})
    set_faults(control, drop_after_write_rate=1)
    with pytest.raises(httpx.TransportError):
        api.delete(f"/v1/projects/{key}")
    assert api.get(f"/v1/projects/{key}").status_code == 404


def test_drop_rate_is_a_share_of_writes(control: httpx.Client, api: httpx.Client) -> None:
    set_faults(control, drop_after_write_rate=0.5, seed=4)
    outcomes = []
    keys = [new_key() for _ in range(12)]
    for key in keys:
        try:
            outcomes.append(api.post("/v1/projects", json={"key": key, "name": key}).status_code)
        except httpx.TransportError:
            outcomes.append(0)
    assert 0 in outcomes and 201 in outcomes
    assert set(outcomes) == {0, 201}
    assert stats(control)["faults"]["drop_after_write"] == outcomes.count(0)
    set_faults(control)
    assert all(api.get(f"/v1/projects/{key}").status_code == 200 for key in keys)
