"""PostHog approval policies as code: the workspace's `approval_policies` section, planned and
applied like flags, and written back by `flagsync import`.

A declared policy is one per environment (project) and action, as PostHog keeps them unique:

    approval_policies:
      - environment: production
        action: feature_flag.update        # or feature_flag.enable / feature_flag.disable
        conditions: {type: before_after, field: rollout_percentage, operator: ">", value: 50}
        approvers: [2]                     # PostHog user ids
        approver_roles: []                 # RBAC role ids
        quorum: 1
        expires_after: 14d                 # 14d, 12h, or PostHog's "14 00:00:00"
        allow_self_approve: false
        bypass_org_membership_levels: []   # "1" member, "8" admin, "15" owner
        enabled: true

Ownership: a policy has no tags, so flagsync keeps its ownership marker in the policy's
`approver_config` JSON (`{"users", "roles", "quorum", "flagsync": <marker>}`; PostHog reads
only `users`, `roles` and `quorum` from it). A live policy without flagsync's marker is changed
only with `--adopt`, one with another workspace's marker never, and flagsync's own policies gone
from the workspace are deleted only with `--prune`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from reconciler.errors import WorkspaceError
from reconciler.ownership import Ownership
from reconciler.plan import ApiCall, Change, Plan, Step, Subject, field_changes

MARKER_KEY = "flagsync"
DEFAULT_EXPIRY = 14 * 24 * 3600.0
_DURATION = re.compile(r"^(?:(?P<days>\d+) )?(?P<h>\d+):(?P<m>\d\d):(?P<s>\d\d)(?:\.(?P<us>\d+))?$")
_SHORT = re.compile(r"^(?P<n>\d+)(?P<unit>[dhms])$")
_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def seconds(value: Any, where: str) -> float:
    """A duration as PostHog renders it (`14 00:00:00`), as `14d`/`12h`, or seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    short = _SHORT.match(text)
    if short:
        return float(int(short["n"]) * _UNITS[short["unit"]])
    full = _DURATION.match(text)
    if full:
        micro = int((full["us"] or "0").ljust(6, "0")[:6])
        return timedelta(
            days=int(full["days"] or 0),
            hours=int(full["h"]),
            minutes=int(full["m"]),
            seconds=int(full["s"]),
            microseconds=micro,
        ).total_seconds()
    raise WorkspaceError(
        f"{where}: expires_after {value!r} is not a duration (14d, 12h, 14 00:00:00)"
    )


def duration_text(total: float) -> str:
    """The way the manifests (and PostHog) write a duration: `14d` when whole days."""
    if total % 86400 == 0:
        return f"{int(total // 86400)}d"
    if total % 3600 == 0:
        return f"{int(total // 3600)}h"
    return f"{int(total)}s"


def declared(entry: dict[str, Any], marker: str, where: str) -> dict[str, Any]:
    """The body PostHog's `ApprovalPolicySerializer` takes for a declared policy."""
    return {
        "action_key": entry["action"],
        "conditions": entry.get("conditions") or {},
        "approver_config": {
            "users": list(entry.get("approvers") or []),
            "roles": list(entry.get("approver_roles") or []),
            "quorum": int(entry.get("quorum", 1)),
            MARKER_KEY: marker,
        },
        "allow_self_approve": bool(entry.get("allow_self_approve", False)),
        "bypass_org_membership_levels": [
            str(level) for level in entry.get("bypass_org_membership_levels") or []
        ],
        "expires_after": seconds(entry.get("expires_after", DEFAULT_EXPIRY), where),
        "enabled": bool(entry.get("enabled", True)),
    }


def live_body(policy: dict[str, Any], where: str) -> dict[str, Any]:
    """A live policy in the shape of `declared` (for comparison)."""
    config = dict(policy.get("approver_config") or {})
    return {
        "action_key": policy.get("action_key"),
        "conditions": policy.get("conditions") or {},
        "approver_config": {
            "users": list(config.get("users") or []),
            "roles": list(config.get("roles") or []),
            "quorum": config.get("quorum"),
            **({MARKER_KEY: config[MARKER_KEY]} if MARKER_KEY in config else {}),
        },
        "allow_self_approve": bool(policy.get("allow_self_approve")),
        "bypass_org_membership_levels": [
            str(v) for v in policy.get("bypass_org_membership_levels") or []
        ],
        "expires_after": seconds(policy.get("expires_after", DEFAULT_EXPIRY), where),
        "enabled": bool(policy.get("enabled", True)),
    }


def entry_of(policy: dict[str, Any], environment: str) -> dict[str, Any]:
    """A live policy as the workspace declares it (what `flagsync import` writes)."""
    body = live_body(policy, f"approval policy {policy.get('id')}")
    config = body["approver_config"]
    entry: dict[str, Any] = {"environment": environment, "action": body["action_key"]}
    if body["conditions"]:
        entry["conditions"] = body["conditions"]
    entry["approvers"] = config["users"]
    if config["roles"]:
        entry["approver_roles"] = config["roles"]
    entry["quorum"] = config["quorum"]
    entry["expires_after"] = duration_text(body["expires_after"])
    if body["allow_self_approve"]:
        entry["allow_self_approve"] = True
    if body["bypass_org_membership_levels"]:
        entry["bypass_org_membership_levels"] = body["bypass_org_membership_levels"]
    if not body["enabled"]:
        entry["enabled"] = False
    return entry


