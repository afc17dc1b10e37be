"""Short, readable forms of model values for plans: `classic 90% / redesign 10%`, not JSON.

A value's form depends on the field it sits in, so each function takes the field path.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.plan import Change, Plan
from reconciler.render.words import counted

_SYMBOLS = {
    "is": "is",
    "is_not": "is not",
    "contains": "contains",
    "not_contains": "does not contain",
    "starts_with": "starts with",
    "not_starts_with": "does not start with",
    "ends_with": "ends with",
    "not_ends_with": "does not end with",
    "exists": "is set",
    "not_exists": "is not set",
    "gt": ">",
    "gte": ">=",
    "lt": "<",
    "lte": "<=",
    "matches": "matches",
    "not_matches": "does not match",
}
ABSENT = "(none)"


def show(parts: list[str | int], value: Any) -> str:
    """`value` of the field at path `parts`, as a reviewer reads it."""
    if value is None:
        return ABSENT
    leaf = parts[-1] if parts else ""
    head = parts[0] if parts else ""
    if len(parts) == 2 and head == "variables":
        return show_variable(str(leaf), value)
    if len(parts) == 2 and head == "variations":
        return show_variation(str(leaf), value)
    if len(parts) == 2 and head == "targets":
        return show_target(value)
    if leaf == "serve":
        return show_split(value)
    if leaf == "audience":
        return show_audience(value)
    if leaf == "rollout":
        return show_rollout(value)
    if leaf == "percentage" and isinstance(value, int | float):
        return f"{value:g}%"
    if leaf == "enabled":
        return "on" if value else "off"
    if leaf == "managed":
        if isinstance(value, str):  # an ownership marker (a legacy one taken over)
            return value
        return "yes (adopted by flagsync)" if value else "no"
    if leaf == "targets":
        return "; ".join(show_target(t) for t in value) or "no targets"
    if parts == ["variants"] and isinstance(value, dict):
        return show_experiment_variants(value)
    if parts == ["status"] and isinstance(value, str):
        return value
    return _plain(value)


def show_experiment_variants(variants: dict[str, Any]) -> str:
    """`control 50% / compact 50% payload={"columns": 2}`: an experiment's arms, control first."""
    ordered = sorted(variants.items(), key=lambda item: (item[0] != "control", item[0]))
    parts = []
    for key, variant in ordered:
        text = f"{key} {variant.get('split', 0):g}%"
        if variant.get("payload") is not None:
            text += f" payload={_plain(variant['payload'])}"
        parts.append(text)
    return " / ".join(parts)


def show_variable(key: str, variable: dict[str, Any]) -> str:
    """`String "Which checkout to render"` (the name only when it is not the key)."""
    text = str(variable.get("type", ""))
    if variable.get("name") not in (None, key):
        text += f" named {_plain(variable['name'])}"
    if variable.get("description"):
        text += f": {_plain(variable['description'])}"
    return text


def show_variation(key: str, variation: dict[str, Any]) -> str:
    """`"Classic" checkout-version="v1"` (the name only when it is not the key), or
    `"Blue" payload={"hex": "#00f"}` for a PostHog variant."""
    name = variation.get("name")
    values = " ".join(f"{k}={_plain(v)}" for k, v in (variation.get("values") or {}).items())
    label = _plain(name) if name not in (None, key) else ""
    payload = variation.get("payload")
    shown = f"payload={_plain(payload)}" if payload is not None else ""
    return " ".join(part for part in (label, values, shown) if part) or "(no values)"


