"""Plain manifest data (already validated) -> the canonical model.

Defaults are made explicit here, once: a name defaults to the key, a single served variation is a
100 % split, an environment the flag leaves out is off with no targets. Providers translate live
objects with the same defaults, so an omitted field never shows up as a difference.
"""

from __future__ import annotations

from functools import cache
from typing import Any, cast

from reconciler.manifest.rules import custom_type, parse_time
from reconciler.model import (
    EVERYONE,
    Audience,
    EnvironmentConfig,
    Filter,
    Flag,
    Rollout,
    RolloutStage,
)
from reconciler.providers.registry import provider_class

_SHORTHAND_ALL = "everyone"


@cache
def per_project(provider: str | None) -> bool:
    """Whether the vendor's environments are projects (its provider declares
    `ENVIRONMENTS_ARE_PROJECTS`): a flag is then in the projects its manifest names only."""
    return provider is not None and provider_class(provider).ENVIRONMENTS_ARE_PROJECTS


@cache
def settings_section(provider: str | None) -> str | None:
    """The flag field holding the vendor's own settings, as its manifest rules declare it."""
    # Imported here: the rules import the section modules, which import this one.
    from reconciler.manifest import provider_rules

    return provider_rules.settings_section(provider)


SHARED_MAX = 4096
"""Distinct environment configurations a `shared` cache of `build_flag` holds before it starts
afresh: enough for the few shapes most workspaces repeat, small beside the flags."""


def build_flag(
    data: dict[str, Any],
    environments: list[str],
    provider: str | None = None,
    shared: dict[str, EnvironmentConfig] | None = None,
) -> Flag:
    """The model of one flag, for the workspace's vendor (`provider`; None: a vendor with
    neither per-project environments nor settings of its own).

    `shared`: a cache, kept by the caller across the flags of a load, through which flags
    whose manifests configure an environment alike share one (immutable) `EnvironmentConfig`:
    most flags of a large workspace repeat a few configurations, and the configurations were
    most of the memory of 100,000 flags' models.

    A vendor that configures a flag in every environment of its project gets a model with every
    workspace environment. Where an environment is a project (`per_project`), a flag exists only
    in the projects its manifest names, so the model has only those.

    The fields are gathered as plain data and validated once: pydantic builds the nested
    models in one pass, a third quicker than a constructor call per model.
    """
    key = data["key"]
    declared = data.get("environments") or {}
    if per_project(provider):
        environments = [env for env in environments if env in declared]
    section = settings_section(provider)
    return Flag.model_validate(
        {
            "key": key,
            "name": data.get("name", key),
            "description": data.get("description", ""),
            "type": data.get("type", "release"),
            "tags": tuple(data.get("tags") or ()),
            "variables": {
                name: {
                    "type": spec["type"],
                    "name": spec.get("name", name),
                    "description": spec.get("description", ""),
                }
                for name, spec in (data.get("variables") or {}).items()
            },
            "variations": {
                item["key"]: {
                    "name": item.get("name", item["key"]),
                    "values": item.get("values") or {},
                    "payload": item.get("payload"),
                }
                for item in data.get("variations") or []
            },
            "environments": {
                env: _environment(declared.get(env) or {}, shared) for env in environments
            },
            "payload": data.get("payload"),
            "settings": dict((data.get(section) if section else None) or {}),
            "control": data.get("control"),
            "metrics": tuple(data.get("metrics") or ()),
            "status": data.get("status", "active"),
            "static_variation": data.get("static_variation"),
        }
    )


def _environment(
    data: dict[str, Any], shared: dict[str, EnvironmentConfig] | None
) -> dict[str, Any] | EnvironmentConfig:
    """An `EnvironmentConfig`'s fields, or the configuration `shared` holds for plain data of
    the same `repr` (which tells apart types, values and order: `1`, `1.0`, `True`, `'1'`)."""
    if shared is None:
        return _environment_data(data)
    text = repr(data)
    config = shared.get(text)
    if config is None:
        if len(shared) >= SHARED_MAX:
            shared.clear()
        config = shared[text] = EnvironmentConfig.model_validate(_environment_data(data))
    return config


def _environment_data(data: dict[str, Any]) -> dict[str, Any]:
    """An `EnvironmentConfig`'s fields."""
    return {
        "enabled": bool(data.get("enabled", False)),
        "targets": [_target_data(target) for target in data.get("targets") or []],
    }


