"""The API-answer fuzzer: plan and apply of generated manifests while one answer of the run
(any request: a list page, a single read, a write) is replaced by what a broken server or proxy
could send (a field dropped or of another type, no body, a web page, an error body with 200,
deep JSON, a redirect, a lying `count`). Every run must end in success or one `FlagsyncError`
(never another exception), within its time; a write whose answer was broken is never reported
as done; and a clean apply afterwards converges with nothing lost or duplicated.

The quick variant runs with the tests; `FLAGSYNC_CAMPAIGN=full` runs the full one (CI)."""

from __future__ import annotations

import os
import time
import traceback
from collections import Counter
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from reconciler.apply import apply_plan
from reconciler.emulator import EmulatorConfig, EmulatorServer
from reconciler.errors import FlagsyncError
from reconciler.model import Flag, FlagSet
from reconciler.providers.devcycle.client import Credentials, DevCycleClient
from reconciler.providers.devcycle.provider import DevCycleProvider
from reconciler.providers.http import RetryPolicy
from reconciler.reconcile import PlanOptions, make_plan
from tests.campaigns.answers import WRITE_BREAKING, Mangler, Mangling, manglings
from tests.e2e.conftest import CLIENT_ID, CLIENT_SECRET, devcycle_provider
from tests.strategies import flags, renamed

FULL = os.environ.get("FLAGSYNC_CAMPAIGN") == "full"
RUNS = 400 if FULL else 40
TIME_LIMIT = 30.0  # seconds one plan + apply may take
FAST = RetryPolicy(attempts=2, timeout=5, wait_initial=0.001, wait_max=0.01, wait_jitter=0)
KEYS = [f"fuzz-{index}" for index in range(5)]


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    config = EmulatorConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    with EmulatorServer(config) as running:
        yield running


def _mangled_provider(server: EmulatorServer, mangling: Mangling) -> DevCycleProvider:
    clean = devcycle_provider(server)
    workspace = clean.workspace
    clean.close()
    client = DevCycleClient(
        server.url,
        f"{server.url}/oauth/token",
        Credentials(client_id=CLIENT_ID, client_secret=CLIENT_SECRET),
        transport=Mangler(mangling),
        retry=FAST,
    )
    return DevCycleProvider(workspace, client)


def test_devcycle_answers_fuzzed(
    server: EmulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    counts: Counter[str] = Counter()
    tracebacks: list[str] = []
    silent: list[str] = []

    @settings(
        max_examples=RUNS,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(st.tuples(st.sampled_from(KEYS), flags()), min_size=1, max_size=4), manglings)
    def one_run(drawn: list[tuple[str, Flag]], mangling: Mangling) -> None:
        desired = FlagSet(flags={key: renamed(flag, key) for key, flag in dict(drawn).items()})
        provider = _mangled_provider(server, mangling)
        transport = provider.client._http._transport
        assert isinstance(transport, Mangler)
        counts["runs"] += 1
        started = time.monotonic()
        done = False
        try:
            plan = make_plan(provider.workspace, desired, provider, PlanOptions(prune=True))
            done = apply_plan(plan, provider, lambda line: None).ok
        except FlagsyncError:
            counts["errors"] += 1
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
            counts["silent"] += 1
            silent.append(f"{mangling.kind} on {transport.mangled}")
        _converge(server, desired, counts)

    try:
        one_run()
    finally:
        with capsys.disabled():
            print(
                f"\nanswer fuzz (devcycle): {counts['runs']} runs, {counts['faults']} faults, "
                f"{counts['errors']} clear errors, {counts['tracebacks']} tracebacks, "
                f"{counts['timeouts']} timeouts, {counts['silent']} broken writes reported done, "
                f"{counts['lost']} lost, {counts['duplicated']} duplicated"
            )
    assert not tracebacks, tracebacks[0]
    assert not silent, silent
    assert counts["timeouts"] == 0 and counts["lost"] == 0 and counts["duplicated"] == 0
    assert counts["faults"] >= RUNS // 2


def _converge(server: EmulatorServer, desired: FlagSet, counts: Counter[str]) -> None:
    """A clean apply after the broken answer: it ends converged, nothing lost or doubled."""
    provider = devcycle_provider(server)
    try:
        plan = make_plan(provider.workspace, desired, provider, PlanOptions(prune=True))
        result = apply_plan(plan, provider, lambda line: None)
        assert result.ok, result.error
        again = make_plan(provider.workspace, desired, provider, PlanOptions(prune=True))
        assert again.changes == [], again.changes
        keys = [f["key"] for f in provider.client.list_all("/v2/projects/demo/features")]
    finally:
        provider.close()
    counts["duplicated"] += len(keys) - len(set(keys))
    counts["lost"] += len(set(desired.flags) - set(keys))
