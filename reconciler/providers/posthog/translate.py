"""The two translations between one PostHog feature flag (in one project) and the model.

A PostHog flag lives in one project, which flagsync calls an environment: `flag_to_model` reads
it into a model `Flag` with that one environment; `merge.merge_projects` joins the projects.
`flag_body` writes a model flag's environment back as a complete PostHog body.

The model keeps PostHog's release conditions in order as targets: a condition's `properties`
are the target's audience (PostHog ANDs them), `rollout_percentage` its `percentage`,
`variant` a served variation (an override), and a condition without a variant on a
multivariate flag serves the flag's variant split, which lives per project in
`multivariate.variants`. The server's additions are absorbed here: payloads stored as JSON
strings, `aggregation_group_type_index` copied into every condition, `cohort_name` and
`group_key_names` injected, `properties` defaulted to [], a null operator meaning `exact`,
tags in any order, unknown keys.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.errors import UnsupportedError
from reconciler.model import (
    Audience,
    EnvironmentConfig,
    Filter,
    Flag,
    Target,
    Variation,
)
from reconciler.ownership import LEGACY_MARKER, is_marker
from reconciler.providers.posthog.context import ProjectContext
from reconciler.providers.posthog.property_values import DATE_OPERATORS, SEMVER_OPERATORS

OWNERSHIP_TAG = LEGACY_MARKER
"""Marks the flags flagsync created or adopted (PostHog keeps tags and lists them); a named
workspace's marker is `managed-by-flagsync:<name>` (`reconciler.ownership`)."""
BOOLEAN_PAYLOAD = "true"
SETTINGS = {"ensure_experience_continuity": False, "evaluation_runtime": "all"}

# PostHog operator -> manifest comparator, for person and group properties
READ_OPERATORS = {
    "exact": "is",
    "is_not": "is_not",
    "icontains": "contains",
    "icontains_multi": "contains",
    "not_icontains": "not_contains",
    "not_icontains_multi": "not_contains",
    "regex": "matches",
    "not_regex": "not_matches",
    "gt": "gt",
    "gte": "gte",
    "lt": "lt",
    "lte": "lte",
    "min": "gte",
    "max": "lte",
    "is_set": "exists",
    "is_not_set": "not_exists",
    **{name: name for name in SEMVER_OPERATORS},
    **{posthog: manifest for manifest, posthog in DATE_OPERATORS.items()},
}
# manifest comparator -> PostHog operator, by the shape of value PostHog wants
SINGLE_VALUE = {
    "matches": "regex",
    "not_matches": "not_regex",
    "gt": "gt",
    "gte": "gte",
    "lt": "lt",
    "lte": "lte",
    **{name: name for name in SEMVER_OPERATORS},
    **DATE_OPERATORS,
}
LIST_VALUE = {"is": "exact", "is_not": "is_not"}
CONTAINS = {  # one value: the plain operator; several: PostHog's *_multi (any of them)
    "contains": ("icontains", "icontains_multi"),
    "not_contains": ("not_icontains", "not_icontains_multi"),
}


class Unsupported(UnsupportedError):
    """A live flag uses something flagsync cannot represent yet (a semver or date operator, a
    negated property); the plan stops rather than overwrite what it cannot read."""


def is_owned(raw: dict[str, Any], *, marker: str = OWNERSHIP_TAG) -> bool:
    return marker in (raw.get("tags") or [])


# ---------------------------------------------------------------------------------------------
# read: one project's flag -> model


def flag_to_model(raw: dict[str, Any], ctx: ProjectContext) -> Flag:
    """The model of a live flag in one project: flag-level fields and that one environment."""
    key = str(raw["key"])
    filters = raw.get("filters") or {}
    variants = (filters.get("multivariate") or {}).get("variants") or []
    payloads = {str(k): decode_payload(v) for k, v in (filters.get("payloads") or {}).items()}
    split = {str(v["key"]): float(v.get("rollout_percentage") or 0) for v in variants}
    where = f"flag '{key}' in PostHog project {ctx.project_id}"
    targets = tuple(
        _target(group, split, ctx, f"{where}, condition {index + 1}")
        for index, group in enumerate(filters.get("groups") or [])
    )
    return Flag(
        key=key,
        name=key,
        description=str(raw.get("name") or ""),
        tags=tuple(
            str(tag) for tag in raw.get("tags") or () if not is_marker(str(tag)) and str(tag)
        ),
        variations={
            str(v["key"]): Variation(
                name=str(v.get("name") or v["key"]), payload=payloads.get(str(v["key"]))
            )
            for v in variants
        },
        environments={
            ctx.environment: EnvironmentConfig(enabled=bool(raw.get("active")), targets=targets)
        },
        payload=None if variants else payloads.get(BOOLEAN_PAYLOAD),
        settings={
            "ensure_experience_continuity": bool(raw.get("ensure_experience_continuity")),
            "evaluation_runtime": raw.get("evaluation_runtime") or SETTINGS["evaluation_runtime"],
            "early_exit": bool(filters.get("early_exit")),
        },
        status="archived" if raw.get("archived") else "active",
    )


