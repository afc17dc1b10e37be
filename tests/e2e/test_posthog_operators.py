"""PostHog's semver and date operators in a manifest: checked offline at file:line:col, written
as PostHog's operators, read back without a diff, and evaluated by the official SDK as the
manifest says (posthog-python `match_property`: `semver_*`, `is_date_before`/`is_date_after`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.emulator import EmulatorServer
from reconciler.emulator.posthog import PERSONAL_API_KEY, STAGING_PROJECT_API_KEY
from tests.e2e.conftest import Cli
from tests.e2e.posthog_support import posthog_example

posthog = pytest.importorskip("posthog")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

MANIFEST = """\
flags:
  - key: new-player
    description: The new player for recent apps and recent signups.
    environments:
      staging:
        enabled: true
        targets:
          - name: Recent app
            audience:
              all:
                - person: {key: app_version, semver_gte: "2.4.0"}
                - person: {key: app_version, semver_wildcard: "2.*"}
          - name: Recent signups
            audience:
              all:
                - person: {key: signed_up, date_after: "2025-06-01"}
"""


@pytest.fixture
def example(tmp_path: Path, emulator: EmulatorServer) -> Cli:
    cli = posthog_example(tmp_path, emulator)
    for name in ("beta.yaml", "checkout.yaml", "onboarding.yaml", "experiments.yaml"):
        (cli.cwd / "flags" / name).unlink()
    (cli.cwd / "flags" / "player.yaml").write_text(MANIFEST)
    return cli


def _evaluate(url: str, person: dict[str, str]) -> object:
    client = posthog.Posthog(
        STAGING_PROJECT_API_KEY,
        personal_api_key=PERSONAL_API_KEY,
        host=url,
        poll_interval=3600,
        disable_geoip=True,
        send=False,
    )
    client.load_feature_flags()
    return client.get_feature_flag(
        "new-player",
        "user-1",
        person_properties=person,
        only_evaluate_locally=True,
        send_feature_flag_events=False,
    )


@pytest.mark.slow
def test_semver_and_date_conditions_apply_converge_and_evaluate(
    example: Cli, emulator: EmulatorServer
) -> None:
    applied = example("apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    again = example("plan")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes." in again.stdout
    old = {"app_version": "1.9.9", "signed_up": "2024-01-01"}
    assert _evaluate(emulator.url, old) is False
    assert _evaluate(emulator.url, {**old, "app_version": "2.5.1"}) is True
    assert _evaluate(emulator.url, {**old, "app_version": "3.0.0"}) is False
    assert _evaluate(emulator.url, {**old, "signed_up": "2025-07-01"}) is True


def test_a_version_posthog_cannot_compare_is_a_located_error(example: Cli) -> None:
    manifest = example.cwd / "flags" / "player.yaml"
    manifest.write_text(manifest.read_text().replace('semver_gte: "2.4.0"', 'semver_gte: "2.04"'))
    result = example("validate")
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout + result.stderr
    assert "flags/player.yaml:11:58:" in out
    assert "not a version PostHog can compare" in out
    assert "Traceback" not in out


def test_a_date_posthog_cannot_read_is_a_located_error(example: Cli) -> None:
    manifest = example.cwd / "flags" / "player.yaml"
    manifest.write_text(manifest.read_text().replace('"2025-06-01"', '"last tuesday"'))
    result = example("validate")
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout + result.stderr
    assert "flags/player.yaml:16:56:" in out
    assert "not a date" in out
