"""Executes a plan's steps and reports each call's outcome.

The order is `reconciler.ordering`'s one rule: waves (what others refer to is written first and
deleted last), each finishing before the next; within a wave, different objects run
concurrently (the client's rate limiter keeps the pace within the vendor's limit), started so
that an object starts after those its calls refer to; one object's steps run in order, and
within a step the calls run in order, each call's references to the previous call's answer
filled in before it is sent. The first failure stops the run: nothing new starts, what was
applied stays applied and is reported, and a new plan shows exactly what is left.

What the log says of a call comes from the step's kind and the call's role, never its URL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from reconciler.errors import FlagsyncError
from reconciler.ordering import schedule
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


APPROVAL_PENDING = "flagsync_change_request"
"""An executor's answer for a write the vendor held for approval (the id of the change request
it opened): the object is unchanged, a request is pending."""

_LATER = {"launch": "launched the experiment of", "status": "set the status of"}


def _done(step: Step, call: ApiCall, answer: Any, first: bool = True) -> str:
    """How a finished call reads in the apply log. Only a step's first call is its action (a
    create's POST); later ones (a status change, an experiment launch, an association) read
    as what they are: an update, or a removal."""
    request = answer.get("_id", "") if isinstance(answer, dict) else ""
    role = call.role
    if role == "cancel-request":
        return "cancelled a stale change request for"
    if isinstance(answer, dict) and answer.get(APPROVAL_PENDING):
        request = answer[APPROVAL_PENDING]
        opened = "already had" if answer.get("flagsync_already_open") else "opened"
        where = f" ({answer['flagsync_link']})" if answer.get("flagsync_link") else ""
        return f"awaiting review: {opened} change request {request}{where} for"
    if role == "submit-request":
        reviewers = ", ".join(step.reviewers) or "the project's reviewers"
        return f"submitted change request {request} to {reviewers} for"
    if role == "open-request" and request:
        return f"opened change request {request} for"
    if not first:
        if role in _LATER:
            return _LATER[role]
        return "removed from" if call.method == "DELETE" else "updated"
    return PAST_TENSE[step.action]


def apply_plan(
    plan: Plan,
    executor: Executor,
    report: Callable[[str], None],
    workers: int = DEFAULT_WORKERS,
    progress: Callable[[int, int], None] | None = None,
) -> ApplyResult:
    """Run every step of `plan`; `report` receives one line per call as it completes, and
    `progress` (steps done, steps in all) after every step."""
    waves = schedule(plan.steps)
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
        for groups in waves:
            list(pool.map(run, groups))
    result.remaining = len(plan.steps) - len(result.done) - (0 if result.ok else 1)
    return result
