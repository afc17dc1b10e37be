"""A PostHog plan takes each project's flag pages as it compares them: the background reads
run at most a few pages ahead (memory holds those, not every project's whole list), and a read
through one-flag pages with one page of read-ahead sees what a read of whole lists sees."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator import EmulatorServer
from reconciler.emulator.posthog import PERSONAL_API_KEY
from reconciler.providers.posthog import client as client_module
from reconciler.providers.posthog import streaming
from reconciler.providers.posthog.client import PostHogClient
from reconciler.providers.posthog.provider import PostHogProvider
from reconciler.workspace import load_workspace
from tests.e2e.conftest import Cli
from tests.e2e.posthog_support import posthog_example
from tests.e2e.test_posthog_prefetch import KEYS, _seen


@pytest.fixture
def example(tmp_path: Path, emulator: EmulatorServer) -> Cli:
    cli = posthog_example(tmp_path, emulator)
    applied = cli("apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    return cli


def _provider(example: Cli, emulator: EmulatorServer) -> PostHogProvider:
    workspace = load_workspace(example.cwd / "flagsync.yaml").model_copy(
        update={"api_url": emulator.url}
    )
    return PostHogProvider(workspace, PostHogClient(emulator.url, PERSONAL_API_KEY))


@pytest.fixture
def flag_gets(example: Cli, emulator: EmulatorServer) -> Iterator[tuple[PostHogProvider, list]]:
    made = _provider(example, emulator)
    asked: list[Any] = []
    sent = made.client.json

    def counting(method: str, path: str, **options: Any) -> Any:
        if path.endswith("/feature_flags/"):
            asked.append(path)
        return sent(method, path, **options)

    made.client.json = counting  # type: ignore[method-assign]
    yield made, asked
    made.close()


def test_a_prefetch_reads_only_a_few_pages_ahead(
    flag_gets: tuple[PostHogProvider, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    provider, asked = flag_gets
    monkeypatch.setattr(client_module, "PAGE_SIZE", 1)
    monkeypatch.setattr(streaming, "BUFFERED_PAGES", 1)
    provider.prefetch()
    time.sleep(1.5)  # time enough to read every page, were nothing holding the reads back
    projects = len(provider.workspace.project_ids)
    assert len(asked) <= 2 * projects, asked
    provider.read(KEYS)
    assert len(asked) > 3 * projects  # the rest was read when taken


def test_one_flag_pages_read_what_whole_lists_read(
    example: Cli, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = _provider(example, emulator)
    expected = _seen(whole.read(KEYS))
    whole.close()
    monkeypatch.setattr(client_module, "PAGE_SIZE", 1)
    monkeypatch.setattr(streaming, "BUFFERED_PAGES", 1)
    paged = _provider(example, emulator)
    paged.prefetch()
    assert _seen(paged.read(KEYS)) == expected
    paged.close()
