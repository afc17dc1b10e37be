"""The two translations between DevCycle's API objects and the canonical model.

`feature_to_flag` reads (live feature -> Flag); `flag_to_*` write (Flag -> request bodies).
Round trip is a law: `feature_to_flag(server(flag_to_create_body(f))) == f` for every flag `f`
DevCycle can express, tested with hypothesis. The server's quirks are absorbed here, once:
variations are referenced by `_id` in distributions, audiences by `_id` in audienceMatch
filters, environments by `_id` in configurations, percentages are fractions 0..1, and an
"everyone" audience is a filter of type `all`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError

from reconciler.errors import UnsupportedError
from reconciler.model import (
    EVERYONE,
    Audience,
    EnvironmentConfig,
    Filter,
    Flag,
    Rollout,
    RolloutStage,
    Target,
    format_time,
)
from reconciler.ownership import LEGACY_MARKER, is_marker

# manifest field -> DevCycle subType (type "user")
SUBTYPES = {
    "user_id": "user_id",
    "email": "email",
    "country": "country",
    "platform": "platform",
    "platform_version": "platformVersion",
    "device_model": "deviceModel",
    "app_version": "appVersion",
    "custom": "customData",
}
FIELDS = {subtype: field for field, subtype in SUBTYPES.items()}
COMPARATORS = {
    "is": "=",
    "is_not": "!=",
    "contains": "contain",
    "not_contains": "!contain",
    "starts_with": "startWith",
    "not_starts_with": "!startWith",
    "ends_with": "endWith",
    "not_ends_with": "!endWith",
    "exists": "exist",
    "not_exists": "!exist",
    "gt": ">",
    "gte": ">=",
    "lt": "<",
    "lte": "<=",
}
MANIFEST_COMPARATORS = {symbol: name for name, symbol in COMPARATORS.items()}
FRACTION_DIGITS = 6
OWNERSHIP_TAG = LEGACY_MARKER
"""The tag flagsync puts on every feature it creates or adopts (a named workspace's is
`managed-by-flagsync:<name>`, see `reconciler.ownership`): DevCycle keeps tags, shows them in
its dashboard, and returns them in every list, so ownership costs no extra request."""


def is_owned(feature: dict[str, Any], *, marker: str = OWNERSHIP_TAG) -> bool:
    return marker in (feature.get("tags") or [])


class Unsupported(UnsupportedError):
    """A live object uses something flagsync cannot represent yet: the command stops with
    this message, naming the object, rather than plan from a misreading of it."""


# ---------------------------------------------------------------------------------------------
# read: live -> model


_OFF = EnvironmentConfig()
"""An environment the feature has no configuration for."""


def feature_to_flag(
    feature: dict[str, Any],
    environment_keys: dict[str, str],
    audience_keys: dict[str, str],
    environments: list[str],
) -> Flag:
    """The model of a live feature, in the workspace's environments.

    `environment_keys` and `audience_keys` map the server's `_id`s to keys. An environment the
    feature has no configuration for reads as off with no targets, as a new one would be.

    The flag's fields are gathered as plain data and validated once: pydantic then builds the
    nested models in one pass, a third quicker than a constructor call per model (a plan
    reads 10,000 features).
    """
    key = feature["key"]
    variations = feature.get("variations") or []
    variation_keys = {v["_id"]: v["key"] for v in variations if "_id" in v}
    configs: dict[str, Any] = {}
    for config in feature.get("configurations") or []:
        env = environment_keys.get(config.get("_environment", ""), config.get("_environment", ""))
        if env in environments:
            configs[env] = _config_data(config, variation_keys, audience_keys, key, env)
    try:
        return Flag.model_validate(_flag_data(feature, key, variations, configs, environments))
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise Unsupported(
            f"feature '{key}': DevCycle's answer does not fit flagsync's model "
            f"({where}: {problem['msg']})"
        ) from None


def _flag_data(
    feature: dict[str, Any],
    key: str,
    variations: list[dict[str, Any]],
    configs: dict[str, Any],
    environments: list[str],
) -> dict[str, Any]:
    """A `Flag`'s fields from a live feature (its environments' fields gathered already)."""
    return {
        "key": key,
        "name": feature.get("name") or key,
        "description": feature.get("description") or "",
        "type": feature.get("type") or "release",
        "tags": tuple(tag for tag in feature.get("tags") or () if not is_marker(tag)),
        "variables": {
            variable["key"]: {
                "type": variable["type"],
                "name": variable.get("name") or variable["key"],
                "description": variable.get("description") or "",
            }
            for variable in feature.get("variables") or []
        },
        "variations": {
            variation["key"]: {
                "name": variation.get("name") or variation["key"],
                "values": dict(variation.get("variables") or {}),
            }
            for variation in variations
        },
        "environments": {env: configs.get(env, _OFF) for env in environments},
        # Every feature has a controlVariation; it means something only for an experiment.
        "control": (feature.get("controlVariation") or None)
        if feature.get("type") == "experiment"
        else None,
        "status": feature.get("status") or "active",
        "static_variation": feature.get("staticVariation") or None
        if feature.get("status") == "complete"
        else None,
    }


def _config_data(
    config: dict[str, Any],
    variation_keys: dict[str, str],
    audience_keys: dict[str, str],
    feature: str,
    env: str,
) -> dict[str, Any]:
    """An `EnvironmentConfig`'s fields."""
    targets = [
        _target_data(target, variation_keys, audience_keys, feature, env)
        for target in config.get("targets") or []
    ]
    return {"enabled": config.get("status") == "active", "targets": targets}


