"""What DevCycle knows about staleness reaches the user: `drift` and `plan` name the managed
features DevCycle lists as stale (`GET /v1/projects/{key}/staleness`), with its reason and
date, and `import` notes them; an unreadable list costs only those notices."""

from __future__ import annotations

import httpx
import pytest

from reconciler.emulator import EmulatorServer
from reconciler.plan import Plan
from tests.e2e.conftest import Cli, devcycle_provider


def _seed(emulator: EmulatorServer, features: list[dict[str, object]]) -> None:
    httpx.put(
        f"{emulator.url}/_emulator/devcycle/staleness",
        json={"project": "demo", "features": features},
    ).raise_for_status()


@pytest.mark.slow
def test_drift_plan_and_import_name_features_devcycle_marks_stale(
    example: Cli, emulator: EmulatorServer
) -> None:
    assert example("apply", "--yes").returncode == 0
    before = example("drift")
    assert before.returncode == 0 and "stale" not in before.stdout
    _seed(
        emulator,
        [{"feature": "dark-mode", "reason": "unused", "updatedAt": "2026-09-01T10:00:00.000Z"}],
    )
    drift = example("drift")
    assert drift.returncode == 0, drift.stdout  # staleness is not drift
    assert (
        "DevCycle marks feature 'dark-mode' stale (reason unused, since 2026-09-01)" in drift.stdout
    )
    plan = example("plan")
    assert plan.returncode == 0, plan.stdout
    assert "DevCycle marks feature 'dark-mode' stale" in plan.stdout
    imported = example("import", "--flag", "dark-mode")
    assert imported.returncode == 0, imported.stderr
    assert "DevCycle marks feature 'dark-mode' stale (reason unused" in imported.stdout


class _StalenessRefused(httpx.HTTPTransport):
    """The real emulator, except that the staleness list answers `status` (a token without
    the permission, or a server without the endpoint)."""

    def __init__(self, status: int) -> None:
        super().__init__()
        self.status = status

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/staleness"):
            return httpx.Response(self.status, json={"message": "Forbidden", "statusCode": 403})
        return super().handle_request(request)


@pytest.mark.slow
@pytest.mark.parametrize("status", [403, 404])
def test_unreadable_staleness_list_costs_only_the_notice(
    example: Cli, emulator: EmulatorServer, status: int
) -> None:
    assert example("apply", "--yes").returncode == 0
    _seed(emulator, [{"feature": "dark-mode", "reason": "released"}])
    provider = devcycle_provider(emulator, transport=_StalenessRefused(status))
    with provider.client:
        live = provider.read({"dark-mode"})
        plan = Plan(provider="devcycle", project="demo", environments=["production"])
        provider.finish_plan(plan)
    assert live.flags.flags  # the read itself went through
    assert len(plan.notices) == 1
    assert "DevCycle's stale features could not be read, so none are named" in plan.notices[0]
    assert "GET /v1/projects/demo/staleness" in plan.notices[0]
