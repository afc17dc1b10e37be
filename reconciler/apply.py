"""Executes a plan's steps in order and reports each call's outcome.

Steps come in dependency order from the plan; within a step the calls are sent in order (a
feature's variables and variations before its targeting). The first failure stops the run:
what was applied before it stays applied and is reported, nothing after it is attempted, and a
new plan shows exactly what is left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from reconciler.errors import FlagsyncError
from reconciler.plan import ApiCall, Plan, Step

PAST_TENSE = {
    "create": "created",
    "update": "updated",
    "delete": "deleted",
    "change_request": "change requests opened",
}


class Executor(Protocol):
    def execute(self, call: ApiCall) -> Any: ...


@dataclass
class ApplyResult:
    """What an apply did: steps done, and the failure that stopped it, if any."""

    done: list[Step] = field(default_factory=list)
    failed: Step | None = None
    error: FlagsyncError | None = None
    remaining: int = 0

    @property
    def ok(self) -> bool:
        return self.failed is None

    def counts(self) -> dict[str, int]:
        result = {"create": 0, "update": 0, "delete": 0, "change_request": 0}
        for step in self.done:
            result["change_request" if step.via == "change-request" else step.action] += 1
        return result


def _done(step: Step, call: ApiCall, answer: Any) -> str:
    """How a finished call reads in the apply log."""
    request = answer.get("_id", "") if isinstance(answer, dict) else ""
    if call.path.endswith("/cancel"):
        return "cancelled a stale change request for"
    if call.path.endswith("/submit"):
        reviewers = ", ".join(step.reviewers) or "the project's reviewers"
        return f"submitted change request {request} to {reviewers} for"
    if step.via == "change-request":
        return f"opened change request {request} for"
    if isinstance(answer, dict) and answer.get("flagsync_change_request"):
        return f"approval required: opened change request {answer['flagsync_change_request']} for"
    return PAST_TENSE[step.action]


def apply_plan(plan: Plan, executor: Executor, report: Callable[[str], None]) -> ApplyResult:
    """Run every step of `plan`; `report` receives one line per call as it completes."""
    result = ApplyResult()
    for index, step in enumerate(plan.steps):
        try:
            answer: Any = None
            for call in step.calls:
                call = call.resolved(answer)
                answer = executor.execute(call)
                report(f"  {_done(step, call, answer)} {step.key}  ({call.describe()})")
        except FlagsyncError as error:
            result.failed, result.error = step, error
            result.remaining = len(plan.steps) - index - 1
            report(f"  FAILED {step.action} {step.key}: {error}")
            return result
        result.done.append(step)
    return result
