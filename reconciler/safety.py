"""Safety thresholds (as octoDNS): a run that would update or delete a large share of what
flagsync manages stops unless forced, because that is what a bad merge or a wrong workspace
looks like.

The share counts like with like: flags updated or deleted (each flag once, however many
projects or calls its change takes) against the flags flagsync manages. Metrics, audiences,
experiments and the like are not flags, so they count in neither number."""

from __future__ import annotations

from reconciler.errors import SafetyError
from reconciler.plan import Plan
from reconciler.workspace import Safety


def check_safety(plan: Plan, safety: Safety) -> None:
    """Raise `SafetyError` when updates or deletes exceed their share of the managed flags."""
    existing = plan.managed_count
    if existing < safety.min_existing:
        return
    counts = flag_counts(plan)
    for action, limit in (("update", safety.max_updates), ("delete", safety.max_deletes)):
        share = 100.0 * counts[action] / existing
        if share > limit:
            raise SafetyError(
                f"too many {action}s: {counts[action]} of {existing} managed flags "
                f"({share:.0f} %) exceeds the {limit:g} % safety threshold. Review the plan; "
                "if it is right, run again with --force (thresholds: `safety` in the workspace)"
            )


def flag_counts(plan: Plan) -> dict[str, int]:
    """How many distinct flags the plan updates and deletes directly."""
    keys: dict[str, set[str]] = {"update": set(), "delete": set()}
    for step in plan.steps:
        if step.resource == "flag" and step.via == "direct" and step.action in keys:
            keys[step.action].add(step.key)
    return {action: len(found) for action, found in keys.items()}
