"""Failures met against a vendor are told apart by class (docs/errors.md), against the emulator:
an edit made since the plan is a `ConflictError` (plan again), an unknown audience a
`PlanError`, and the command stops with exit 1 and the message."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from reconciler.apply import apply_plan
from reconciler.emulator import EmulatorServer
from reconciler.errors import ConflictError, FlagsyncError, PlanError
from reconciler.gc_pause import gc_paused
from reconciler.manifest.loader import load_flags
from reconciler.plan import ApiCall
from reconciler.providers.devcycle.provider import DevCycleProvider
from reconciler.reconcile import make_plan, open_provider
from reconciler.workspace import load_workspace
from tests.e2e.conftest import Cli

CONFIG = "/v1/projects/demo/features/new-checkout/configurations"


class EditFirst:
    """Runs the apply, with someone's edit landing just before flagsync's first write."""

    def __init__(self, provider: DevCycleProvider, edit: Any) -> None:
        self.provider, self.edit, self.done = provider, edit, False

    def execute(self, call: ApiCall) -> Any:
        if not self.done:
            self.done = True
            self.edit()
        return self.provider.execute(call)

    def describe(self, call: ApiCall) -> str:
        return self.provider.describe(call)


@pytest.mark.slow
def test_an_edit_since_the_plan_is_a_conflict(
    example: Cli, api: httpx.Client, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert example("apply", "--yes").returncode == 0
    manifest = example.cwd / "flags" / "checkout.yaml"
    manifest.write_text(
        manifest.read_text().replace("{classic: 90, redesign: 10}", "{classic: 80, redesign: 20}")
    )
    for name, value in example.env.items():
        monkeypatch.setenv(name, value)
    workspace = load_workspace(example.cwd / "flagsync.yaml")
    provider = open_provider(workspace)
    with gc_paused():
        desired = load_flags(workspace)
    plan = make_plan(workspace, desired, provider)

    def switch_off_production() -> None:
        edited = api.patch(
            CONFIG, params={"environment": "production"}, json={"status": "inactive"}
        )
        assert edited.status_code == 200, edited.text

    assert isinstance(provider, DevCycleProvider)
    result = apply_plan(plan, EditFirst(provider, switch_off_production), lambda line: None)
    provider.close()
    assert isinstance(result.error, ConflictError)
    assert "changed in DevCycle since it was planned" in str(result.error)


def test_an_audience_no_one_declares_is_a_plan_error(
    example: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    (example.cwd / "flags" / "beta.yaml").write_text(
        "flags:\n"
        "  - key: beta-banner\n"
        "    variations: [{key: 'on'}]\n"
        "    environments:\n"
        "      production:\n"
        "        targets: [{audience: {all: [{audience: nobody}]}, serve: 'on'}]\n"
    )
    for name, value in example.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(example.cwd)
    workspace = load_workspace(example.cwd / "flagsync.yaml")
    with gc_paused():
        desired = load_flags(workspace)
    provider = open_provider(workspace)
    try:
        with pytest.raises(PlanError, match="audience 'nobody' does not exist") as caught:
            make_plan(workspace, desired, provider)
    finally:
        provider.close()
    assert isinstance(caught.value, FlagsyncError)
    result = example("plan")
    assert result.returncode == 1
    assert "flag 'beta-banner' [production]: audience 'nobody' does not exist" in result.stderr
