"""The model -> manifest data: the inverse of `build`, for `flagsync import`.

It writes what a person would: defaults are left out (a name equal to the key, a release type,
an environment that is off with no targets where the vendor configures every environment), a
variation served to everyone is just its key, whole-number percentages are written as such.
The law, tested with hypothesis, is `build_flag(flag_data(flag)) == flag` for every flag the
model can hold.
"""

from __future__ import annotations

from typing import Any

from reconciler.manifest.build import per_project, settings_section
from reconciler.model import (
    Audience,
    CustomProperty,
    EnvironmentConfig,
    Filter,
    Flag,
    Metric,
    ReusableAudience,
    Rollout,
    Target,
    format_time,
)

FULL = 100.0


def flag_data(flag: Flag, provider: str | None = None) -> dict[str, Any]:
    """A flag as manifest data (plain dicts and lists, in the manifest's field order), for the
    workspace's vendor (`provider`, as `build_flag` takes it)."""
    section = settings_section(provider)
    data: dict[str, Any] = {"key": flag.key}
    if flag.name != flag.key:
        data["name"] = flag.name
    if flag.description:
        data["description"] = flag.description
    if flag.type != "release":
        data["type"] = flag.type
    if flag.tags:
        data["tags"] = list(flag.tags)
    if flag.variables:
        data["variables"] = {
            key: _compact(
                {
                    "type": variable.type,
                    "name": variable.name if variable.name != key else None,
                    "description": variable.description or None,
                }
            )
            for key, variable in flag.variables.items()
        }
    if flag.variations:
        data["variations"] = [
            _compact(
                {
                    "key": key,
                    "name": variation.name if variation.name != key else None,
                    "values": dict(variation.values) or None,
                    "payload": variation.payload,
                }
            )
            for key, variation in flag.variations.items()
        ]
    if flag.payload is not None:
        data["payload"] = flag.payload
    if flag.settings and section:
        data[section] = dict(flag.settings)
    if flag.control is not None:
        data["control"] = flag.control
    if flag.metrics:
        data["metrics"] = list(flag.metrics)
    if flag.status != "active":
        data["status"] = flag.status
    if flag.static_variation is not None:
        data["static_variation"] = flag.static_variation
    environments = {
        env: _environment(config)
        for env, config in flag.environments.items()
        if per_project(provider) or config != EnvironmentConfig()
    }
    if environments:
        data["environments"] = environments
    return data


def metric_data(metric: Metric) -> dict[str, Any]:
    """A DevCycle metric as manifest data (the inverse of `build_metric`)."""
    return _compact(
        {
            "key": metric.key,
            "name": metric.name if metric.name != metric.key else None,
            "description": metric.description or None,
            "event": metric.event,
            "dimension": metric.dimension,
            "optimize": metric.optimize,
        }
    )


def _environment(config: EnvironmentConfig) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if config.enabled:
        data["enabled"] = True
    if config.targets:
        data["targets"] = [_target(target) for target in config.targets]
    return data


def _target(target: Target) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if target.name is not None:
        data["name"] = target.name
    if not target.audience.is_everyone:
        data["audience"] = _audience(target.audience)
    if len(target.serve) == 1 and next(iter(target.serve.values())) == FULL:
        data["serve"] = next(iter(target.serve))
    elif target.serve:
        data["serve"] = {key: _number(percent) for key, percent in target.serve.items()}
    if target.percentage is not None:
        data["percentage"] = _number(target.percentage)
    if target.rollout is not None:
        data["rollout"] = _rollout(target.rollout)
    return data


def _audience(audience: Audience) -> dict[str, Any]:
    return {audience.match: [_filter(item) for item in audience.filters]}


def _filter(item: Filter) -> dict[str, Any]:
    if item.filters is not None:
        return {item.field: [_filter(member) for member in item.filters]}
    values = list(item.values)
    one = values[0] if len(values) == 1 else values
    if item.field in ("audience", "cohort") and item.comparator == "is" and len(values) == 1:
        return {item.field: values[0]}
    if item.field == "cohort":
        return {"cohort": {item.comparator: one}}
    if item.field == "flag":
        return {"flag": {"key": item.data_key, "is": values[0]}}
    condition: dict[str, Any] = {}
    if item.field in ("person", "group", "custom"):
        condition["key"] = item.data_key
    if item.field == "group":
        condition["type"] = item.group_type
    if item.field == "custom":
        condition["type"] = item.data_key_type
    if item.comparator in ("exists", "not_exists"):
        condition["exists"] = item.comparator == "exists"
    else:
        condition[item.comparator] = one
    return {item.field: condition}


def custom_property_data(prop: CustomProperty) -> dict[str, Any]:
    """A custom property as manifest data (name and property_key only when not the key)."""
    return _compact(
        {
            "key": prop.key,
            "name": prop.name if prop.name != prop.key else None,
            "property_key": prop.property_key if prop.property_key != prop.key else None,
            "type": prop.type,
        }
    )


def audience_data(audience: ReusableAudience) -> dict[str, Any]:
    """A reusable audience as manifest data."""
    return _compact(
        {
            "key": audience.key,
            "name": audience.name if audience.name != audience.key else None,
            "description": audience.description or None,
            "filters": _audience(audience.audience) if audience.audience.filters else "everyone",
        }
    )


def _rollout(rollout: Rollout) -> dict[str, Any]:
    data: dict[str, Any] = {"type": rollout.type, "start": format_time(rollout.start)}
    if rollout.start_percentage is not None:
        data["start_percentage"] = _number(rollout.start_percentage)
    if rollout.stages:
        data["stages"] = [
            _compact(
                {
                    "percentage": _number(stage.percentage),
                    "at": format_time(stage.at),
                    "transition": stage.transition if stage.transition != "linear" else None,
                }
            )
            for stage in rollout.stages
        ]
    return data


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value is not None}
