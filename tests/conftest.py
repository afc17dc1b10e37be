"""Shared fixtures: workspaces written to a temporary folder; the hypothesis profiles."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

VALIDATION_ENV = "FLAGSYNC_TEST_POSTHOG_VALIDATION"

# The PostHog emulator checks that every write journals what it changes and that undoing a
# failed write gives back the state before it (costs a copy of the state per write; the
# emulators the tests start in threads or child processes inherit it).
os.environ.setdefault("FLAGSYNC_EMULATOR_CHECK_JOURNAL", "1")

# Hypothesis profiles. "default" is hypothesis' own and is what CI runs. "quick", for the daily
# loop (FLAGSYNC_HYPOTHESIS_PROFILE=quick pytest -m "not slow"), tries at most QUICK_EXAMPLES
# examples per property, also where a test asks for more with its own @settings.
PROFILE_ENV = "FLAGSYNC_HYPOTHESIS_PROFILE"
QUICK_EXAMPLES = 10
settings.register_profile("quick", max_examples=QUICK_EXAMPLES)
settings.load_profile(os.environ.get(PROFILE_ENV) or "default")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under the quick profile, cap the examples of tests that set their own max_examples."""
    if settings.get_current_profile_name() != "quick":
        return
    for item in items:
        test = getattr(item, "obj", None)
        chosen = getattr(test, "_hypothesis_internal_use_settings", None)
        if isinstance(chosen, settings) and chosen.max_examples > QUICK_EXAMPLES:
            test._hypothesis_internal_use_settings = settings(  # type: ignore[union-attr]
                chosen, max_examples=QUICK_EXAMPLES
            )


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--posthog-validation",
        choices=("strict", "lenient"),
        default=None,
        help=f"Run the PostHog emulator strict (default) or lenient (also: ${VALIDATION_ENV}).",
    )


@pytest.fixture(scope="session")
def posthog_validation(request: pytest.FixtureRequest) -> str:
    """How strictly the PostHog emulator under test validates flag filters."""
    chosen = request.config.getoption("--posthog-validation")
    return str(chosen or os.environ.get(VALIDATION_ENV) or "strict")


@pytest.fixture(scope="module")
def fault_server() -> Iterator[Any]:
    """One DevCycle emulator shared by a module's fault runs (see tests/fault_support.py)."""
    from reconciler.emulator import EmulatorConfig, EmulatorServer
    from tests.e2e.conftest import CLIENT_ID, CLIENT_SECRET

    config = EmulatorConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    with EmulatorServer(config) as running:
        yield running


WORKSPACE = """\
provider: devcycle
project: demo
environments:
  development: {}
  staging: {}
  production: {}
manifests: flags/
"""


@pytest.fixture
def make_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """Write a workspace with the given manifests ({relative path: YAML text}); returns its file.

    The test runs inside the workspace's folder, so messages name files as a user sees them.
    """
    monkeypatch.chdir(tmp_path)

    def make(manifests: dict[str, str], workspace: str = WORKSPACE) -> Path:
        (tmp_path / "flags").mkdir(exist_ok=True)
        file = tmp_path / "flagsync.yaml"
        file.write_text(textwrap.dedent(workspace))
        for name, text in manifests.items():
            path = tmp_path / "flags" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
        return file

    return make