def _target_data(data: dict[str, Any]) -> dict[str, Any]:
    """A `Target`'s fields."""
    serve = data.get("serve") or {}
    split = {serve: 100.0} if isinstance(serve, str) else {k: float(v) for k, v in serve.items()}
    rollout = data.get("rollout")
    return {
        "name": data.get("name"),
        "audience": build_audience(data.get("audience", _SHORTHAND_ALL)),
        "serve": split,
        "rollout": build_rollout(rollout) if rollout else None,
        "percentage": data.get("percentage"),
    }


def build_audience(data: Any) -> Audience:
    if data == _SHORTHAND_ALL:
        return EVERYONE
    ((match, items),) = data.items()
    filters = [build_filter(item) for item in items]
    return Audience(match=match, filters=tuple(filters))


def build_filter(item: dict[str, Any]) -> Filter:
    ((field, condition),) = item.items()
    if field in ("all", "any"):
        members = tuple(build_filter(member) for member in condition)
        return Filter.group("any" if field == "any" else "all", members)
    if field == "audience" and isinstance(condition, str):
        return Filter(field="audience", comparator="is", values=(condition,))
    if field == "cohort":
        return _cohort_filter(condition)
    if field == "flag":
        return Filter(
            field="flag", comparator="is", values=(condition["is"],), data_key=condition["key"]
        )
    if field in ("person", "group"):
        return _property_filter(field, condition)
    condition = dict(condition)
    data_key = condition.pop("key", None)
    declared_type = condition.pop("type", None)
    _, comparator, values = _comparison(condition)
    data_key_type = None
    if field in ("app_version", "platform_version"):
        values = tuple(str(value) for value in values)  # `gte: 2.4` is a version, not a float
    if field == "custom":
        data_key_type = declared_type or (custom_type(values[0]) if values else "String")
    return Filter.model_validate(
        {
            "field": field,
            "comparator": comparator,
            "values": values,
            "data_key": data_key,
            "data_key_type": data_key_type,
        }
    )


def _comparison(condition: dict[str, Any]) -> tuple[str, str, tuple[Any, ...]]:
    """The one comparison left in a condition (after `key`/`type` were taken out): the operator
    as written, the model's comparator (`exists: false` is `not_exists`) and the values as a
    tuple (one value or a list)."""
    ((operator, value),) = condition.items()
    if operator == "exists":
        return operator, ("exists" if value else "not_exists"), ()
    return operator, operator, tuple(value if isinstance(value, list) else [value])


def _cohort_filter(condition: Any) -> Filter:
    """`cohort: Beta testers` (in it) or `cohort: {is_not: Beta testers}`."""
    if isinstance(condition, str):
        return Filter(field="cohort", comparator="is", values=(condition,))
    ((operator, name),) = condition.items()
    return Filter.model_validate({"field": "cohort", "comparator": operator, "values": (name,)})


_ORDERING = ("gt", "gte", "lt", "lte")
_TEXT_VALUED = ("date_before", "date_after")  # and every semver_* comparison


def _property_filter(field: str, condition: dict[str, Any]) -> Filter:
    """A PostHog person/group property condition. Ordering comparisons keep their value as
    text, as PostHog stores it (`gt: 5` is sent and read back as "5")."""
    condition = dict(condition)
    data_key = condition.pop("key")
    group_type = condition.pop("type", None)
    operator, comparator, values = _comparison(condition)
    if operator in _ORDERING or operator in _TEXT_VALUED or operator.startswith("semver_"):
        values = tuple(str(value) for value in values)
    return Filter.model_validate(
        {
            "field": field,
            "comparator": comparator,
            "values": values,
            "data_key": data_key,
            "group_type": group_type,
        }
    )


def build_rollout(data: dict[str, Any]) -> Rollout:
    return Rollout(
        type=data["type"],
        start=cast(Any, parse_time(data["start"])),
        start_percentage=data.get("start_percentage"),
        stages=tuple(
            RolloutStage(
                percentage=stage["percentage"],
                at=cast(Any, parse_time(stage["at"])),
                transition=stage.get("transition", "linear"),
            )
            for stage in data.get("stages") or []
        ),
    )