def _target_data(
    target: dict[str, Any],
    variation_keys: dict[str, str],
    audience_keys: dict[str, str],
    feature: str,
    env: str,
) -> dict[str, Any]:
    """A `Target`'s fields."""
    serve: dict[str, float] = {}
    for share in target.get("distribution") or []:
        variation = variation_keys.get(share["_variation"], share["_variation"])
        serve[variation] = serve.get(variation, 0.0) + float(share["percentage"]) * 100
    rollout = target.get("rollout")
    audience = EVERYONE
    if target.get("audience"):
        where = f"feature '{feature}', environment '{env}', target '{target.get('name', '')}'"
        audience = _audience_to_model(target["audience"], audience_keys, where)
    return {
        "name": target.get("name") or None,
        "audience": audience,
        "serve": serve,
        "rollout": _rollout_to_model(rollout) if rollout else None,
    }


def _audience_to_model(
    audience: dict[str, Any], audience_keys: dict[str, str], where: str
) -> Audience:
    return operator_to_audience(audience.get("filters") or {}, audience_keys, where)


def operator_to_audience(
    node: dict[str, Any], audience_keys: dict[str, str], where: str
) -> Audience:
    """An `{operator, filters}` node as an audience; nested operators become groups."""
    operator = node.get("operator", "and")
    filters: list[Filter] = []
    for item in node.get("filters") or []:
        kind = item.get("type")
        if kind == "all":
            if operator == "or":
                return EVERYONE  # anyone OR x == anyone
            continue  # anyone AND x == x
        filters.append(_filter_to_model(item, audience_keys, where))
    return Audience(match="any" if operator == "or" else "all", filters=tuple(filters))


def _filter_to_model(item: dict[str, Any], audience_keys: dict[str, str], where: str) -> Filter:
    if "operator" in item:
        group = operator_to_audience(item, audience_keys, where)
        return Filter.group(group.match, group.filters)
    kind = item.get("type")
    comparator = MANIFEST_COMPARATORS.get(item.get("comparator", ""))
    if kind == "audienceMatch":
        ids = item.get("_audiences") or []
        return Filter(
            field="audience",
            comparator="is_not" if item.get("comparator") == "!=" else "is",
            values=tuple(audience_keys.get(audience_id, audience_id) for audience_id in ids),
        )
    field = FIELDS.get(item.get("subType", ""))
    if kind != "user" or field is None or comparator is None:
        raise Unsupported(f"{where}: filter {item} is not supported by flagsync yet")
    return Filter(
        field=field,  # type: ignore[arg-type]
        comparator=comparator,  # type: ignore[arg-type]
        values=tuple(item.get("values") or ()),
        data_key=item.get("dataKey") if field == "custom" else None,
        data_key_type=item.get("dataKeyType") if field == "custom" else None,
    )


def _rollout_to_model(rollout: dict[str, Any]) -> Rollout:
    start_percentage = rollout.get("startPercentage")
    return Rollout(
        type=rollout["type"],
        start=_parse_time(rollout["startDate"]),
        start_percentage=None if start_percentage is None else float(start_percentage) * 100,
        stages=tuple(
            RolloutStage(
                percentage=float(stage["percentage"]) * 100,
                at=_parse_time(stage["date"]),
                transition=stage.get("type", "linear"),
            )
            for stage in rollout.get("stages") or []
        ),
    )


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# ---------------------------------------------------------------------------------------------
# write: model -> request bodies