def in_order(parts: list[str | int], before: Any, after: Any) -> Any:
    """`before` with its split in `after`'s order: a split that changes reads in the
    manifest's order on both sides of the arrow, whatever the vendor's order."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return before
    if parts and parts[-1] == "serve":
        return {**{key: before[key] for key in after if key in before}, **before}
    if isinstance(before.get("serve"), dict) and isinstance(after.get("serve"), dict):
        return {**before, "serve": in_order(["serve"], before["serve"], after["serve"])}
    return before


def show_split(split: dict[str, float]) -> str:
    if not split:
        return "true"  # a flag without variations: matched users get `true`
    if len(split) == 1:
        ((variation, _),) = split.items()
        return variation
    return " / ".join(f"{variation} {percent:g}%" for variation, percent in split.items())


def show_audience(audience: dict[str, Any]) -> str:
    filters = audience.get("filters") or []
    if not filters:
        return "everyone"
    joiner = " and " if audience.get("match", "all") == "all" else " or "
    return joiner.join(_show_filter(item) for item in filters)


def _show_filter(item: dict[str, Any]) -> str:
    field = item["field"]
    if item.get("filters") is not None:
        return f"({show_audience({'match': field, 'filters': item['filters']})})"
    if field == "custom":
        field = f"custom.{item.get('data_key')}"
    if field == "person":
        field = str(item.get("data_key"))
    if field == "group":
        field = f"{item.get('group_type')}.{item.get('data_key')}"
    if field == "flag":
        field = f"flag {item.get('data_key')}"
    text = f"{field} {_SYMBOLS.get(item['comparator'], item['comparator'])}"
    values = item.get("values") or []
    if values:
        text += " " + ", ".join(_plain(value) for value in values)
    return text


def show_rollout(rollout: dict[str, Any]) -> str:
    text = f"{rollout['type']} from {rollout['start']}"
    if rollout.get("start_percentage") is not None:
        text += f" at {rollout['start_percentage']:g}%"
    for stage in rollout.get("stages") or []:
        text += f", {stage['percentage']:g}% by {stage['at']}"
        if stage.get("transition") == "discrete":
            text += " (step)"
    return text


def show_target(target: dict[str, Any]) -> str:
    name = target.get("name")
    text = f"{name}: " if name else ""
    text += f"{show_audience(target.get('audience') or {})} -> {show_split(target['serve'])}"
    if target.get("percentage") is not None:
        text += f" for {target['percentage']:g}% of them"
    if target.get("rollout"):
        text += f" ({show_rollout(target['rollout'])})"
    return text


def _plain(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    return json.dumps(value, sort_keys=True, separators=(", ", ": "))


_KINDS = {
    "experiment": "experiment",
    "holdout": "holdout",
    "audience": "audience",
    "custom_property": "custom property",
    "metric": "metric",
    "variable": "variable",
    "approval_policy": "approval policy",
}


def grouped(plan: Plan) -> list[tuple[str, list[Change]]]:
    """The plan's changes grouped by flag (and experiment), in plan order."""
    groups: dict[str, list[Change]] = {}
    for change in plan.changes:
        label = (
            change.key if change.resource == "flag" else f"{_KINDS[change.resource]} {change.key}"
        )
        groups.setdefault(label, []).append(change)
    return list(groups.items())


def group_action(changes: list[Change]) -> str:
    """The heading's action: the flag-level change's, or for an experiment (changed per
    project only) `create` when it is new everywhere it changes."""
    flag_change = next((c for c in changes if c.environment is None), None)
    if flag_change is not None:
        return flag_change.action
    if changes and all(c.resource != "flag" and c.action == "create" for c in changes):
        return "create"
    if changes and all(c.resource != "flag" and c.action == "delete" for c in changes):
        return "delete"
    return "update"


def summary(plan: Plan) -> str:
    counts = plan.counts()
    if not plan.has_changes:
        waiting = sum(1 for change in plan.changes if change.pending_request)
        if waiting:
            return f"No changes to apply: {waiting} awaiting a pending change request."
        if plan.blocked:
            return (
                f"Nothing this plan may apply, but the live state differs from the manifests: "
                f"{_count(plan.blocked)} ({_listing(plan.blocked)}), see below."
            )
        return "No changes. The live state matches the manifests."
    text = (
        f"Plan: {counts['create']} to create, {counts['update']} to update, "
        f"{counts['delete']} to delete"
    )
    requests = counts["change_request"]
    if requests:
        text += f", {requests} change request{'s' if requests != 1 else ''}"
    return text + "."


