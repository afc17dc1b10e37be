"""Experiment request bodies through `ExperimentSerializer`'s field pass.

Each helper reproduces one serializer field or `validate_<field>` method, in field order, so the
first invalid field is the one PostHog reports; the returned keys use the serializer's source
names (`get_feature_flag_key`, `holdout`), which is also how PostHog names them in its
"Can't update keys" error.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import required, validation_error
from .fields import as_bool, as_choice, as_datetime, as_int, as_list, as_str
from .metrics import validate_metrics
from .state import PostHogState

CONCLUSIONS = ("won", "lost", "inconclusive", "stopped_early", "invalid")


def _validate_parameters(value: Any) -> dict[str, Any] | None:
    """`validate_experiment_parameters`: variant shapes, 2-20 variants, a `control` variant."""
    if not value:
        return value if value is None else copy.deepcopy(value)
    if not isinstance(value, dict):
        raise validation_error("Parameters must be an object", "parameters")
    parameters = copy.deepcopy(value)
    variants = parameters.get("feature_flag_variants", []) or []
    if not isinstance(variants, list):
        raise validation_error("Feature flag variants must be a list", "parameters")
    for index, variant in enumerate(variants):
        if not isinstance(variant, dict):
            raise validation_error(
                f"Feature flag variant at index {index} must be an object", "parameters"
            )
        if "key" not in variant:
            raise validation_error(
                f"Feature flag variant at index {index} must have a 'key' field", "parameters"
            )
        if variant["key"] == "Control":
            variant["key"] = "control"
        if "split_percent" in variant and "rollout_percentage" not in variant:
            variant["rollout_percentage"] = variant["split_percent"]
        if "rollout_percentage" not in variant:
            raise validation_error(
                "Each variant must include split_percent (recommended) or rollout_percentage "
                "(deprecated).",
                "parameters",
            )
    if len(variants) >= 21:
        raise validation_error("Feature flag variants must be less than 21", "parameters")
    if variants:
        if len(variants) < 2:
            raise validation_error(
                "Feature flag must have at least 2 variants (control and at least one test "
                "variant)",
                "parameters",
            )
        keys = [variant["key"] for variant in variants]
        if "control" not in keys:
            raise validation_error(
                "Feature flag variants must contain a variant with key 'control' (lowercase, "
                f"exactly). Got keys: {keys}. Rename the baseline variant's 'key' to 'control'.",
                "parameters",
            )
    return parameters


def _validate_holdout(state: PostHogState, project_id: int, value: Any) -> int | None:
    holdout_id = as_int(value, "holdout_id", allow_null=True)
    if holdout_id is not None and state.holdout(project_id, holdout_id) is None:
        raise validation_error(
            f'Invalid pk "{holdout_id}" - object does not exist.', "holdout_id", "does_not_exist"
        )
    return holdout_id


def _validate_saved_metrics(value: Any) -> list[Any] | None:
    items = as_list(value, "saved_metrics_ids", allow_null=True)
    if items:
        # The emulator has no saved metrics, so every reference is to one that does not exist.
        raise validation_error(
            "Saved metric does not exist or does not belong to this project", "saved_metrics_ids"
        )
    return items


def _validate_exposure_criteria(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise validation_error(
            f"exposure_criteria must be an object, got {type(value).__name__}. Expected shape: "
            "{'filterTestAccounts': <bool>, 'exposure_config': <object>}.",
            "exposure_criteria",
        )
    flag = value.get("filterTestAccounts")
    if "filterTestAccounts" in value and not isinstance(flag, bool):
        raise validation_error(
            "exposure_criteria.filterTestAccounts must be a boolean, got "
            f"{type(flag).__name__}: {flag!r}.",
            "exposure_criteria",
        )
    return copy.deepcopy(value)


def _validate_stats_config(value: Any) -> dict[str, Any] | None:
    if not value:
        return value if value is None else {}
    if not isinstance(value, dict):
        raise validation_error("stats_config must be an object", "stats_config")
    method = value.get("method")
    if method is not None and method not in ("bayesian", "frequentist"):
        raise validation_error(
            f"Invalid stats method: '{method}'. Must be one of: bayesian, frequentist",
            "stats_config",
        )
    return copy.deepcopy(value)


def validate_fields(
    state: PostHogState, project_id: int, data: dict[str, Any], *, creating: bool
) -> dict[str, Any]:
    """The serializer's field pass, in field order; keys use the serializer's source names.

    `creating` is true for POST and PUT: DRF requires the required fields on both."""
    out: dict[str, Any] = {}
    if "name" in data:
        out["name"] = as_str(data["name"], "name", allow_blank=False, max_length=400)
    elif creating:
        raise required("name")
    if "description" in data:
        out["description"] = as_str(data["description"], "description", allow_null=True)
    for name in ("start_date", "end_date"):
        if name in data:
            out[name] = as_datetime(data[name], name)
    if "feature_flag_key" in data:
        out["get_feature_flag_key"] = as_str(data["feature_flag_key"], "feature_flag_key")
    elif creating:
        raise required("feature_flag_key")
    if "holdout_id" in data:
        out["holdout"] = _validate_holdout(state, project_id, data["holdout_id"])
    if "parameters" in data:
        out["parameters"] = _validate_parameters(data["parameters"])
    if "secondary_metrics" in data:
        out["secondary_metrics"] = copy.deepcopy(data["secondary_metrics"])
    if "saved_metrics_ids" in data:
        out["saved_metrics_ids"] = _validate_saved_metrics(data["saved_metrics_ids"])
    if "filters" in data:
        out["filters"] = copy.deepcopy(data["filters"])
    if "archived" in data:
        out["archived"] = as_bool(data["archived"], "archived")
    if "deleted" in data:
        out["deleted"] = as_bool(data["deleted"], "deleted", allow_null=True)
    if "type" in data:
        out["type"] = as_choice(data["type"], "type", ("web", "product"), allow_null=True)
    if "exposure_criteria" in data:
        out["exposure_criteria"] = _validate_exposure_criteria(data["exposure_criteria"])
    for name in ("metrics", "metrics_secondary"):
        if name in data:
            # Vendor behaviour unknown: whether metric errors carry `attr` (a serializer-level
            # check) or none (a service-level one); they are reported on the field here.
            out[name] = validate_metrics(copy.deepcopy(data[name]), name)
    if "stats_config" in data:
        out["stats_config"] = _validate_stats_config(data["stats_config"])
    if "conclusion" in data:
        out["conclusion"] = as_choice(
            data["conclusion"], "conclusion", CONCLUSIONS, allow_null=True
        )
    if "conclusion_comment" in data:
        out["conclusion_comment"] = as_str(
            data["conclusion_comment"], "conclusion_comment", allow_null=True
        )
    for name in ("primary_metrics_ordered_uuids", "secondary_metrics_ordered_uuids"):
        if name in data:
            out[name] = copy.deepcopy(data[name])
    start, end = out.get("start_date"), out.get("end_date")
    if start and end and start >= end:
        raise validation_error("End date must be after start date")
    return out
