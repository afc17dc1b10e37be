"""The API-answer fuzzer: plan and apply of generated manifests while one answer of the run
(any request, or any write: a list page, a single read, a create, an update) is replaced by
what a broken server or proxy could send (a field dropped or of another type, no body, a web
page, an error body with 200, deep JSON, a redirect, a lying `count`). Every run must end in
success or one `FlagsyncError` (never another exception) within its time; a write whose answer
was broken is never reported as done; a clean apply afterwards converges with nothing lost or
duplicated.

The quick variant runs with the tests; `FLAGSYNC_CAMPAIGN=full` runs the full one (CI)."""

from __future__ import annotations

import os
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from reconciler.apply import apply_plan
from reconciler.emulator import EmulatorConfig, EmulatorServer
from reconciler.emulator.posthog import PERSONAL_API_KEY
from reconciler.errors import FlagsyncError
from reconciler.model import FlagSet
from reconciler.providers.base import Provider
from reconciler.providers.devcycle.client import Credentials, DevCycleClient
from reconciler.providers.devcycle.provider import DevCycleProvider
from reconciler.providers.http import RetryPolicy
from reconciler.providers.posthog.client import PostHogClient
from reconciler.providers.posthog.provider import PostHogProvider
from reconciler.reconcile import PlanOptions, make_plan
from reconciler.workspace import EnvironmentSettings, Workspace
from tests.campaigns.answers import WRITE_BREAKING, Mangler, Mangling, manglings
from tests.e2e.conftest import CLIENT_ID, CLIENT_SECRET, devcycle_provider
from tests.strategies import flags, posthog_flags, renamed

FULL = os.environ.get("FLAGSYNC_CAMPAIGN") == "full"
RUNS = 300 if FULL else 30
TIME_LIMIT = 30.0  # seconds one plan + apply may take
FAST = RetryPolicy(attempts=2, timeout=5, wait_initial=0.001, wait_max=0.01, wait_jitter=0)
KEYS = [f"fuzz-{index}" for index in range(5)]

MakeProvider = Callable[[Mangler | None], Provider[Any]]


@pytest.fixture(scope="module")
def devcycle_server() -> Iterator[EmulatorServer]:
    config = EmulatorConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    with EmulatorServer(config) as running:
        yield running


@pytest.fixture(scope="module")
def posthog_server() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig()) as running:
        yield running


@st.composite
def devcycle_sets(draw: st.DrawFn) -> FlagSet:
    drawn = draw(st.lists(st.tuples(st.sampled_from(KEYS), flags()), min_size=1, max_size=4))
    return FlagSet(flags={key: renamed(flag, key) for key, flag in dict(drawn).items()})


@st.composite
def posthog_sets(draw: st.DrawFn) -> FlagSet:
    keys = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=4, unique=True))
    return FlagSet(flags={key: draw(posthog_flags(key)) for key in keys})


def _devcycle(server: EmulatorServer) -> MakeProvider:
    workspace = devcycle_provider(server).workspace

    def make(transport: Mangler | None) -> Provider[Any]:
        if transport is None:
            return devcycle_provider(server)
        client = DevCycleClient(
            server.url,
            f"{server.url}/oauth/token",
            Credentials(client_id=CLIENT_ID, client_secret=CLIENT_SECRET),
            transport=transport,
            retry=FAST,
        )
        return DevCycleProvider(workspace, client)

    return make


def _posthog(server: EmulatorServer) -> MakeProvider:
    workspace = Workspace(
        file=Path("flagsync.yaml"),
        provider="posthog",
        api_url=server.url,
        environments={
            "staging": EnvironmentSettings(project_id=1),
            "production": EnvironmentSettings(project_id=2),
        },
        manifests=(),
    )

    def make(transport: Mangler | None) -> Provider[Any]:
        client = PostHogClient(server.url, PERSONAL_API_KEY, transport=transport, retry=FAST)
        return PostHogProvider(workspace, client)

    return make


