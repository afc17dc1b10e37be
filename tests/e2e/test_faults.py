"""flagsync under a misbehaving vendor: at least 1,000 injected faults (5xx, 429, writes whose
answer is lost) across applies of generated manifests. Every run must end converged (the plan is
empty once the faults stop), with no duplicates and nothing lost, and say what was retried."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from reconciler.apply import apply_plan
from reconciler.emulator import EmulatorConfig, EmulatorServer, FaultConfig
from reconciler.gc_pause import gc_paused
from reconciler.manifest.loader import load_flags
from reconciler.model import Flag, FlagSet
from reconciler.providers.devcycle.client import Credentials, DevCycleClient
from reconciler.providers.devcycle.provider import DevCycleProvider
from reconciler.reconcile import PlanOptions, make_plan
from reconciler.workspace import Workspace, load_workspace
from tests.e2e.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    REPO,
    Cli,
    cli_environment,
    devcycle_provider,
)
from tests.fault_support import FAST_RETRIES, fault_count, faults_on, reset_stats, set_faults
from tests.strategies import experiment_metrics, flags, renamed

TARGET_FAULTS = 1000
EXAMPLES_PER_RUN = 100
MAX_RUNS = 6
FAULTS = {
    "error_rate": 0.2,
    "throttle_rate": 0.1,
    "retry_after": "never",
    "drop_after_write_rate": 0.15,
    "seed": 7,
}


def _provider(server: EmulatorServer, retries: list[str]) -> DevCycleProvider:
    return devcycle_provider(server, retry=FAST_RETRIES, on_retry=retries.append)


def _converge(provider: DevCycleProvider, desired: FlagSet) -> list[str]:
    """Apply until done, as a user re-running apply would; a fault may outlast the retries.
    Returns the errors of the runs that stopped."""
    options = PlanOptions(prune=True)
    errors = []
    for _ in range(5):
        plan = make_plan(provider.workspace, desired, provider, options)
        result = apply_plan(plan, provider, lambda line: None)
        if result.ok:
            return errors
        errors.append(str(result.error))
    raise AssertionError(f"apply did not succeed in 5 runs: {errors}")


@pytest.mark.slow
def test_a_thousand_faults_and_every_run_converges(fault_server: EmulatorServer) -> None:
    server = fault_server
    retries: list[str] = []
    provider = _provider(server, retries)
    reset_stats(server)
    keys = [f"fault-{index}" for index in range(8)]

    @settings(
        max_examples=EXAMPLES_PER_RUN,
        deadline=None,
        database=None,
        phases=[Phase.generate],  # shrinking against a live server takes minutes: report as is
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(st.tuples(st.sampled_from(keys), flags()), min_size=1, max_size=8))
    def one_apply(drawn: list[tuple[str, Flag]]) -> None:
        desired = FlagSet(flags={key: renamed(flag, key) for key, flag in dict(drawn).items()})
        with faults_on(server, FAULTS):
            _converge(provider, desired)
        # Converged: nothing left to do, nothing duplicated, nothing lost or left behind.
        check = make_plan(provider.workspace, desired, provider, PlanOptions(prune=True))
        assert check.changes == [], check.changes
        live_keys = [f["key"] for f in provider.client.list_all("/v2/projects/demo/features")]
        assert len(live_keys) == len(set(live_keys))
        assert sorted(live_keys) == sorted(desired.flags)

    try:
        for _ in range(MAX_RUNS):
            one_apply()
            if fault_count(server) >= TARGET_FAULTS:
                break
        injected = fault_count(server)
    finally:
        set_faults(server, {})
        provider.close()
    assert injected >= TARGET_FAULTS, f"only {injected} faults injected"
    assert any("after connection dropped" in line for line in retries)
    assert any("after HTTP 429" in line for line in retries)
    assert any("after HTTP 50" in line for line in retries)


FAULT_METRICS = experiment_metrics("fault-")
_fresh = itertools.count()


@pytest.mark.slow
def test_completed_and_measured_flags_are_created_once_under_faults(
    fault_server: EmulatorServer,
) -> None:
    """Creates are where a lost answer can duplicate: new flags that are experiments with
    metrics, completed or archived (statuses and associations are calls after the POST), made
    while the emulator drops answers, converge with every flag made exactly once."""
    server = fault_server
    retries: list[str] = []
    provider = _provider(server, retries)

    @settings(
        max_examples=12,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(
        st.lists(flags(metric_keys=tuple(FAULT_METRICS), lifecycle=True), min_size=1, max_size=4)
    )
    def one_apply(drawn: list[Flag]) -> None:
        made = {}
        for flag in drawn:
            key = f"fresh-{next(_fresh)}"
            made[key] = renamed(flag, key)
        desired = FlagSet(flags=made, metrics=FAULT_METRICS)
        with faults_on(server, FAULTS):
            stopped = _converge(provider, desired)
        # A run may give up after its retries, but never on its own lost create (a 409).
        assert not [error for error in stopped if "conflict" in error], stopped
        check = make_plan(provider.workspace, desired, provider, PlanOptions(prune=True))
        assert check.changes == [], check.changes
        live_keys = [f["key"] for f in provider.client.list_all("/v2/projects/demo/features")]
        assert sorted(live_keys) == sorted(desired.flags)  # none duplicated, lost or left

    try:
        one_apply()
    finally:
        set_faults(server, {})
        provider.close()
    assert any("after connection dropped" in line for line in retries)


@pytest.mark.slow
def test_cli_reports_what_it_retried(tmp_path: Path) -> None:
    # Rates low enough that six attempts practically never all fail (0.25**6 per request; the
    # example sends about 25), high enough that every run retries something.
    faults = FaultConfig(
        error_rate=0.1,
        throttle_rate=0.05,
        retry_after="always",
        retry_after_seconds=0.0,
        drop_after_write_rate=0.1,
        seed=3,
    )
    config = EmulatorConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, faults=faults)
    workspace = tmp_path / "devcycle"
    shutil.copytree(REPO / "tests" / "fixtures" / "examples" / "devcycle", workspace)
    with EmulatorServer(config) as faulty:
        cli = Cli(workspace, cli_environment(faulty))
        applied = cli("apply", "--yes")
        assert applied.returncode == 0, applied.stdout + applied.stderr
        assert "retried " in applied.stderr
        assert "requests retried)" in applied.stdout
        set_faults(faulty, {})
        after = cli("plan")
        assert after.returncode == 0, after.stdout


def _example_provider(
    example: Cli, emulator: EmulatorServer, transport: httpx.BaseTransport
) -> tuple[Workspace, DevCycleProvider]:
    """The example's workspace, and flagsync's provider for it sending through `transport`."""
    workspace = load_workspace(example.cwd / "flagsync.yaml")
    workspace = workspace.model_copy(update={"api_url": emulator.url})
    credentials = Credentials(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    client = DevCycleClient(
        emulator.url, f"{emulator.url}/oauth/token", credentials, transport=transport
    )
    return workspace, DevCycleProvider(workspace, client)


class _LosesFirstAnswers(httpx.HTTPTransport):
    """Sends every request, but loses the answer of the first POST to `path` for each body
    key: the write is committed and the client sees a dropped connection."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.lost: set[str] = set()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.method == "POST" and request.url.path == self.path:
            key = json.loads(request.content).get("key", "")
            if key not in self.lost:
                self.lost.add(key)
                response.read()
                raise httpx.RemoteProtocolError("connection dropped", request=request)
        return response


