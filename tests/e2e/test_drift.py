"""`flagsync drift`: a scheduled job's view of where live state left Git."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.e2e.conftest import Cli


@pytest.mark.slow
def test_no_drift_after_apply(example: Cli) -> None:
    assert example("apply", "--yes").returncode == 0
    result = example("drift")
    assert result.returncode == 0, result.stdout
    assert "No drift" in result.stdout


@pytest.mark.slow
def test_dashboard_edit_and_unknown_flag_are_drift(example: Cli, api: httpx.Client) -> None:
    assert example("apply", "--yes").returncode == 0
    assert (
        api.patch("/v2/projects/demo/features/dark-mode", json={"name": "Dark"}).status_code == 200
    )
    made = api.post(
        "/v2/projects/demo/features",
        json={"key": "by-hand", "name": "By hand", "configurations": {}},
    )
    assert made.status_code == 201
    result = example("drift", "--output", "json")
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert report["drift"] is True
    assert report["unmanaged"] == ["by-hand"]
    assert [(c["key"], c["fields"][0]["path"]) for c in report["changes"]] == [
        ("dark-mode", "name")
    ]
    text = example("drift")
    assert text.returncode == 2
    assert "Drift: the live state differs from the manifests." in text.stdout
    assert 'name: "Dark" -> "Dark mode"' in text.stdout