def _devcycle_keys(provider: Provider[Any]) -> list[str]:
    return [f["key"] for f in provider.client.list_all("/v2/projects/demo/features")]


def _posthog_keys(provider: Provider[Any]) -> list[str]:
    return [
        f"{project}:{flag['key']}"
        for project in (1, 2)
        for flag in provider.client.list_all(f"/api/projects/{project}/feature_flags/")
        if not flag.get("deleted")
    ]


@pytest.mark.slow
def test_devcycle_answers_fuzzed(
    devcycle_server: EmulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    _campaign("devcycle", _devcycle(devcycle_server), devcycle_sets(), _devcycle_keys, capsys)


@pytest.mark.slow
def test_posthog_answers_fuzzed(
    posthog_server: EmulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    _campaign("posthog", _posthog(posthog_server), posthog_sets(), _posthog_keys, capsys)


def _campaign(
    vendor: str,
    make: MakeProvider,
    flagsets: st.SearchStrategy[FlagSet],
    live_keys: Callable[[Provider[Any]], list[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    counts: Counter[str] = Counter()
    tracebacks: list[str] = []
    silent: list[str] = []

    @settings(
        max_examples=RUNS,
        deadline=None,
        database=None,
        derandomize=not FULL,  # the quick variant runs the same examples every time
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(flagsets, manglings)
    def one_run(desired: FlagSet, mangling: Mangling) -> None:
        transport = Mangler(mangling)
        provider = make(transport)
        counts["runs"] += 1
        started = time.monotonic()
        done = False
        try:
            plan = make_plan(provider.workspace, desired, provider, PlanOptions(prune=True))
            done = apply_plan(plan, provider, lambda line: None).ok
        except FlagsyncError:
            counts["clear errors"] += 1
        except Exception:  # noqa: BLE001 - what the campaign counts
            counts["tracebacks"] += 1
            tracebacks.append(f"{mangling} on {transport.mangled}:\n{traceback.format_exc()}")
        finally:
            provider.close()
        if time.monotonic() - started > TIME_LIMIT:
            counts["timeouts"] += 1
        if transport.mangled is None:
            return
        counts["faults"] += 1
        method = transport.mangled.split()[0]
        if done and mangling.kind in WRITE_BREAKING and method in ("POST", "PATCH"):
            counts["broken writes reported done"] += 1
            silent.append(f"{mangling.kind} on {transport.mangled}")
        _converge(make, desired, live_keys, counts)

    try:
        one_run()
    finally:
        with capsys.disabled():
            shown = ", ".join(
                f"{counts[name]} {name}"
                for name in (
                    "runs",
                    "faults",
                    "clear errors",
                    "tracebacks",
                    "timeouts",
                    "broken writes reported done",
                    "lost",
                    "duplicated",
                )
            )
            print(f"\nanswer fuzz ({vendor}): {shown}")
    assert not tracebacks, tracebacks[0]
    assert not silent, silent
    assert counts["timeouts"] == 0 and counts["lost"] == 0 and counts["duplicated"] == 0
    assert counts["faults"] >= RUNS // 2


def _converge(
    make: MakeProvider,
    desired: FlagSet,
    live_keys: Callable[[Provider[Any]], list[str]],
    counts: Counter[str],
) -> None:
    """A clean apply after the broken answer: it ends converged, nothing lost or doubled."""
    provider = make(None)
    try:
        plan = make_plan(provider.workspace, desired, provider, PlanOptions(prune=True))
        result = apply_plan(plan, provider, lambda line: None)
        assert result.ok, result.error
        again = make_plan(provider.workspace, desired, provider, PlanOptions(prune=True))
        assert again.changes == [], again.changes
        keys = live_keys(provider)
    finally:
        provider.close()
    counts["duplicated"] += len(keys) - len(set(keys))
    wanted = {key for key in keys if key.split(":")[-1] in desired.flags}
    counts["lost"] += len(desired.flags) - len({key.split(":")[-1] for key in wanted})