def _scalar(value: Any) -> str | bool | int | float:
    return value if isinstance(value, str | bool | int | float) else str(value)


def decode_payload(value: Any) -> Any:
    """PostHog stores payloads as JSON-encoded strings; compare the decoded value."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _target(
    group: dict[str, Any], split: dict[str, float], ctx: ProjectContext, where: str
) -> Target:
    variant = group.get("variant")
    percentage = group.get("rollout_percentage")
    return Target(
        name=str(group.get("description") or "") or None,
        audience=Audience(
            filters=tuple(_filter(prop, ctx, where) for prop in group.get("properties") or [])
        ),
        serve={str(variant): 100.0} if variant else dict(split),
        percentage=None if percentage is None else float(percentage),
    )


def _filter(prop: dict[str, Any], ctx: ProjectContext, where: str) -> Filter:
    kind = prop.get("type")
    operator = prop.get("operator") or "exact"
    if prop.get("negation"):
        raise Unsupported(f"{where}: negated property '{prop.get('key')}' is not supported yet")
    if kind == "cohort":
        return Filter(
            field="cohort",
            comparator="is_not" if operator == "not_in" else "is",
            values=(ctx.cohort_name(prop.get("value")),),
        )
    if kind == "flag":
        return Filter(
            field="flag",
            comparator="is",
            values=(_scalar(prop.get("value")),),
            data_key=ctx.flag_key(prop.get("key")),
        )
    comparator = READ_OPERATORS.get(operator)
    if kind not in ("person", "group") or comparator is None:
        raise Unsupported(
            f"{where}: {kind} property '{prop.get('key')}' with operator '{operator}' is not "
            "supported by flagsync yet"
        )
    value = prop.get("value")
    values: tuple[Any, ...] = tuple(value) if isinstance(value, list) else (value,)
    if comparator in ("exists", "not_exists"):
        values = ()
    elif comparator in ("gt", "gte", "lt", "lte", *SEMVER_OPERATORS, *DATE_OPERATORS):
        values = tuple(str(item) for item in values)
    return Filter.model_validate(
        {
            "field": kind,
            "comparator": comparator,
            "values": values,
            "data_key": str(prop.get("key")),
            "group_type": (
                ctx.group_type_name(prop.get("group_type_index")) if kind == "group" else None
            ),
        }
    )


# ---------------------------------------------------------------------------------------------
# write: model -> request bodies


MANAGED_FILTER_KEYS = frozenset(
    {"groups", "multivariate", "payloads", "aggregation_group_type_index", "early_exit", "holdout"}
)
"""The `filters` keys flagsync writes (`holdout` through the experiment that owns the flag)."""


def unmanaged_filter_keys(raw: dict[str, Any]) -> list[str]:
    """Keys of a live flag's filters flagsync does not write; PostHog keeps them on every update
    (it merges the sent filters into the stored ones), so a plan names them."""
    return sorted(set(raw.get("filters") or {}) - MANAGED_FILTER_KEYS)


def flag_body(
    flag: Flag, env: str, ctx: ProjectContext, *, marker: str = OWNERSHIP_TAG
) -> dict[str, Any]:
    """Everything flagsync manages about a flag in one project: the complete `filters` (PostHog
    versions differ in whether PATCH merges or replaces them; complete filters mean the same to
    both), the description, `active`, tags with the ownership marker, and the settings."""
    config = flag.environments[env]
    body = {
        "name": flag.description,
        "filters": filters_body(flag, config, ctx),
        "active": config.enabled,
        "tags": sorted({*flag.tags, marker}),
        **{name: flag.settings.get(name, default) for name, default in SETTINGS.items()},
    }
    if flag.status == "archived":
        # Sent with `active: false` in the same request, as PostHog requires.
        body.update(archived=True, active=False)
    return body


def shared_body(flag: Flag, *, marker: str = OWNERSHIP_TAG) -> dict[str, Any]:
    """The fields of `flag_body` that are the same in every project (all but `filters` and
    `active`): a comparison of a flag's copies builds them once, not once per project."""
    body = {
        "name": flag.description,
        "tags": sorted({*flag.tags, marker}),
        **{name: flag.settings.get(name, default) for name, default in SETTINGS.items()},
    }
    if flag.status == "archived":
        body["archived"] = True
    return body