def _shown(body: dict[str, Any]) -> dict[str, Any]:
    """A policy body as the plan shows it: the workspace's words, without the marker."""
    config = body["approver_config"]
    return {
        "conditions": body["conditions"],
        "approvers": config["users"],
        "approver_roles": config["roles"],
        "quorum": config["quorum"],
        "expires_after": duration_text(body["expires_after"]),
        "allow_self_approve": body["allow_self_approve"],
        "bypass_org_membership_levels": body["bypass_org_membership_levels"],
        "enabled": body["enabled"],
    }


def _sent(body: dict[str, Any]) -> dict[str, Any]:
    """The body as sent: `expires_after` in Django's duration syntax (seconds)."""
    return {**body, "expires_after": str(int(body["expires_after"]))}


def plan_policies(
    entries: tuple[dict[str, Any], ...],
    project_ids: dict[str, int],
    live_policies: Callable[[int], list[dict[str, Any]] | None],
    ownership: Ownership,
    plan: Plan,
    adopt: bool,
    prune: bool,
) -> None:
    """Add the policies' changes and steps to `plan`."""
    wanted: dict[tuple[str, str], dict[str, Any]] = {}
    for index, entry in enumerate(entries):
        where = f"approval_policies[{index}]"
        env = entry["environment"]
        if env not in project_ids:
            raise WorkspaceError(f"{where}: environment '{env}' is not one of the workspace's")
        if (env, entry["action"]) in wanted:
            raise WorkspaceError(
                f"{where}: a second policy for {entry['action']} in '{env}' (PostHog keeps one "
                "per action and project)"
            )
        wanted[(env, entry["action"])] = declared(entry, ownership.marker, where)
    for env, project_id in project_ids.items():
        declared_here = {action: body for (e, action), body in wanted.items() if e == env}
        live = live_policies(project_id)
        if live is None:
            if declared_here:
                plan.blocked.extend(f"approval policy {a} [{env}]" for a in sorted(declared_here))
            continue
        by_action = {str(p.get("action_key")): p for p in live}
        base = f"/api/projects/{project_id}/approval_policies/"
        for action, body in sorted(declared_here.items()):
            label = f"approval policy {action} [{env}]"
            current = by_action.get(action)
            if current is None:
                _add(
                    plan,
                    "create",
                    action,
                    env,
                    {},
                    body,
                    ApiCall(
                        method="POST",
                        path=base,
                        body=_sent(body),
                        subject=Subject(kind="approval_policy", key=action, scope=str(project_id)),
                    ),
                )
                continue
            now = live_body(current, label)
            verdict = ownership.verdict([now["approver_config"].get(MARKER_KEY)])
            if verdict == "elsewhere":
                plan.owned_elsewhere[label] = ownership.owner(
                    [now["approver_config"].get(MARKER_KEY)]
                )
                continue
            if now == body:
                continue
            if verdict != "mine" and not adopt:
                plan.adoptable.append(label)
                plan.blocked.append(label)
                continue
            path = f"{base}{current['id']}/"
            _add(
                plan,
                "update",
                action,
                env,
                now,
                body,
                ApiCall(
                    method="PATCH",
                    path=path,
                    body=_sent(body),
                    subject=_about(action, current, project_id),
                ),
            )
        for action, policy in sorted(by_action.items()):
            if action in declared_here:
                continue
            marker = (policy.get("approver_config") or {}).get(MARKER_KEY)
            if ownership.verdict([marker]) != "mine":
                continue
            label = f"approval policy {action} [{env}]"
            if not prune:
                plan.orphans.append(label)
                continue
            path = f"{base}{policy['id']}/"
            before = live_body(policy, label)
            call = ApiCall(method="DELETE", path=path, subject=_about(action, policy, project_id))
            _add(plan, "delete", action, env, before, {}, call)


def _about(action: str, policy: dict[str, Any], project_id: int) -> Subject:
    """What a call to a live approval policy is about (its action is its key)."""
    return Subject(kind="approval_policy", key=action, id=str(policy["id"]), scope=str(project_id))


def _add(
    plan: Plan,
    action: str,
    key: str,
    env: str,
    before: dict[str, Any],
    after: dict[str, Any],
    call: ApiCall,
) -> None:
    shown_before = _shown(before) if before else {}
    shown_after = _shown(after) if after else {}
    fields = field_changes(shown_before, shown_after) if after else []
    plan.changes.append(
        Change(
            action=action,  # type: ignore[arg-type]
            resource="approval_policy",
            key=key,
            environment=env,
            fields=fields,
        )
    )
    plan.steps.append(
        Step(
            action=action,  # type: ignore[arg-type]
            resource="approval_policy",
            key=key,
            environments=[env],
            calls=[call],
        )
    )
