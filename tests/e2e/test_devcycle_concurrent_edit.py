"""An edit made in DevCycle while flagsync applies is not overwritten silently: DevCycle gives
features no ETag or version, so flagsync reads a feature again right before writing it and
refuses the write when it moved since the plan."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from reconciler.apply import apply_plan
from reconciler.emulator import EmulatorServer
from reconciler.gc_pause import gc_paused
from reconciler.manifest.loader import load_flags
from reconciler.plan import ApiCall
from reconciler.providers.devcycle.client import Credentials, DevCycleClient
from reconciler.providers.devcycle.provider import DevCycleProvider
from reconciler.reconcile import make_plan
from reconciler.workspace import load_workspace
from tests.e2e.conftest import CLIENT_ID, CLIENT_SECRET, Cli

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

    def __getattr__(self, name: str) -> Any:
        return getattr(self.provider, name)


@pytest.mark.slow
def test_edit_landing_before_the_patch_is_kept_and_reported(
    example: Cli, api: httpx.Client, emulator: EmulatorServer
) -> None:
    assert example("apply", "--yes").returncode == 0
    manifest = example.cwd / "flags" / "checkout.yaml"
    manifest.write_text(
        manifest.read_text().replace("{classic: 90, redesign: 10}", "{classic: 80, redesign: 20}")
    )
    workspace = load_workspace(example.cwd / "flagsync.yaml")
    provider = DevCycleProvider(
        workspace,
        DevCycleClient(
            emulator.url,
            f"{emulator.url}/oauth/token",
            Credentials(client_id=CLIENT_ID, client_secret=CLIENT_SECRET),
        ),
    )
    with gc_paused():
        desired = load_flags(workspace)
    plan = make_plan(workspace, desired, provider)
    assert [s.key for s in plan.steps] == ["new-checkout"]

    def switch_off_production() -> None:
        production = {"environment": "production"}
        edited = api.patch(CONFIG, params=production, json={"status": "inactive"})
        assert edited.status_code == 200, edited.text

    lines: list[str] = []
    result = apply_plan(plan, EditFirst(provider, switch_off_production), lines.append)
    provider.close()
    assert not result.ok
    assert "changed in DevCycle since it was planned" in str(result.error)
    production = api.get(CONFIG, params={"environment": "production"}).json()
    assert production[0]["status"] == "inactive"  # the edit is kept
    plan_again = example("plan")
    assert plan_again.returncode == 2
    assert "enabled: off -> on" in plan_again.stdout
