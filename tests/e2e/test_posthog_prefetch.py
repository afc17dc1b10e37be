"""The PostHog provider reads every project in the background while a plan loads the
manifests: the read that follows sees the same live state, a prefetch is used once, and a
broken manifest is still what the user hears about."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reconciler.emulator import EmulatorServer
from reconciler.emulator.posthog import PERSONAL_API_KEY
from reconciler.providers.posthog.client import PostHogClient
from reconciler.providers.posthog.provider import LiveState, PostHogProvider
from reconciler.workspace import load_workspace
from tests.e2e.conftest import Cli
from tests.e2e.posthog_support import AUTH, live_flag, posthog_example


@pytest.fixture
def example(tmp_path: Path, emulator: EmulatorServer) -> Cli:
    cli = posthog_example(tmp_path, emulator)
    applied = cli("apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    return cli


@pytest.fixture
def provider(example: Cli, emulator: EmulatorServer) -> Iterator[PostHogProvider]:
    workspace = load_workspace(example.cwd / "flagsync.yaml").model_copy(
        update={"api_url": emulator.url}
    )
    made = PostHogProvider(workspace, PostHogClient(emulator.url, PERSONAL_API_KEY))
    yield made
    made.close()


def _seen(live: LiveState) -> tuple[object, ...]:
    return (
        live.flags,
        live.fingerprints,
        live.owned,
        live.others,
        {k: {env: c.raw for env, c in copies.items()} for k, copies in live.experiments.items()},
        {n: {env: [h.raw for h in found] for env, found in per_env.items()}
         for n, per_env in live.holdouts.items()},
    )  # fmt: skip


KEYS = {"new-checkout", "beta-dashboard"}


def test_a_prefetched_read_is_the_same_read(provider: PostHogProvider) -> None:
    plain = provider.read(KEYS)
    provider.prefetch()
    prefetched = provider.read(KEYS)
    assert _seen(prefetched) == _seen(plain)
    assert set(prefetched.flags.flags) == KEYS


@pytest.mark.slow
def test_a_prefetch_is_used_once(provider: PostHogProvider, emulator: EmulatorServer) -> None:
    provider.prefetch()
    provider.read(KEYS)
    with httpx.Client(base_url=emulator.url, headers=AUTH) as api:
        flag = live_flag(api, 1, "new-checkout")
        edited = api.patch(f"/api/projects/1/feature_flags/{flag['id']}/", json={"name": "Edited"})
        assert edited.status_code == 200
    assert "staging 'Edited'" in provider.read(KEYS).flags.flags["new-checkout"].description


def test_closing_during_a_prefetch_is_quiet(provider: PostHogProvider) -> None:
    provider.prefetch()
    provider.close()


@pytest.mark.slow
def test_a_broken_manifest_is_reported_while_the_projects_download(example: Cli) -> None:
    manifest = example.cwd / "flags" / "checkout.yaml"
    manifest.write_text(manifest.read_text().replace("enabled: true", "enabled: yes please", 1))
    result = example("plan")
    assert result.returncode == 1
    assert "checkout.yaml:" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_broken_manifest_comes_before_missing_credentials(example: Cli) -> None:
    manifest = example.cwd / "flags" / "checkout.yaml"
    manifest.write_text(manifest.read_text().replace("enabled: true", "enabled: yes please", 1))
    result = example("plan", env={"POSTHOG_PERSONAL_API_KEY": ""})
    assert result.returncode == 1
    assert "checkout.yaml:" in result.stderr
    assert "POSTHOG_PERSONAL_API_KEY" not in result.stderr
    assert "Traceback" not in result.stderr
