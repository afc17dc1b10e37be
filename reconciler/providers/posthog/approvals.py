"""Which flag writes a PostHog project's approval policies send to review.

PostHog gates `PATCH /feature_flags/{id}/` only (never a create, never a soft delete): a policy
for `feature_flag.enable` or `feature_flag.disable` gates turning the flag on or off, one for
`feature_flag.update` a change of any `rollout_percentage` (release conditions, super groups,
holdout groups, variants), each narrowed by the policy's `conditions`. flagsync predicts it
from the project's policies so the plan can say which changes will go to review; PostHog has
the last word (a write it gates answers 409 with the change request it opened).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

ACTIONS = ("feature_flag.enable", "feature_flag.disable", "feature_flag.update")
_ROLLOUT_LISTS = (("groups",), ("super_groups",), ("holdout_groups",), ("multivariate", "variants"))
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


def rollouts(filters: Any) -> dict[str, Any]:
    """Every `rollout_percentage` in `filters`, by path (`groups[0].rollout_percentage`)."""
    found: dict[str, Any] = {}
    for path in _ROLLOUT_LISTS:
        current: Any = filters
        for key in path:
            current = current.get(key) if isinstance(current, dict) else None
        if not isinstance(current, list):
            continue
        for index, item in enumerate(current):
            if isinstance(item, dict) and "rollout_percentage" in item:
                found[f"{'.'.join(path)}[{index}].rollout_percentage"] = item["rollout_percentage"]
    return found


def detected(action: str, live: dict[str, Any], body: dict[str, Any]) -> bool:
    """Whether PostHog's action of that name recognises this PATCH of the live flag."""
    wanted = body.get("active")
    if action in ("feature_flag.enable", "feature_flag.disable"):
        target = action == "feature_flag.enable"
        return wanted == target and live.get("active") != target
    if wanted is not None and wanted != live.get("active") and "filters" not in body:
        return False
    filters = body.get("filters")
    return bool(filters) and rollouts(live.get("filters") or {}) != rollouts(filters)


def _conditions_match(conditions: Any, live: dict[str, Any], body: dict[str, Any]) -> bool:
    if not isinstance(conditions, dict) or not conditions:
        return True
    kind, field = conditions.get("type"), conditions.get("field")
    if kind not in ("before_after", "change_amount", "any_change") or not field:
        return True
    if field != "rollout_percentage":
        return False
    before, after = rollouts(live.get("filters") or {}), rollouts(body.get("filters") or {})
    if kind == "any_change":
        return before != after
    compare = _COMPARE.get(str(conditions.get("operator")))
    threshold = conditions.get("value")
    if compare is None or threshold is None:
        return True
    try:
        if kind == "before_after":
            return any(v is not None and compare(v, threshold) for v in after.values())
        return any(
            compare(after[p] - before[p], threshold)
            for p in before.keys() & after.keys()
            if before[p] is not None and after[p] is not None
        )
    except TypeError:
        return False


def gating_policy(
    policies: list[dict[str, Any]], live: dict[str, Any], body: dict[str, Any]
) -> dict[str, Any] | None:
    """The enabled policy that sends this PATCH to review, or None. PostHog takes the first
    action (enable, disable, update) that recognises the write and has an enabled policy."""
    for action in ACTIONS:
        if not detected(action, live, body):
            continue
        policy = next(
            (p for p in policies if p.get("action_key") == action and p.get("enabled", True)),
            None,
        )
        if policy is None:
            continue
        return policy if _conditions_match(policy.get("conditions"), live, body) else None
    return None
