"""Plans and applies count in words a user reads as correct: a metric is a metric, not a flag;
one flag "is" gone; `apply -q` prints no bare heading; a status change is not "created"."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import Cli


@pytest.mark.slow
def test_counts_name_the_kind_and_agree_in_number(example: Cli, api: httpx.Client) -> None:
    quiet = example("apply", "--yes", "-q")
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    assert "Applying:" not in quiet.stdout
    assert "Apply complete" in quiet.stdout
    created = api.post(
        "/v1/projects/demo/metrics",
        json={
            "key": "clicks",
            "name": "Clicks",
            "event": "clicked",
            "dimension": "COUNT_PER_UNIQUE_USER",
            "optimize": "increase",
        },
    )
    assert created.status_code == 201, created.text
    manifest = example.cwd / "flags" / "mobile.yaml"
    text = manifest.read_text()
    manifest.write_text(text[: text.index("  - key: offline-sync")])
    plan = example("plan").stdout
    assert (
        "1 flag created by flagsync is gone from the manifests; run with --prune to delete it: "
        "offline-sync" in plan
    )
    assert "1 metric in the project not in the manifests" in plan
    assert "flags in the project not in the manifests" not in plan
