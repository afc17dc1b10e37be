"""The approval gate on flag updates: which writes open a change request instead of applying.

Source: PostHog/posthog `posthog/approvals/decorators.py` (`approval_gate`, `_evaluate_gate`,
`_check_for_duplicate`), `posthog/approvals/actions/feature_flags.py` (`EnableFeatureFlagAction`,
`DisableFeatureFlagAction`, `UpdateFeatureFlagAction`: `detect`, `extract_intent`,
`get_display_data`), `posthog/approvals/policies.py` (`PolicyEngine.evaluate`,
`_evaluate_conditions`), `posthog/approvals/mixins.py` (`ApprovalHandlingMixin`: the 409).

`FeatureFlagSerializer.update` carries `@approval_gate(["feature_flag.enable",
"feature_flag.disable", "feature_flag.update"])`: only PATCH/PUT of an existing flag can be
gated (never a create, never a soft delete that sends neither `active` nor `filters`), and the
first action whose `detect` matches and that has an enabled policy decides:
- enable/disable: the body's `active` turns the flag on/off;
- update: the body's `filters` change a `rollout_percentage` (release conditions, super
  groups, holdout groups, variants), unless it also toggles `active` without `filters`.
The policy's conditions then decide (`before_after`, `change_amount`, `any_change`; none: every
such write), a user whose organization level is in `bypass_org_membership_levels` passes, and
otherwise the write is answered 409 and nothing but the change request is saved. PostHog turns
the gate on per organization with its own `approvals` feature flag; the emulator's organization
has it on.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from .approval_policies import enabled_policy
from .change_requests import OPEN, expire_due, serialize_request
from .errors import ApiError
from .fields import format_datetime, now_iso
from .state import PostHogState, Record

ROLLOUT_PATHS = (
    ("groups",),
    ("super_groups",),
    ("holdout_groups",),
    ("multivariate", "variants"),
)
_OPERATORS = {
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


class ApprovalRequired(ApiError):
    """The 409 of a gated write. Unlike other errors it keeps what the request saved: the
    change request is committed while the flag stays as it was."""

    keeps_state = True

    def __init__(self, answer: dict[str, Any]) -> None:
        super().__init__(409, "", "", str(answer["message"]))
        self.answer = answer

    def body(self) -> dict[str, Any]:
        return self.answer


def rollout_percentages(filters: Any) -> list[dict[str, Any]]:
    """`UpdateFeatureFlagAction._extract_rollout_percentages`."""
    found = []
    for array_path in ROLLOUT_PATHS:
        current: Any = filters
        for key in array_path:
            current = current.get(key) if isinstance(current, dict) else None
            if current is None:
                break
        if not isinstance(current, list):
            continue
        dotted = ".".join(array_path)
        for index, item in enumerate(current):
            if isinstance(item, dict) and "rollout_percentage" in item:
                found.append(
                    {
                        "path": f"{dotted}[{index}].rollout_percentage",
                        "value": item["rollout_percentage"],
                    }
                )
    return found


def _by_path(values: list[dict[str, Any]]) -> dict[str, Any]:
    return {v["path"]: v["value"] for v in values}


def _triggered(old: Any, new: Any) -> list[str]:
    before, after = _by_path(rollout_percentages(old)), _by_path(rollout_percentages(new))
    return [p for p in before.keys() | after.keys() if before.get(p) != after.get(p)]


def _detect(action: str, flag: Record, data: dict[str, Any]) -> bool:
    desired = data.get("active")
    if action in ("feature_flag.enable", "feature_flag.disable"):
        target = action == "feature_flag.enable"
        return not (desired != target or flag["active"] == target)
    if desired is not None and desired != flag["active"] and "filters" not in data:
        return False
    new_filters = data.get("filters")
    if not new_filters:
        return False
    return bool(_triggered(flag.get("filters") or {}, new_filters))


def _intent(action: str, flag: Record, data: dict[str, Any], method: str) -> dict[str, Any]:
    preconditions = {"version": flag.get("version"), "updated_at": flag.get("updated_at")}
    if action == "feature_flag.update":
        old, new = flag.get("filters") or {}, data.get("filters", {})
        intent: dict[str, Any] = {
            "flag_id": flag["id"],
            "flag_key": flag["key"],
            "current_state": {"rollout_percentage": rollout_percentages(old)},
            "gated_changes": {"rollout_percentage": rollout_percentages(new)},
            "triggered_paths": _triggered(old, new),
            "full_request_data": dict(data),
            "preconditions": preconditions,
        }
    else:
        intent = {
            "flag_id": flag["id"],
            "flag_key": flag["key"],
            "current_state": {"active": flag["active"]},
            "gated_changes": {"active": data["active"]} if "active" in data else {},
            "full_request_data": dict(data),
            "preconditions": preconditions,
        }
    intent["http_method"] = method
    return intent


def _display(action: str, intent: dict[str, Any]) -> dict[str, Any]:
    key = intent.get("flag_key", "unknown")
    if action == "feature_flag.enable":
        description = f"Enable feature flag '{key}'"
    elif action == "feature_flag.disable":
        description = f"Disable feature flag '{key}'"
    else:
        before = _by_path(intent["current_state"]["rollout_percentage"])
        after = _by_path(intent["gated_changes"]["rollout_percentage"])
        parts = [
            f"rollout percentage at {path}: {before.get(path, 'N/A')}% -> {after.get(path, 'N/A')}%"
            for path in intent["triggered_paths"]
        ]
        description = f"Update rollout percentage for feature flag '{key}'"
        if parts:
            description = f"{description}: {'; '.join(parts)}"
        return {
            "description": description,
            "before": intent["current_state"],
            "after": intent["gated_changes"],
            "triggered_paths": intent["triggered_paths"],
        }
    return {
        "description": description,
        "before": intent["current_state"],
        "after": intent["gated_changes"],
    }


def conditions_match(conditions: Any, intent: dict[str, Any]) -> bool:
    """`PolicyEngine._evaluate_conditions`: no conditions, or an unknown type, gate every
    write the action detects."""
    if not conditions:
        return True
    kind = conditions.get("type")
    field = conditions.get("field")
    if kind not in ("before_after", "change_amount", "any_change"):
        return True
    if not field:
        return True
    before = intent.get("current_state", {}).get(field, [])
    after = intent.get("gated_changes", {}).get(field, [])
    if kind == "any_change":
        old, new = _by_path(before), _by_path(after)
        return any(old.get(p) != new.get(p) for p in old.keys() | new.keys())
    compare = _OPERATORS.get(conditions.get("operator"))
    threshold = conditions.get("value")
    if compare is None or threshold is None:
        return True
    if kind == "before_after":
        for item in after:
            value = item.get("value")
            if value is not None:
                try:
                    if compare(value, threshold):
                        return True
                except (TypeError, ValueError):
                    pass
        return False
    old, new = _by_path(before), _by_path(after)
    for path in old.keys() | new.keys():
        if old.get(path) is not None and new.get(path) is not None:
            try:
                if compare(new[path] - old[path], threshold):
                    return True
            except (TypeError, ValueError):
                pass
    return False


def gate(
    state: PostHogState, flag: Record, user: Record, data: dict[str, Any], method: str
) -> None:
    """Raise `ApprovalRequired` when the write needs approval; return when it may proceed."""
    for action in ("feature_flag.enable", "feature_flag.disable", "feature_flag.update"):
        if not _detect(action, flag, data):
            continue
        policy = enabled_policy(state, flag["team_id"], action)
        if policy is not None:
            break
    else:
        return
    intent = _intent(action, flag, data, method)
    level = str(user.get("membership_level", 15))
    if level in [str(v) for v in policy["bypass_org_membership_levels"] or []]:
        return
    if not conditions_match(policy["conditions"], intent):
        return
    approvers = policy["approver_config"]
    snapshot = {
        "quorum": approvers["quorum"],
        "users": approvers.get("users", []),
        "roles": approvers.get("roles", []),
        "allow_self_approve": policy["allow_self_approve"],
        "conditions": policy["conditions"] or {},
        "bypass_org_membership_levels": policy["bypass_org_membership_levels"],
        "bypass_roles": policy["bypass_roles"],
    }
    if not policy["allow_self_approve"] and user["id"] in approvers.get("users", []):
        message = "A change request has been created and is pending approval from others."
    else:
        message = "A change request has been created and is pending approval."
    expire_due(state)
    existing = next(
        (
            r
            for r in state.change_requests
            if r["action_key"] == action
            and r["team_id"] == flag["team_id"]
            and r["resource_type"] == "feature_flag"
            and r["resource_id"] == str(flag["id"])
            and r["state"] in OPEN
        ),
        None,
    )
    if existing is not None:
        raise ApprovalRequired(_answer(state, existing, "change_request_pending", _DUPLICATE, {}))
    stamp = now_iso()
    expires = datetime.now(UTC) + timedelta(seconds=policy["expires_after"])
    request: Record = {
        "id": str(uuid.uuid4()),
        "team_id": flag["team_id"],
        "action_key": action,
        "action_version": 1,
        "resource_type": "feature_flag",
        "resource_id": str(flag["id"]),
        "intent": intent,
        "intent_display": _display(action, intent),
        "policy_snapshot": snapshot,
        "validation_status": "valid",
        "validation_errors": None,
        "validated_at": None,
        "state": "pending",
        "created_by_id": user["id"],
        "applied_by_id": None,
        "created_at": stamp,
        "updated_at": stamp,
        "expires_at": format_datetime(expires),
        "applied_at": None,
        "apply_error": "",
        "result_data": None,
        "approvals": [],
    }
    state.change_requests.append(request)
    raise ApprovalRequired(_answer(state, request, "approval_required", message, approvers))


_DUPLICATE = "A pending approval request already exists for this action"


def _answer(
    state: PostHogState, request: Record, code: str, message: str, approvers: dict[str, Any]
) -> dict[str, Any]:
    """`ApprovalHandlingMixin.handle_exception`'s 409 body."""
    return {
        "code": code,
        "status": "approval_required",
        "detail": message,
        "message": message,
        "resource_type": request["resource_type"],
        "resource_id": request["resource_id"],
        "change_request_id": request["id"],
        "change_request": serialize_request(state, request),
        "required_approvers": approvers,
    }
