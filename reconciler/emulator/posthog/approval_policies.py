"""`/api/projects/{id}/approval_policies/`: PostHog's `ApprovalPolicyViewSet` (CRUD).

Source: PostHog/posthog `posthog/approvals/api.py` (`ApprovalPolicyViewSet`),
`posthog/approvals/serializers.py` (`ApprovalPolicySerializer`), `posthog/approvals/models.py`
(`ApprovalPolicy`: `unique_together = [organization, team, action_key]`, `expires_after`
defaults to 14 days, `enabled` to true).

Policies created through a project URL belong to that project (`perform_create` saves
`team=self.team`); the list is that project's policies, newest first, with the `action_key`
and `enabled` filters of `safely_get_queryset`. Writes need an organization admin
(`OrganizationAdminWritePermissions`); the seeded users are: user 1 an owner, user 2 a member.
"""

from __future__ import annotations

import uuid
from typing import Any

from .durations import INVALID, duration_string, parse_duration
from .errors import ApiError, not_found, required, validation_error
from .fields import now_iso
from .flag_read import user_basic
from .http import Call, Handler, Reply
from .pagination import paginate
from .state import PostHogState, Record

DEFAULT_EXPIRES_AFTER = 14 * 24 * 3600.0
ADMIN_LEVEL = 8
_EDITABLE = (
    "action_key",
    "conditions",
    "approver_config",
    "allow_self_approve",
    "bypass_org_membership_levels",
    "bypass_roles",
    "expires_after",
    "enabled",
)


def policies_of(state: PostHogState, project_id: int) -> list[Record]:
    return [p for p in state.approval_policies if p["team_id"] == project_id]


def enabled_policy(state: PostHogState, project_id: int, action_key: str) -> Record | None:
    """`PolicyEngine.get_policy`: the project's enabled policy for the action (an
    organization-level one cannot be made through the project URLs the emulator serves)."""
    return next(
        (
            p
            for p in policies_of(state, project_id)
            if p["action_key"] == action_key and p["enabled"]
        ),
        None,
    )


def serialize_policy(state: PostHogState, policy: Record) -> dict[str, Any]:
    return {
        "id": policy["id"],
        "action_key": policy["action_key"],
        "conditions": policy["conditions"],
        "approver_config": policy["approver_config"],
        "allow_self_approve": policy["allow_self_approve"],
        "bypass_org_membership_levels": policy["bypass_org_membership_levels"],
        "bypass_roles": policy["bypass_roles"],
        "expires_after": duration_string(policy["expires_after"]),
        "enabled": policy["enabled"],
        "created_by": user_basic(state, policy.get("created_by_id")),
        "created_at": policy["created_at"],
        "updated_at": policy["updated_at"],
    }


def _bool(data: dict[str, Any], name: str) -> bool:
    value = data[name]
    if value in (True, "true", "True", 1, "1"):
        return True
    if value in (False, "false", "False", 0, "0"):
        return False
    raise validation_error("Must be a valid boolean.", name)


def _validated(data: dict[str, Any], partial: bool) -> dict[str, Any]:
    """`ApprovalPolicySerializer` field validation (ModelSerializer defaults)."""
    fields: dict[str, Any] = {}
    if not partial:
        for name in ("action_key", "approver_config"):
            if name not in data:
                raise required(name)
    if "action_key" in data:
        key = data["action_key"]
        if not isinstance(key, str | int | float) or isinstance(key, bool):
            raise validation_error("Not a valid string.", "action_key")
        key = str(key)
        if not key.strip():
            raise validation_error("This field may not be blank.", "action_key", "blank")
        if len(key) > 128:
            raise validation_error(
                "Ensure this field has no more than 128 characters.", "action_key", "max_length"
            )
        fields["action_key"] = key
    for name in ("conditions", "approver_config", "bypass_org_membership_levels"):
        if name in data:
            if data[name] is None:
                raise validation_error("This field may not be null.", name, "null")
            fields[name] = data[name]
    for name in ("allow_self_approve", "enabled"):
        if name in data:
            fields[name] = _bool(data, name)
    if "bypass_roles" in data:
        roles = data["bypass_roles"]
        if not isinstance(roles, list):
            raise validation_error(
                f'Expected a list of items but got type "{type(roles).__name__}".',
                "bypass_roles",
                "not_a_list",
            )
        if roles:
            # `validate_bypass_roles`: every id must be a Role of the organization; the
            # emulator has no roles, so any id is missing.
            raise validation_error(
                f"Roles do not exist: {', '.join(str(r) for r in roles)}", "bypass_roles"
            )
        fields["bypass_roles"] = []
    if "expires_after" in data:
        parsed = parse_duration(data["expires_after"])
        if parsed is None:
            raise validation_error(INVALID, "expires_after")
        fields["expires_after"] = parsed.total_seconds()
    return fields


