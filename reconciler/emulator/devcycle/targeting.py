"""Per-environment targeting: turning `UpdateFeatureConfigDto`s into stored configurations.

A request names variations and audiences by key or id; the vendor's data model references them
by id, so this module resolves every reference to an `_id` before storing (a distribution's
`_variation`, an `audienceMatch` filter's `_audiences`), assigns an `_id` to each new target, and
keeps the `_id` a caller sent. It also holds the checks on targeting that the schema cannot
express, so the feature routes and the configuration route apply the same rules.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Iterator
from typing import Any

from .store import DevCycleStore, Doc

PERCENT_TOLERANCE = 1e-9
NO_VALUES_COMPARATORS = ("exist", "!exist")


def default_config(created_at: str, actor: str) -> Doc:
    """An environment's configuration before anyone targets it: off, no targets."""
    return {"status": "inactive", "targets": [], "updatedAt": created_at, "_createdBy": actor}


def apply_config(
    store: DevCycleStore,
    project_id: str,
    existing: Doc | None,
    dto: dict[str, Any],
    variations: list[Doc],
    *,
    now: str,
    actor: str,
) -> Doc:
    """The configuration after applying a DTO: only the parts it names change."""
    config = copy.deepcopy(existing) if existing else default_config(now, actor)
    if "targets" in dto:
        config["targets"] = [
            _target(store, project_id, target, variations) for target in dto["targets"]
        ]
    if "status" in dto:
        config["status"] = dto["status"]
    if config["status"] == "active" and "startedAt" not in config:
        config["startedAt"] = now
    config["updatedAt"] = now
    return config


def _target(
    store: DevCycleStore, project_id: str, dto: dict[str, Any], variations: list[Doc]
) -> Doc:
    target: Doc = {"_id": dto.get("_id") or store.new_id()}
    if "name" in dto:
        target["name"] = dto["name"]
    audience = copy.deepcopy(dto["audience"])
    audience["filters"] = _operator(store, project_id, audience["filters"])
    target["audience"] = audience
    # `rollout: null` clears the rollout (the vendor's CLI sends it that way).
    if dto.get("rollout") is not None:
        target["rollout"] = copy.deepcopy(dto["rollout"])
    target["distribution"] = [
        {"_variation": variation_id(variations, d["_variation"]), "percentage": d["percentage"]}
        for d in dto["distribution"]
    ]
    return target


def variation_id(variations: list[Doc], ref: str) -> str:
    """The `_id` of the variation named by id or key; an unknown name is kept (refused later)."""
    for variation in variations:
        if variation["_id"] == ref:
            return ref
    for variation in variations:
        if variation["key"] == ref:
            return str(variation["_id"])
    return ref


def _operator(store: DevCycleStore, project_id: str, node: dict[str, Any]) -> dict[str, Any]:
    """An operator node with every filter resolved, nested operators included."""
    node = copy.deepcopy(node)
    node["filters"] = [_filter(store, project_id, item) for item in node.get("filters", [])]
    return node


def _filter(store: DevCycleStore, project_id: str, item: dict[str, Any]) -> dict[str, Any]:
    """Store audience references by id, accepting keys on write like every other reference."""
    # Vendor behaviour unknown: whether keys are accepted in `_audiences` (the vendor stores
    # and returns ids), and that an unknown audience is a 404.
    if "operator" in item:
        return _operator(store, project_id, item)
    item = copy.deepcopy(item)
    if item.get("type") == "audienceMatch" and "_audiences" in item:
        item["_audiences"] = [
            store.get("audiences", project_id, ref)["_id"] for ref in item["_audiences"]
        ]
    return item


def leaf_filters(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every filter of an operator node, the filters of nested operators included."""
    for item in node.get("filters", []):
        if "operator" in item:
            yield from leaf_filters(item)
        else:
            yield item


def filter_problems(filters: Iterable[dict[str, Any]], path: str) -> list[str]:
    """Rules on audience filters the schema cannot say: `values` unless comparing existence."""
    problems = []
    for index, item in enumerate(filters):
        if "operator" in item:
            problems += filter_problems(item.get("filters", []), f"{path}.{index}.filters")
            continue
        if item.get("type") != "user":
            continue
        if item.get("comparator") not in NO_VALUES_COMPARATORS and "values" not in item:
            problems.append(f"{path}.{index}.values should not be empty")
    return problems


def config_problems(
    config: Doc, variations: list[Doc], path: str, environment_key: str
) -> list[str]:
    """Everything wrong with one stored configuration, as 400 messages."""
    problems: list[str] = []
    ids = {variation["_id"] for variation in variations}
    for t_index, target in enumerate(config["targets"]):
        t_path = f"{path}.targets.{t_index}"
        filters = target["audience"]["filters"]["filters"]
        problems += filter_problems(filters, f"{t_path}.audience.filters.filters")
        total = 0.0
        for d_index, share in enumerate(target["distribution"]):
            total += share["percentage"]
            if share["_variation"] not in ids:
                problems.append(
                    f"{t_path}.distribution.{d_index}._variation '{share['_variation']}' is not "
                    "the key or _id of a variation of this feature"
                )
        # Vendor behaviour unknown: that a target's shares (fractions) must add up to 1.
        if not math.isclose(total, 1.0, abs_tol=PERCENT_TOLERANCE):
            problems.append(
                f"{t_path}.distribution percentages must add up to 1 (they add up to {total:g})"
            )
    # The vendor refuses to enable an environment without targets (its CLI works around it);
    # Vendor behaviour unknown: the status code, 400 here.
    if config["status"] == "active" and not config["targets"]:
        problems.append(
            f"{path}.status cannot be active in environment '{environment_key}' without targets"
        )
    return problems


def render_config(feature: Doc, env: Doc, config: Doc | None, shared: bool = False) -> Doc:
    """A stored configuration as a `FeatureConfig` (ids, not keys; server-owned flags); with
    `shared` its targets are the stored ones, not a copy (see `render_feature`)."""
    config = config or default_config(env["createdAt"], feature["_createdBy"])
    rendered: Doc = {
        "_feature": feature["_id"],
        "_environment": env["_id"],
        "_createdBy": config.get("_createdBy", feature["_createdBy"]),
        "status": config["status"],
    }
    if "startedAt" in config:
        rendered["startedAt"] = config["startedAt"]
    rendered.update(
        {
            "updatedAt": config["updatedAt"],
            "targets": config["targets"] if shared else copy.deepcopy(config["targets"]),
            "readonly": False,
            "hasStaticConfig": feature["status"] == "complete",
        }
    )
    return rendered


def audience_users(store: DevCycleStore, audience_id: str) -> list[Doc]:
    """Features whose targets match the audience (an `audienceMatch` filter naming it)."""
    return [
        feature
        for feature in store.features.values()
        if any(
            audience_id in item.get("_audiences", [])
            for config in feature["configurations"].values()
            for target in config["targets"]
            for item in leaf_filters(target["audience"]["filters"])
            if item.get("type") == "audienceMatch"
        )
    ]
