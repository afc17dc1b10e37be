"""The safety share counts like with like: distinct flags updated or deleted against the
flags flagsync manages, never per-project steps or other resources against a flag count."""

from __future__ import annotations

import pytest

from reconciler.errors import SafetyError
from reconciler.plan import ApiCall, Plan, Step
from reconciler.safety import check_safety
from reconciler.workspace import Safety


def _step(action: str, key: str, resource: str = "flag") -> Step:
    call = ApiCall(method="PATCH", path=f"/{resource}/{key}")
    return Step(action=action, resource=resource, key=key, calls=[call])  # type: ignore[arg-type]


def _plan(steps: list[Step], managed: int) -> Plan:
    return Plan(
        provider="posthog", project="p", environments=[], steps=steps, managed_count=managed
    )


def test_a_flag_changed_in_several_projects_counts_once() -> None:
    # 3 of 12 flags, each updated in 7 projects: 25 %, under the 30 % threshold
    steps = [_step("update", f"flag-{i}") for i in range(3) for _project in range(7)]
    check_safety(_plan(steps, managed=12), Safety(max_updates=30))


def test_metrics_and_audiences_are_not_managed_flags() -> None:
    steps = [_step("delete", f"metric-{i}", "metric") for i in range(9)]
    steps += [_step("delete", f"audience-{i}", "audience") for i in range(9)]
    steps.append(_step("delete", "flag-0"))
    check_safety(_plan(steps, managed=12), Safety(max_deletes=10))


def test_the_share_still_stops_a_mass_change_of_flags() -> None:
    steps = [_step("delete", f"flag-{i}") for i in range(6) for _project in range(3)]
    with pytest.raises(SafetyError, match=r"too many deletes: 6 of 12 managed flags \(50 %\)"):
        check_safety(_plan(steps, managed=12), Safety(max_deletes=30))
