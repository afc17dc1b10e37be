"""PostHog merges a PATCH's `filters` into the stored ones (`{**stored, **sent}`,
`FeatureFlagSerializer._validate_filters_inner`): a key flagsync left out would survive every
apply. flagsync writes `early_exit` (it changes evaluation from "any condition" to "first match")
and names the filters keys it does not manage in the plan."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reconciler.emulator import EmulatorServer
from tests.e2e.conftest import Cli
from tests.e2e.posthog_support import AUTH, live_flag, posthog_example

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
    cli = posthog_example(tmp_path, emulator)
    for name in ("beta.yaml", "checkout.yaml", "onboarding.yaml", "experiments.yaml"):
        (cli.cwd / "flags" / name).unlink()
    (cli.cwd / "flags" / "rules.yaml").write_text(MANIFEST)
    return cli


@pytest.fixture
def api(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.url, headers=AUTH) as client:
        yield client


def _converges(cli: Cli) -> None:
    applied = cli("apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    again = cli("plan")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes." in again.stdout


@pytest.mark.slow
def test_early_exit_set_in_posthog_is_a_change_the_plan_shows_and_apply_undoes(
    example: Cli, api: httpx.Client
) -> None:
    _converges(example)
    flag = live_flag(api, 1, "ordered-rules")
    edited = api.patch(
        f"/api/projects/1/feature_flags/{flag['id']}/", json={"filters": {"early_exit": True}}
    )
    assert edited.status_code == 200, edited.text
    plan = example("plan")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "early_exit" in plan.stdout
    _converges(example)
    assert not live_flag(api, 1, "ordered-rules")["filters"].get("early_exit")


@pytest.mark.slow
def test_a_manifest_turns_early_exit_on(example: Cli, api: httpx.Client) -> None:
    manifest = example.cwd / "flags" / "rules.yaml"
    manifest.write_text(
        manifest.read_text().replace(
            "    environments:", "    posthog: {early_exit: true}\n    environments:"
        )
    )
    _converges(example)
    assert live_flag(api, 1, "ordered-rules")["filters"]["early_exit"] is True


@pytest.mark.slow
def test_filters_keys_flagsync_does_not_manage_are_named(example: Cli, api: httpx.Client) -> None:
    _converges(example)
    flag = live_flag(api, 1, "ordered-rules")
    api.patch(
        f"/api/projects/1/feature_flags/{flag['id']}/",
        json={"filters": {"feature_enrollment": True}},
    )
    plan = example("plan")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert (
        "flag 'ordered-rules' [staging]: filters keys flagsync does not manage stay as they are "
        "in PostHog: feature_enrollment"
    ) in plan.stdout
