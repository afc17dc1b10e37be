"""PostHog merges a PATCH's `filters` into the stored ones (`{**stored, **sent}`,
`FeatureFlagSerializer._validate_filters_inner`): a key flagsync left out would survive every
apply. flagsync writes `early_exit` (it changes evaluation from "any condition" to "first match")
and names the filters keys it does not manage in the plan."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from reconciler.emulator import EmulatorServer
from tests.e2e.conftest import Cli
from tests.e2e.posthog_support import converges, live_flag, posthog_workspace

MANIFEST = """\
flags:
  - key: ordered-rules
    description: Conditions evaluated in order.
    environments:
      staging:
        enabled: true
        targets:
          - {name: Everyone, percentage: 100}
"""


@pytest.fixture
def example(tmp_path: Path, emulator: EmulatorServer) -> Cli:
    return posthog_workspace(tmp_path, emulator, {"rules.yaml": MANIFEST})


@pytest.mark.slow
def test_early_exit_set_in_posthog_is_a_change_the_plan_shows_and_apply_undoes(
    example: Cli, posthog_api: httpx.Client
) -> None:
    converges(example)
    flag = live_flag(posthog_api, 1, "ordered-rules")
    edited = posthog_api.patch(
        f"/api/projects/1/feature_flags/{flag['id']}/", json={"filters": {"early_exit": True}}
    )
    assert edited.status_code == 200, edited.text
    plan = example("plan")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "early_exit" in plan.stdout
    converges(example)
    assert not live_flag(posthog_api, 1, "ordered-rules")["filters"].get("early_exit")


@pytest.mark.slow
def test_a_manifest_turns_early_exit_on(example: Cli, posthog_api: httpx.Client) -> None:
    manifest = example.cwd / "flags" / "rules.yaml"
    manifest.write_text(
        manifest.read_text().replace(
            "    environments:", "    posthog: {early_exit: true}\n    environments:"
        )
    )
    converges(example)
    assert live_flag(posthog_api, 1, "ordered-rules")["filters"]["early_exit"] is True


@pytest.mark.slow
def test_filters_keys_flagsync_does_not_manage_are_named(
    example: Cli, posthog_api: httpx.Client
) -> None:
    converges(example)
    flag = live_flag(posthog_api, 1, "ordered-rules")
    posthog_api.patch(
        f"/api/projects/1/feature_flags/{flag['id']}/",
        json={"filters": {"feature_enrollment": True}},
    )
    plan = example("plan")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert (
        "flag 'ordered-rules' [staging]: filters keys flagsync does not manage stay as they are "
        "in PostHog: feature_enrollment"
    ) in plan.stdout
