"""The fault campaign for creates that reference each other: every run declares reusable
audiences that do not exist yet and flags that target them, and applies them while the emulator
answers 5xx and 429 and loses answers after committing writes. A create whose answer was lost
must be recognised as flagsync's own, also when the object it references was created by the
same apply, so no apply stops on its own write ("conflict"); every run converges after a clean
re-apply with nothing lost or duplicated.

The quick variant runs with the tests; `FLAGSYNC_CAMPAIGN=full` runs the full one (CI)."""

from __future__ import annotations

import itertools
import os
import traceback
from collections import Counter

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from reconciler.apply import apply_plan
from reconciler.emulator import EmulatorServer
from reconciler.errors import FlagsyncError
from reconciler.model import Audience, EnvironmentConfig, Filter, Flag, FlagSet, Target
from reconciler.reconcile import PlanOptions, make_plan
from tests.e2e.conftest import devcycle_provider
from tests.fault_support import FAST_RETRIES, fault_count, faults_on, reset_stats
from tests.strategies import flags, renamed, reusable_audiences

FULL = os.environ.get("FLAGSYNC_CAMPAIGN") == "full"
RUNS = 60 if FULL else 6
FAULTS = {
    "error_rate": 0.2,
    "throttle_rate": 0.1,
    "retry_after": "never",
    "drop_after_write_rate": 0.3,
    "seed": 11,
}
_fresh = itertools.count()


def _targeting(flag: Flag, audience: str) -> Flag:
    """`flag` with a first target in production for the reusable audience `audience`."""
    uses = Audience(
        match="all", filters=(Filter(field="audience", comparator="is", values=(audience,)),)
    )
    serve = {next(iter(flag.variations)): 100.0} if flag.variations else {}
    target = Target(name="Members", audience=uses, serve=serve)
    production = flag.environments.get("production") or EnvironmentConfig()
    environments = {
        **flag.environments,
        "production": production.model_copy(update={"targets": (target, *production.targets)}),
    }
    return flag.model_copy(update={"environments": environments})


@pytest.mark.slow
def test_lost_creates_that_reference_each_other(
    fault_server: EmulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server = fault_server
    counts: Counter[str] = Counter()
    stopped: list[str] = []
    tracebacks: list[str] = []
    reset_stats(server)

    @settings(
        max_examples=RUNS,
        deadline=None,
        database=None,
        derandomize=not FULL,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data(), st.lists(flags(), min_size=1, max_size=3))
    def one_run(data: st.DataObject, drawn: list[Flag]) -> None:
        run = next(_fresh)
        audience = data.draw(reusable_audiences(f"members-{run}"))
        made = {}
        for index, flag in enumerate(drawn):
            key = f"uses-{run}-{index}"
            made[key] = _targeting(renamed(flag, key), audience.key)
        desired = FlagSet(flags=made, audiences={audience.key: audience})
        counts["runs"] += 1
        provider = devcycle_provider(server, retry=FAST_RETRIES)
        with faults_on(server, FAULTS):
            try:
                for _attempt in range(5):
                    plan = make_plan(provider.workspace, desired, provider, PlanOptions())
                    result = apply_plan(plan, provider, lambda line: None)
                    counts["applies"] += 1
                    if result.ok:
                        break
                    counts["applies stopped"] += 1
                    if "conflict" in str(result.error):
                        stopped.append(str(result.error))
            except FlagsyncError as error:
                counts["applies stopped"] += 1
                stopped.append(str(error)) if "conflict" in str(error) else None
            except Exception:  # noqa: BLE001 - what the campaign counts
                counts["tracebacks"] += 1
                tracebacks.append(traceback.format_exc())
        plan = make_plan(provider.workspace, desired, provider, PlanOptions())
        assert apply_plan(plan, provider, lambda line: None).ok  # a clean re-apply
        check = make_plan(provider.workspace, desired, provider, PlanOptions())
        live = [f["key"] for f in provider.client.list_all("/v2/projects/demo/features")]
        audiences = [a.get("key") for a in provider.client.list_all("/v1/projects/demo/audiences")]
        provider.close()
        counts["not converged"] += bool(check.changes)
        counts["duplicated"] += len(live) - len(set(live)) + audiences.count(audience.key) - 1
        counts["lost"] += len(set(made) - set(live))

    try:
        one_run()
    finally:
        counts["faults"] = fault_count(server)
        with capsys.disabled():
            names = ("runs", "applies", "faults", "applies stopped", "tracebacks", "lost")
            shown = ", ".join(f"{counts[name]} {name}" for name in (*names, "duplicated"))
            print(
                f"\nfault campaign (devcycle, creates referencing each other): {shown}, "
                f"{len(stopped)} stopped on their own write, {counts['not converged']} "
                "not converged"
            )
    assert not tracebacks, tracebacks[0]
    assert not stopped, stopped
    assert counts["lost"] == counts["duplicated"] == counts["not converged"] == 0
