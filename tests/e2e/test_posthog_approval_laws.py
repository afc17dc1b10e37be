"""The approvals law: under policies gating every flag write PostHog can gate (enabling,
disabling, rollout changes), applying generated edits and then approving every change request
flagsync opened converges: the next plan is empty."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.apply import apply_plan
from reconciler.emulator import EmulatorConfig, EmulatorServer
from reconciler.emulator.posthog import PERSONAL_API_KEY, REVIEWER_API_KEY
from reconciler.model import Flag, FlagSet
from reconciler.providers.posthog.client import PostHogClient
from reconciler.providers.posthog.provider import PostHogProvider
from reconciler.reconcile import PlanOptions, make_plan
from reconciler.workspace import EnvironmentSettings, Workspace
from tests.strategies import posthog_flags

_unique = itertools.count()
GATED = ("feature_flag.enable", "feature_flag.disable", "feature_flag.update")


@pytest.fixture(scope="module")
def gated() -> Iterator[tuple[EmulatorServer, httpx.Client]]:
    """An emulator whose production project gates every gateable flag write, and the client
    of the reviewer those policies name."""
    with EmulatorServer(EmulatorConfig()) as server:
        admin = {"Authorization": f"Bearer {PERSONAL_API_KEY}"}
        with httpx.Client(base_url=server.url, headers=admin) as api:
            for action in GATED:
                body = {"action_key": action, "approver_config": {"users": [2], "quorum": 1}}
                created = api.post("/api/projects/2/approval_policies/", json=body)
                assert created.status_code == 201, created.text
        reviewer = {"Authorization": f"Bearer {REVIEWER_API_KEY}"}
        with httpx.Client(base_url=server.url, headers=reviewer) as client:
            yield server, client


def _provider(server: EmulatorServer) -> PostHogProvider:
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
    return PostHogProvider(workspace, PostHogClient(server.url, PERSONAL_API_KEY))


def _apply_and_approve(server: EmulatorServer, reviewer: httpx.Client, desired: FlagSet) -> None:
    options = PlanOptions(prune=True)
    provider = _provider(server)
    try:
        plan = make_plan(provider.workspace, desired, provider, options)
        result = apply_plan(plan, provider, lambda line: None)
        assert result.ok, result.error
    finally:
        provider.close()
    pending = reviewer.get("/api/projects/2/change_requests/", params={"state": "pending"})
    for request in pending.json()["results"]:
        answer = reviewer.post(f"/api/projects/2/change_requests/{request['id']}/approve/")
        assert answer.json()["status"] == "applied", answer.text
    provider = _provider(server)
    try:
        again = make_plan(provider.workspace, desired, provider, options)
    finally:
        provider.close()
    assert again.changes == [], again.changes
    assert again.pending_requests == [], again.pending_requests


@pytest.mark.slow
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.tuples(posthog_flags(), posthog_flags()), min_size=1, max_size=3))
def test_approving_every_request_converges(
    gated: tuple[EmulatorServer, httpx.Client], versions: list[tuple[Flag, Flag]]
) -> None:
    server, reviewer = gated
    keys = [f"gated-{next(_unique)}" for _ in versions]

    def named(flag: Flag, key: str) -> Flag:
        return flag.model_copy(update={"key": key, "name": key})

    first = FlagSet(flags={k: named(a, k) for k, (a, _) in zip(keys, versions, strict=True)})
    _apply_and_approve(server, reviewer, first)
    second = FlagSet(flags={k: named(b, k) for k, (_, b) in zip(keys, versions, strict=True)})
    _apply_and_approve(server, reviewer, second)