@pytest.mark.slow
def test_a_lost_create_of_a_completed_measured_flag_is_recognised(
    example: Cli, emulator: EmulatorServer, api: httpx.Client
) -> None:
    """A feature's POST makes it active and unmeasured (status and metric associations are
    later calls), so a create whose answer was lost is recognised by what the POST alone made,
    and the flag's remaining calls still run."""
    assert example("apply", "--yes").returncode == 0
    flags = ("annual-billing-toggle", "pricing-page-test")  # completed; measured experiment
    for key in flags:
        deleted = api.delete(f"/v1/projects/demo/features/{key}?deleteVariables=true")
        assert deleted.status_code == 200
    transport = _LosesFirstAnswers("/v2/projects/demo/features")
    workspace, provider = _example_provider(example, emulator, transport)
    with gc_paused():
        desired = load_flags(workspace)
    plan = make_plan(workspace, desired, provider, PlanOptions(flag_patterns=flags))
    assert sorted(s.key for s in plan.steps if s.action == "create") == sorted(flags)
    result = apply_plan(plan, provider, lambda line: None)
    provider.close()
    assert result.ok, result.error
    assert transport.lost == set(flags)  # both creates' answers were lost
    assert example("plan").returncode == 0
    listed = api.get("/v2/projects/demo/features", params={"perPage": 1000}).json()
    assert sorted(f["key"] for f in listed if f["key"] in flags) == sorted(flags)  # no duplicate


@pytest.mark.slow
def test_a_lost_create_using_an_audience_created_in_the_same_apply_is_recognised(
    example: Cli, emulator: EmulatorServer, api: httpx.Client
) -> None:
    """The flag's create answer is lost after the reusable audience it targets was created by
    the same apply: the feature found under the key refers to the new audience's `_id`, which
    the read before the apply never saw, and is still recognised as this create's."""
    transport = _LosesFirstAnswers("/v2/projects/demo/features")
    workspace, provider = _example_provider(example, emulator, transport)
    with gc_paused():
        desired = load_flags(workspace)
    plan = make_plan(workspace, desired, provider, PlanOptions())
    assert "pro-prospects" in [s.key for s in plan.steps if s.resource == "audience"]
    result = apply_plan(plan, provider, lambda line: None)
    provider.close()
    assert result.ok, result.error
    assert "pricing-page-test" in transport.lost
    assert example("plan").returncode == 0
    listed = api.get("/v2/projects/demo/features", params={"perPage": 1000}).json()
    keys = [f["key"] for f in listed]
    assert len(keys) == len(set(keys)) and sorted(keys) == sorted(desired.flags)


class _LosesAndEdits(httpx.HTTPTransport):
    """Loses the answer of the first POST to `path`, after someone else edited what it made."""

    def __init__(self, path: str, edit: httpx.Client) -> None:
        super().__init__()
        self.path, self.edit, self.done = path, edit, False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.method == "POST" and request.url.path == self.path and not self.done:
            self.done = True
            key = json.loads(request.content)["key"]
            edited = self.edit.patch(f"{self.path}/{key}", json={"event": "someone_elses"})
            assert edited.status_code == 200, edited.text
            response.read()
            raise httpx.RemoteProtocolError("connection dropped", request=request)
        return response


def test_a_lost_metric_create_is_done_only_if_the_metric_found_is_the_one_sent(
    example: Cli, emulator: EmulatorServer, api: httpx.Client
) -> None:
    """A metric create refused as a duplicate after a lost answer is done when the metric
    under the key is the one sent; one that differs is a conflict reported, not a success."""
    workspace, provider = _example_provider(
        example, emulator, _LosesAndEdits("/v1/projects/demo/metrics", api)
    )
    with gc_paused():
        desired = load_flags(workspace)
    plan = make_plan(workspace, desired, provider, PlanOptions())
    result = apply_plan(plan, provider, lambda line: None)
    provider.close()
    assert not result.ok
    assert "POST /v1/projects/demo/metrics: conflict" in str(result.error)
