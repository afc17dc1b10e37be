"""The built-in rules, each a function of the policy, the plan's JSON and the flags' metadata.

They read the published plan format (not the `Plan` object), so they agree with what any
external tool sees in `plan -o json`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from reconciler.policy.config import Policy
from reconciler.policy.violation import Violation

PlanData = dict[str, Any]
Flags = Mapping[str, dict[str, Any]]


def _missing(field: str, meta: dict[str, Any]) -> bool:
    if field == "expires":
        return not meta.get("expires") and meta.get("permanent") is not True
    return not meta.get(field)


def required_fields(policy: Policy, plan: PlanData, flags: Flags) -> Iterator[Violation]:
    """Every new flag declares the fields the workspace requires (`expires` or `permanent`)."""
    if not policy.require_on_new_flags:
        return
    for change in plan.get("changes", []):
        if (change["action"], change.get("resource", "flag"), change.get("environment")) != (
            "create",
            "flag",
            None,
        ):
            continue
        meta = flags.get(change["key"], {})
        missing = [f for f in policy.require_on_new_flags if _missing(f, meta)]
        if missing:
            hint = " (or `permanent: true`)" if "expires" in missing else ""
            yield Violation(
                "require_on_new_flags",
                f"new flag '{change['key']}' has no {', '.join(missing)}{hint}",
                key=change["key"],
            )


def _shares(serve: Any) -> dict[str, float]:
    """A target's split as variation -> percent; a flag without variations serves `on`."""
    if isinstance(serve, dict):
        return {str(k): float(v) for k, v in serve.items()} or {"on": 100.0}
    if isinstance(serve, str):
        return {serve: 100.0}
    return {}


def _step(field: dict[str, Any]) -> float | None:
    """The percentage points one field change moves users by, when it is a split or a
    rollout percentage of an existing target; None for other fields."""
    parts = field.get("parts") or []
    if len(parts) != 3 or parts[0] != "targets":
        return None
    before, after = field.get("before"), field.get("after")
    if parts[2] == "serve" and before is not None and after is not None:
        old, new = _shares(before), _shares(after)
        return max(abs(new.get(v, 0.0) - old.get(v, 0.0)) for v in {*old, *new})
    if parts[2] == "percentage":
        old_pct = 100.0 if before is None else float(before)
        new_pct = 100.0 if after is None else float(after)
        return abs(new_pct - old_pct)
    return None


def rollout_steps(policy: Policy, plan: PlanData, flags: Flags) -> Iterator[Violation]:
    """No update moves a variation's share of a target, or a target's rollout percentage, by
    more than the environment's `max_rollout_step` percentage points in one apply."""
    for change in plan.get("changes", []):
        env = change.get("environment")
        limit = policy.max_rollout_step.get(env) if env else None
        if limit is None or change["action"] != "update":
            continue
        for field in change.get("fields", []):
            step = _step(field)
            if step is not None and step > limit + 1e-9:
                yield Violation(
                    "max_rollout_step",
                    f"'{change['key']}' [{env}] {field['path']} moves {step:g} points; "
                    f"at most {limit:g} per apply in {env}",
                    key=change["key"],
                    environment=env,
                )


def change_requests(policy: Policy, plan: PlanData, flags: Flags) -> Iterator[Violation]:
    """Changes to the listed environments go to reviewers as change requests, never direct."""
    for change in plan.get("changes", []):
        env = change.get("environment")
        if env in policy.require_change_requests and change.get("via") != "change-request":
            yield Violation(
                "require_change_requests",
                f"'{change['key']}' [{env}] would be written directly; {env} changes must go "
                "through a change request (`changes: change-request` on the environment)",
                key=change["key"],
                environment=env,
            )


def forbidden_actions(policy: Policy, plan: PlanData, flags: Flags) -> Iterator[Violation]:
    """An action the workspace forbids in an environment. Deleting a flag deletes it from every
    environment; creating one counts in each environment it configures."""
    for change in plan.get("changes", []):
        action, env = change["action"], change.get("environment")
        if env is None and action == "delete":
            envs = [e for e, actions in policy.forbid.items() if "delete" in actions]
        elif env is not None:
            envs = [env] if action in policy.forbid.get(env, ()) else []
        else:
            envs = []
        for forbidden_in in envs:
            what = change.get("resource", "flag").replace("_", " ")
            yield Violation(
                "forbid",
                f"{action} of {what} '{change['key']}' is forbidden in {forbidden_in}",
                key=change["key"],
                environment=forbidden_in,
            )


BUILTIN_RULES = (required_fields, rollout_steps, change_requests, forbidden_actions)
