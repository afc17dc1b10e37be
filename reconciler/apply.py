"""Executes a plan's steps and reports each call's outcome.

Project metrics go first (and their deletions last), each phase finishing before the next.
Steps for different flags are independent and run concurrently (the client's rate limiter keeps
the pace within the vendor's limit), after the custom properties and audiences they may use are
written and before those the manifests dropped are deleted; the steps of one flag run in plan
order (a feature is created before the change request for its reviewed environments), and
within a step the calls run in order. The first failure stops the run: nothing new starts,
what was applied stays applied and is reported, and a new plan shows exactly what is left.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from reconciler.errors import FlagsyncError
from reconciler.plan import ApiCall, Plan, Step, step_counts

PAST_TENSE = {
    "create": "created",
    "update": "updated",
    "delete": "deleted",
    "change_request": "change requests opened",
}


class Executor(Protocol):
    def execute(self, call: ApiCall) -> Any: ...

    def describe(self, call: ApiCall) -> str:
        """The call as it was sent (a provider that fills ids into paths at send time says so;
        `Provider.describe`)."""
        ...


def _shown(executor: Executor, call: ApiCall) -> str:
    """How a sent call reads in the log: as the executor sent it."""
    return executor.describe(call)


DEFAULT_WORKERS = 8


@dataclass
class ApplyResult:
    """What an apply did: steps done, and the failure that stopped it, if any."""

    done: list[Step] = field(default_factory=list)
    failed: Step | None = None
    error: FlagsyncError | None = None
    remaining: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def ok(self) -> bool:
        return self.failed is None

    def counts(self) -> dict[str, int]:
        """Counted as the plan counts them: each object once per kind of change."""
        return step_counts(self.done)


def _done(step: Step, call: ApiCall, answer: Any, first: bool = True) -> str:
    """How a finished call reads in the apply log. Only a step's first call is its action (a
    create's POST); later ones (a status change, an experiment launch, an association) read
    as what they are: an update, or a removal."""
    request = answer.get("_id", "") if isinstance(answer, dict) else ""
    if call.path.rstrip("/").endswith("/cancel"):
        return "cancelled a stale change request for"
    if isinstance(answer, dict) and answer.get("flagsync_change_request"):
        request = answer["flagsync_change_request"]
        opened = "already had" if answer.get("flagsync_already_open") else "opened"
        where = f" ({answer['flagsync_link']})" if answer.get("flagsync_link") else ""
        return f"awaiting review: {opened} change request {request}{where} for"
    if call.path.endswith("/submit"):
        reviewers = ", ".join(step.reviewers) or "the project's reviewers"
        return f"submitted change request {request} to {reviewers} for"
    if step.via == "change-request" and request:
        return f"opened change request {request} for"
    if not first:
        if call.path.rstrip("/").endswith("/launch"):
            return "launched the experiment of"
        if call.path.rstrip("/").endswith("/status"):
            return "set the status of"
        return "removed from" if call.method == "DELETE" else "updated"
    return PAST_TENSE[step.action]


# Project-level objects flags depend on are written in waves: custom properties, then audiences
# (which filter on them) and metrics, then flags (whose targets use audiences, and which metrics
# are associated with); deletions the other way. Each wave finishes before the next starts.
_WAVES = {"custom_property": 0, "audience": 1, "metric": 1}
_FLAG_WAVE = 2


def _wave(step: Step) -> int:
    if step.resource == "approval_policy":
        # Last: the flag writes of the same plan meet the policies the plan read.
        return 2 * _FLAG_WAVE + 1
    position = _WAVES.get(step.resource)
    if position is None:
        return _FLAG_WAVE
    return 2 * _FLAG_WAVE - position if step.action == "delete" else position


def apply_plan(
    plan: Plan,
    executor: Executor,
    report: Callable[[str], None],
    workers: int = DEFAULT_WORKERS,
    progress: Callable[[int, int], None] | None = None,
) -> ApplyResult:
    """Run every step of `plan`; `report` receives one line per call as it completes, and
    `progress` (steps done, steps in all) after every step."""
    waves: dict[int, dict[tuple[str, str], list[Step]]] = {}
    for step in plan.steps:
        wave = waves.setdefault(_wave(step), {})
        wave.setdefault((step.resource, step.key), []).append(step)
    result = ApplyResult()
    stop = threading.Event()

    def run(steps: list[Step]) -> None:
        for step in steps:
            if stop.is_set():
                return
            try:
                answer: Any = None
                for index, call in enumerate(step.calls):
                    call = call.resolved(answer)
                    answer = executor.execute(call)
                    if isinstance(answer, dict) and answer.get("flagsync_change_request"):
                        # The vendor sent the write to reviewers (an approval policy).
                        step = step.model_copy(update={"via": "change-request"})
                    done = _done(step, call, answer, first=index == 0)
                    report(f"  {done} {step.key}  ({_shown(executor, call)})")
            except FlagsyncError as error:
                with result._lock:
                    if result.failed is None:
                        result.failed, result.error = step, error
                stop.set()
                report(f"  FAILED {step.action} {step.key}: {error}")
                return
            with result._lock:
                result.done.append(step)
                finished = len(result.done)
            if progress is not None:
                progress(finished, len(plan.steps))

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for number in sorted(waves):
            list(pool.map(run, waves[number].values()))
    result.remaining = len(plan.steps) - len(result.done) - (0 if result.ok else 1)
    return result