def flag_to_create_body(
    flag: Flag, audience_ids: dict[str, str], *, marker: str = OWNERSHIP_TAG
) -> dict[str, Any]:
    """The `CreateFeatureDto` for POST /v2/projects/{project}/features: one call creates the
    feature with its variables, variations and every environment's targeting."""
    body = flag_fields_body(flag, marker=marker)
    body["key"] = flag.key
    body["variables"] = variables_body(flag, marker=marker)
    body["variations"] = variations_body(flag, {})
    body["configurations"] = {
        env: config_body(config, audience_ids, []) for env, config in flag.environments.items()
    }
    return body


def flag_fields_body(flag: Flag, *, marker: str = OWNERSHIP_TAG) -> dict[str, Any]:
    """The feature's own fields (name, description, type, tags with the ownership marker, an
    experiment's control variation)."""
    body: dict[str, Any] = {
        "name": flag.name,
        "description": flag.description,
        "type": flag.type,
        "tags": [*flag.tags, marker],
    }
    if flag.control is not None:
        body["controlVariation"] = flag.control
    return body


def variables_body(flag: Flag, *, marker: str = OWNERSHIP_TAG) -> list[dict[str, Any]]:
    """The feature's variables, each tagged as flagsync's: a variable left behind by an
    interrupted delete is then recognised as flagsync's by a later plan."""
    return [
        {
            "key": key,
            "type": v.type,
            "name": v.name,
            "description": v.description,
            "tags": [marker],
        }
        for key, v in flag.variables.items()
    ]


def variations_body(flag: Flag, live_ids: dict[str, str]) -> list[dict[str, Any]]:
    """Variations by key; a variation that exists keeps its `_id` so it is updated in place."""
    body = []
    for key, variation in flag.variations.items():
        item: dict[str, Any] = {"key": key, "name": variation.name, "variables": variation.values}
        if key in live_ids:
            item["_id"] = live_ids[key]
        body.append(item)
    return body


def config_body(
    config: EnvironmentConfig,
    audience_ids: dict[str, str],
    live_targets: list[dict[str, Any]],
) -> dict[str, Any]:
    """An `UpdateFeatureConfigDto`. A target whose name matches a live target keeps its `_id`,
    so DevCycle updates it in place (and keeps its history) rather than replacing it."""
    ids_by_name: dict[str, str] = {}
    for target in live_targets:
        name = target.get("name")
        if name and "_id" in target:
            ids_by_name.setdefault(name, target["_id"])
    targets = []
    for wanted in config.targets:
        item = target_body(wanted, audience_ids)
        if wanted.name and wanted.name in ids_by_name:
            item["_id"] = ids_by_name.pop(wanted.name)
        targets.append(item)
    return {"status": "active" if config.enabled else "inactive", "targets": targets}


def target_body(target: Target, audience_ids: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "audience": {"filters": audience_body(target.audience, audience_ids)},
        "distribution": [
            {"_variation": variation, "percentage": round(percent / 100, FRACTION_DIGITS)}
            for variation, percent in target.serve.items()
        ],
    }
    if target.name:
        body["name"] = target.name
    if target.rollout:
        body["rollout"] = rollout_body(target.rollout)
    return body


def audience_body(audience: Audience, audience_ids: dict[str, str]) -> dict[str, Any]:
    if audience.is_everyone:
        return {"operator": "and", "filters": [{"type": "all"}]}
    return {
        "operator": "or" if audience.match == "any" else "and",
        "filters": [filter_body(item, audience_ids) for item in audience.filters],
    }


def filter_body(item: Filter, audience_ids: dict[str, str]) -> dict[str, Any]:
    if item.filters is not None:
        return {
            "operator": "or" if item.field == "any" else "and",
            "filters": [filter_body(member, audience_ids) for member in item.filters],
        }
    if item.field == "audience":
        return {
            "type": "audienceMatch",
            "comparator": "!=" if item.comparator == "is_not" else "=",
            "_audiences": [audience_ids[str(key)] for key in item.values],
        }
    body: dict[str, Any] = {
        "type": "user",
        "subType": SUBTYPES[item.field],
        "comparator": COMPARATORS[item.comparator],
    }
    if item.comparator not in ("exists", "not_exists"):
        body["values"] = list(item.values)
    if item.field == "custom":
        body["dataKey"] = item.data_key
        body["dataKeyType"] = item.data_key_type
    return body


def rollout_body(rollout: Rollout) -> dict[str, Any]:
    body: dict[str, Any] = {"type": rollout.type, "startDate": format_time(rollout.start)}
    if rollout.start_percentage is not None:
        body["startPercentage"] = round(rollout.start_percentage / 100, FRACTION_DIGITS)
    if rollout.stages:
        body["stages"] = [
            {
                "percentage": round(stage.percentage / 100, FRACTION_DIGITS),
                "type": stage.transition,
                "date": format_time(stage.at),
            }
            for stage in rollout.stages
        ]
    return body