def change_suffix(change: Change, plan: Plan) -> str:
    """How a change travels, for its heading: `(change request to alice)` and the like."""
    if change.pending_request:
        return f"(awaiting change request {change.pending_request})"
    if change.via == "change-request":
        reviewers = next(
            (s.reviewers for s in plan.steps if s.key == change.key and s.via == "change-request"),
            [],
        )
        return f"(change request to {', '.join(reviewers)})" if reviewers else "(change request)"
    return ""


def pending_lines(plan: Plan) -> list[str]:
    """One line per open change request the plan found."""
    meaning = {
        "matches": "already carries this change; nothing to do until it is reviewed",
        "stale": "opened by flagsync for a change the manifests no longer want; "
        "--cancel-stale cancels it",
        "foreign": "not opened by flagsync; the flag is locked until it is approved, rejected "
        "or cancelled",
    }
    lines = []
    for request in plan.pending_requests:
        text = meaning.get(request.state) or f"closed without being applied: {request.reason}"
        if request.cancelled:
            text = "stale; will be cancelled"
        lines.append(f"{request.key}: change request {request.id} ({request.status}) {text}")
    return lines


def notes(plan: Plan) -> list[str]:
    """What the plan deliberately leaves alone, and how to change that; the provider's notices."""
    found = [f"Warning: {warning}" for warning in plan.warnings]
    found += list(plan.notices)
    if plan.owned_elsewhere:
        owners = [f"{key} (workspace '{name}')" for key, name in plan.owned_elsewhere.items()]
        found.append(
            f"{_count(list(plan.owned_elsewhere))} in the manifests "
            f"{_verb(owners, 'belongs', 'belong')} to another workspace and "
            f"{_verb(owners, 'is', 'are')} never touched from this one: {_listing(owners)}"
        )
    if plan.adoptable:
        found.append(
            f"{_count(plan.adoptable)} in the manifests already "
            f"{_verb(plan.adoptable, 'exists but was', 'exist but were')} not created by "
            f"flagsync; run with --adopt to take {_verb(plan.adoptable, 'it', 'them')} over: "
            f"{_listing(plan.adoptable)}"
        )
    if plan.orphans:
        found.append(
            f"{_count(plan.orphans)} created by flagsync {_verb(plan.orphans, 'is', 'are')} gone "
            f"from the manifests; run with --prune to delete "
            f"{_verb(plan.orphans, 'it', 'them')}: {_listing(plan.orphans)}"
        )
    if plan.legacy:
        found.append(
            f"{_count(plan.legacy)} {_verb(plan.legacy, 'carries', 'carry')} the marker of an "
            "unnamed workspace "
            f"(`managed-by-flagsync`), left alone; declare them here to take them over: "
            f"{_listing(plan.legacy)}"
        )
    if plan.unmanaged:
        found.append(
            f"{_count(plan.unmanaged)} in the project not in the manifests, left alone: "
            f"{_listing(plan.unmanaged)}"
        )
    return found


def _count(keys: list[str]) -> str:
    """`2 flags`, or `2 flags, 1 audience` when other objects are listed (their entries read
    `audience <key>`, `custom property <key>`, `metric <key>`, `<key> (experiment) [env]`,
    `<name> (holdout) [env]`)."""
    counts: dict[str, int] = {}
    for key in keys:
        kind = _kind(key)
        counts[kind] = counts.get(kind, 0) + 1
    return ", ".join(counted(count, kind) for kind, count in counts.items())


def _verb(keys: list[str], singular: str, plural: str) -> str:
    return singular if len(keys) == 1 else plural


def _kind(entry: str) -> str:
    for kind in _LISTED_KINDS:
        if entry.startswith(f"{kind} ") or f" ({kind})" in entry:
            return kind
    return "flag"


_LISTED_KINDS = (
    "audience",
    "custom property",
    "metric",
    "experiment",
    "holdout",
    "approval policy",
)


def _listing(keys: list[str], limit: int = 10) -> str:
    return ", ".join(keys[:limit]) + (
        f", ... ({len(keys) - limit} more)" if len(keys) > limit else ""
    )