def _require_admin(call: Call) -> None:
    if int(call.user.get("membership_level", 15)) < ADMIN_LEVEL:
        raise ApiError(
            403,
            "authentication_error",
            "permission_denied",
            "Your organization access level is insufficient.",
        )


def _policy(call: Call) -> Record:
    found = next(
        (
            p
            for p in policies_of(call.state, call.project_id)
            if p["id"] == call.params["policy_id"]
        ),
        None,
    )
    if found is None:
        raise not_found("No ApprovalPolicy matches the given query.")
    return found


def _unique(call: Call, policy: Record) -> None:
    """The `(organization, team, action_key)` unique constraint, answered as `create` does."""
    for other in policies_of(call.state, call.project_id):
        if other["id"] != policy["id"] and other["action_key"] == policy["action_key"]:
            raise validation_error(
                "A policy for this action already exists. You can edit the existing policy instead."
            )


def list_handler(call: Call) -> Reply:
    rows = sorted(policies_of(call.state, call.project_id), key=lambda p: p["created_at"])
    rows.reverse()
    query = call.query
    if "action_key" in query:
        rows = [p for p in rows if p["action_key"] == query["action_key"]]
    if "enabled" in query:
        wanted = query["enabled"].lower() == "true"
        rows = [p for p in rows if p["enabled"] is wanted]
    page = paginate(call.request, rows)
    page["results"] = [serialize_policy(call.state, p) for p in page["results"]]
    return Reply(page)


def create_handler(call: Call) -> Reply:
    _require_admin(call)
    fields = _validated(call.data(), partial=False)
    stamp = now_iso()
    policy: Record = {
        "id": str(uuid.uuid4()),
        "team_id": call.project_id,
        "conditions": {},
        "allow_self_approve": False,
        "bypass_org_membership_levels": [],
        "bypass_roles": [],
        "expires_after": DEFAULT_EXPIRES_AFTER,
        "enabled": True,
        **fields,
        "created_by_id": call.user["id"],
        "created_at": stamp,
        "updated_at": stamp,
    }
    _unique(call, policy)
    call.state.approval_policies.append(policy)
    return Reply(serialize_policy(call.state, policy), 201)


def retrieve_handler(call: Call) -> Reply:
    return Reply(serialize_policy(call.state, _policy(call)))


def _updater(partial: bool) -> Handler:
    def handler(call: Call) -> Reply:
        _require_admin(call)
        policy = _policy(call)
        fields = _validated(call.data(), partial=partial)
        updated = {**policy, **{k: v for k, v in fields.items() if k in _EDITABLE}}
        _unique(call, updated)
        policy.update(updated)
        policy["updated_at"] = now_iso()
        return Reply(serialize_policy(call.state, policy))

    return handler


def destroy_handler(call: Call) -> Reply:
    _require_admin(call)
    policy = _policy(call)
    call.state.approval_policies.remove(policy)
    return Reply(None, 204)


COLLECTION: dict[str, Handler] = {"GET": list_handler, "POST": create_handler}
DETAIL: dict[str, Handler] = {
    "GET": retrieve_handler,
    "PATCH": _updater(partial=True),
    "PUT": _updater(partial=False),
    "DELETE": destroy_handler,
}
