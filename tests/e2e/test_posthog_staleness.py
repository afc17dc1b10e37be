"""What PostHog knows about staleness reaches the user: `drift` and `plan` name the flags
PostHog marks STALE (per project, with the last evaluation), and `import` notes them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from reconciler.emulator import EmulatorServer
from tests.e2e.conftest import Cli
from tests.e2e.posthog_support import AUTH, live_flag, posthog_example


@pytest.fixture
def posthog_api(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.url, headers=AUTH) as client:
        yield client


@pytest.mark.slow
def test_drift_and_import_name_flags_posthog_marks_stale(
    tmp_path: Path, emulator: EmulatorServer, posthog_api: httpx.Client
) -> None:
    cli: Cli = posthog_example(tmp_path, emulator)
    assert cli("apply", "--yes").returncode == 0
    before = cli("drift")
    assert before.returncode == 0 and "stale" not in before.stdout
    flag = live_flag(posthog_api, 2, "new-checkout")
    called = (datetime.now(UTC) - timedelta(days=45)).isoformat()
    posthog_api.patch(
        f"/api/projects/2/feature_flags/{flag['id']}/", json={"last_called_at": called}
    ).raise_for_status()
    drift = cli("drift")
    assert drift.returncode == 0, drift.stdout  # staleness is not drift
    assert "PostHog marks flag 'new-checkout' [production] stale: not evaluated for 45 days" in (
        drift.stdout
    )
    assert "[staging] stale" not in drift.stdout
    imported = cli("import", "--flag", "new-checkout")
    assert imported.returncode == 0, imported.stderr
    assert "Note: PostHog marks flag 'new-checkout' [production] stale" in imported.stdout