def create_body(
    flag: Flag, env: str, ctx: ProjectContext, *, marker: str = OWNERSHIP_TAG
) -> dict[str, Any]:
    """POST /api/projects/{pid}/feature_flags/; no usage dashboard (flagsync manages flags,
    not dashboards, and the default would create one per flag and project)."""
    body = flag_body(flag, env, ctx, marker=marker)
    return {"key": flag.key, **body, "_should_create_usage_dashboard": False}


def filters_body(flag: Flag, config: EnvironmentConfig, ctx: ProjectContext) -> dict[str, Any]:
    groups = [_group_body(flag, target, ctx) for target in config.targets]
    levels = {group["aggregation_group_type_index"] for group in groups}
    body: dict[str, Any] = {
        "groups": groups,
        "multivariate": None,
        "payloads": payloads_body(flag),
        "aggregation_group_type_index": levels.pop() if len(levels) == 1 else None,
        # Sent always: PostHog merges filters into the stored ones, so leaving it out would
        # keep an `early_exit` someone set in the UI (first match instead of any match).
        "early_exit": bool(flag.settings.get("early_exit", False)),
    }
    if flag.variations:
        split = variant_split(flag, config)
        body["multivariate"] = {
            "variants": [
                {"key": key, "name": variation.name, "rollout_percentage": _number(split[key])}
                for key, variation in flag.variations.items()
            ]
        }
    return body


def payloads_body(flag: Flag) -> dict[str, str]:
    """Payloads JSON-encoded, as PostHog stores them (so the echo is byte-identical)."""
    if flag.variations:
        return {
            key: json.dumps(variation.payload)
            for key, variation in flag.variations.items()
            if variation.payload is not None
        }
    return {} if flag.payload is None else {BOOLEAN_PAYLOAD: json.dumps(flag.payload)}


def variant_split(flag: Flag, config: EnvironmentConfig) -> dict[str, float]:
    """The flag's variant split in this project: the split its targets serve (validation makes
    them agree), or an even split when every target serves a single variation (the split is
    then never used, but PostHog wants variants adding up to 100)."""
    for target in config.targets:
        if len(target.serve) > 1:
            return {key: target.serve.get(key, 0.0) for key in flag.variations}
    keys = list(flag.variations)
    share, extra = divmod(100, len(keys))
    return {key: float(share + (1 if index < extra else 0)) for index, key in enumerate(keys)}


def _group_body(flag: Flag, target: Target, ctx: ProjectContext) -> dict[str, Any]:
    properties = [_property_body(flag.key, item, ctx) for item in target.audience.filters]
    group_indexes = [p["group_type_index"] for p in properties if p["type"] == "group"]
    group: dict[str, Any] = {
        "properties": properties,
        "rollout_percentage": _number(100.0 if target.percentage is None else target.percentage),
        "variant": next(iter(target.serve)) if flag.variations and len(target.serve) == 1 else None,
        "aggregation_group_type_index": group_indexes[0] if group_indexes else None,
    }
    if target.name:
        group["description"] = target.name
    return group


def _property_body(flag: str, item: Filter, ctx: ProjectContext) -> dict[str, Any]:
    values = list(item.values)
    if item.field == "cohort":
        return {
            "key": "id",
            "type": "cohort",
            "value": ctx.cohort_id(str(values[0]), flag),
            "operator": "not_in" if item.comparator == "is_not" else "in",
        }
    if item.field == "flag":
        return {
            "key": ctx.flag_reference(str(item.data_key)),
            "type": "flag",
            "operator": "flag_evaluates_to",
            "value": values[0],
        }
    if item.field not in ("person", "group"):
        raise UnsupportedError(f"flag '{flag}': '{item.field}' filters are not PostHog's")
    body: dict[str, Any] = {"key": item.data_key, "type": item.field}
    comparator = item.comparator
    if comparator in LIST_VALUE:
        body.update(operator=LIST_VALUE[comparator], value=values)
    elif comparator in CONTAINS:
        one, many = CONTAINS[comparator]
        if len(values) == 1:
            body.update(operator=one, value=str(values[0]))
        else:
            body.update(operator=many, value=[str(v) for v in values])
    elif comparator in SINGLE_VALUE:
        body.update(operator=SINGLE_VALUE[comparator], value=str(values[0]))
    elif comparator == "exists":
        body.update(operator="is_set", value="is_set")
    elif comparator == "not_exists":
        body.update(operator="is_not_set", value="is_not_set")
    else:
        raise UnsupportedError(f"flag '{flag}': PostHog cannot compare with '{comparator}'")
    if item.field == "group":
        body["group_type_index"] = ctx.group_type_index(str(item.group_type), flag)
    return body


def _number(value: float) -> int | float:
    """Whole percentages as integers: PostHog sums variant percentages exactly."""
    return int(value) if float(value).is_integer() else float(value)
