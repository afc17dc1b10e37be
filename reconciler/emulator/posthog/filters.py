"""Validation and normalisation of a feature flag's `filters`, as `validate_filters` does it.

The checks and their messages follow PostHog's `FeatureFlagSerializer.validate_filters`: every
failure is a 400 with `attr: "filters"` (the serializer field), in the order the server runs
them, so a body with two problems reports the same one PostHog reports. After validation the
filters are normalised the way the server stores them (and a reconciler must therefore expect
to read back): payload values JSON-encoded strings, `properties` present on every group,
`aggregation_group_type_index` copied into every group and recomputed at flag level, operator
aliases rewritten, unknown top-level keys dropped.
"""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .dependencies import check_flag_dependencies, flag_properties
from .errors import ApiError, validation_error
from .fields import type_name
from .state import PostHogState, Record

MAX_PROPERTY_VALUES = 1000
PROPERTY_TYPES = ("person", "cohort", "group", "flag", "person_metadata")
PERSON_AGGREGATED_TYPES = ("person", "cohort", "flag")
OPERATORS = frozenset(
    {
        "exact", "is_not", "icontains", "not_icontains", "icontains_multi", "not_icontains_multi",
        "regex", "not_regex", "gt", "gte", "lt", "lte", "is_set", "is_not_set", "is_date_exact",
        "is_date_after", "is_date_before", "in", "not_in", "flag_evaluates_to", "semver_gt",
        "semver_gte", "semver_lt", "semver_lte", "semver_eq", "semver_neq", "semver_tilde",
        "semver_caret", "semver_wildcard",
    }
)  # fmt: skip
OPERATOR_ALIASES = {"min": "gte", "max": "lte"}
STRING_VALUE_OPERATORS = (
    "regex",
    "icontains",
    "not_regex",
    "not_icontains",
    "gte",
    "lte",
    "gt",
    "lt",
)
KEPT_TOP_LEVEL_KEYS = (
    "groups",
    "multivariate",
    "payloads",
    "aggregation_group_type_index",
    "holdout",
    "feature_enrollment",
    "early_exit",
)
_RELATIVE_DATE = re.compile(r"^-?\d+[hdwmyHDWMY]$")


@dataclass
class FilterContext:
    """What a filters check needs besides the filters: where, how, and for which flag."""

    state: PostHogState
    project_id: int
    method: str
    instance: Record | None
    flag_key: str | None

    @property
    def strict(self) -> bool:
        """Whether the deployment-gated cross-field rules are enforced (see `PostHogState`)."""
        return self.state.validation != "lenient"


def _error(detail: str, code: str = "invalid") -> ApiError:
    return validation_error(detail, "filters", code)


def validate_filters(raw: Any, ctx: FilterContext) -> dict[str, Any]:
    """The filters PostHog would store for this input, or the 400 it would answer."""
    if raw is None:
        raise validation_error("This field may not be null.", "filters", "null")
    if not isinstance(raw, dict):
        raise _error(
            f'Expected a dictionary of items but got type "{type_name(raw)}".', "not_a_dict"
        )
    if "version" in raw:
        raise _error(
            "filters.version is reserved. Remove it from the request.", "reserved_config_version"
        )
    # An update validates and stores the merged state: sent top-level keys replace stored
    # ones, the rest (`early_exit`, `payloads`, ...) survive; `{}` changes nothing
    # (`_validate_filters_inner`).
    if ctx.instance is not None:
        if not raw:
            return copy.deepcopy(ctx.instance["filters"])
        filters = {**copy.deepcopy(ctx.instance["filters"]), **copy.deepcopy(raw)}
    else:
        filters = copy.deepcopy(raw)
    _check_structure(filters, ctx.strict)
    groups: list[dict[str, Any]] = filters.get("groups") or []
    if ctx.method == "POST" and not groups:
        raise _error("Feature flags must have at least one condition set (group).")
    _check_aggregation(filters, ctx)
    variants = _check_variants(filters, ctx.strict)
    _check_groups(groups, variants, ctx)
    _check_regexes(groups, ctx)
    _check_payloads(filters, variants, ctx.strict)
    return _normalise(filters)


def _check_regexes(groups: list[dict[str, Any]], ctx: FilterContext) -> None:
    """A `regex`/`not_regex` pattern must compile, unless the stored flag already had it.

    Vendor behaviour unknown: the exact path text in the message (`{located.path}`); the
    emulator writes `groups[i].properties[j]`. PostHog compiles with Python's `re` here too.
    """
    existing: set[str] = set()
    for group in ((ctx.instance or {}).get("filters") or {}).get("groups") or []:
        for prop in group.get("properties") or []:
            pattern = prop.get("value")
            if prop.get("operator") in ("regex", "not_regex") and isinstance(pattern, str):
                existing.add(pattern)
    for g, group in enumerate(groups):
        for p, prop in enumerate(group.get("properties") or []):
            pattern = prop.get("value")
            if prop.get("operator") not in ("regex", "not_regex") or not isinstance(pattern, str):
                continue
            if pattern in existing:
                continue
            try:
                re.compile(pattern)
            except re.error:
                raise _error(f"groups[{g}].properties[{p}].value: invalid regex pattern") from None


def _check_structure(filters: dict[str, Any], strict: bool = True) -> None:
    """Shape checks (the old serializer would raise a 500 on these; newer ones a 400)."""
    # Vendor behaviour unknown: the exact wording of structural errors. PostHog's newer
    # structural tier reports DRF field messages; these mirror DRF's ListField/DictField text.
    groups = filters.get("groups", [])
    if groups is not None and not isinstance(groups, list):
        raise _error(f'Expected a list of items but got type "{type_name(groups)}".', "not_a_list")
    for group in groups or []:
        if not isinstance(group, dict):
            raise _error(
                f'Expected a dictionary of items but got type "{type_name(group)}".', "not_a_dict"
            )
        properties = group.get("properties")
        if properties is not None and not isinstance(properties, list):
            raise _error(
                f'Expected a list of items but got type "{type_name(properties)}".', "not_a_list"
            )
        for prop in properties or []:
            _check_property_shape(prop)
        _check_percentage(group.get("rollout_percentage"), allow_null=True)
        variant = group.get("variant")
        if variant is not None and not isinstance(variant, str):
            raise _error("Not a valid string.")
    multivariate = filters.get("multivariate")
    if multivariate is not None:
        if not isinstance(multivariate, dict):
            raise _error(
                f'Expected a dictionary of items but got type "{type_name(multivariate)}".',
                "not_a_dict",
            )
        if "variants" not in multivariate and strict:
            # Vendor behaviour unknown: the structural tier's exact wording and path.
            raise _error("multivariate.variants: This field is required.", "required")
        variants = multivariate.get("variants", [])
        if not isinstance(variants, list):
            raise _error(
                f'Expected a list of items but got type "{type_name(variants)}".', "not_a_list"
            )
        for variant in variants:
            if not isinstance(variant, dict) or not isinstance(variant.get("key"), str):
                raise _error("Each variant must be an object with a string `key`.")
            _check_percentage(variant.get("rollout_percentage", 0), allow_null=False)


def _check_property_shape(prop: Any) -> None:
    if not isinstance(prop, dict):
        raise _error(
            f'Expected a dictionary of items but got type "{type_name(prop)}".', "not_a_dict"
        )
    if not isinstance(prop.get("key"), str | int) or prop.get("key") in ("", None):
        raise _error("Property filters must have a `key`.")
    if prop.get("type", "event") not in PROPERTY_TYPES:
        # Event, element, session... properties are valid PostHog properties but never valid in
        # a flag; the aggregation check reports them with PostHog's message.
        return
    operator = prop.get("operator")
    if operator is not None and (
        not isinstance(operator, str) or _canonical_operator(operator) not in OPERATORS
    ):
        raise _error(f'"{operator}" is not a valid choice.', "invalid_choice")


def _check_percentage(value: Any, *, allow_null: bool) -> None:
    # Vendor behaviour unknown: the old serializer does not range-check percentages; PostHog's
    # newer structural tier rejects non-numbers, NaN and values outside 0-100 like this.
    if value is None and allow_null:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise _error("A valid number is required.")
    if value < 0:
        raise _error("Ensure this value is greater than or equal to 0.", "min_value")
    if value > 100:
        raise _error("Ensure this value is less than or equal to 100.", "max_value")


def _group_aggregation(group: dict[str, Any], flag_level: Any) -> Any:
    """A group's aggregation: its own key when present (null = persons), else the flag's."""
    return group.get("aggregation_group_type_index", flag_level)


def _check_aggregation(filters: dict[str, Any], ctx: FilterContext) -> None:
    flag_level = filters.get("aggregation_group_type_index")
    person_groups = []
    for group in filters.get("groups") or []:
        aggregation = _group_aggregation(group, flag_level)
        properties = group.get("properties") or []
        if aggregation is None:
            if any(p.get("type") not in PERSON_AGGREGATED_TYPES for p in properties):
                raise _error(
                    "Filters are not valid (can only use person, cohort, and flag properties)"
                )
            if any(
                p.get("type") == "flag"
                and _canonical_operator(p.get("operator")) != "flag_evaluates_to"
                for p in properties
            ):
                raise _error("Flag properties must use the 'flag_evaluates_to' operator")
            person_groups.append(group)
        elif any(
            p.get("type") != "group" or p.get("group_type_index") != aggregation for p in properties
        ):
            raise _error("Filters are not valid (can only use group properties)")
    person_filters = {"groups": person_groups}
    if any(True for _ in flag_properties(person_filters)):  # else there is nothing to check
        check_flag_dependencies(person_filters, ctx.flag_key, ctx.state.flags_of(ctx.project_id))


def _check_variants(filters: dict[str, Any], strict: bool = True) -> set[str]:
    variant_list = (filters.get("multivariate") or {}).get("variants", [])
    if variant_list and strict:
        total = sum(variant.get("rollout_percentage", 0) for variant in variant_list)
        if total != 100:
            raise validation_error(
                "Invalid variant definitions: Variant rollout percentages must sum to 100.",
                "filters",
                "invalid_input",
            )
        keys = [variant["key"] for variant in variant_list]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            # Vendor behaviour unknown: the classic serializer does not check this; the newer
            # cross-field tier (issue #50084) rejects it with this message.
            raise _error(f"Variant keys must be unique, duplicated: {', '.join(duplicates)}.")
    return {variant["key"] for variant in variant_list}


def _check_groups(groups: list[dict[str, Any]], variants: set[str], ctx: FilterContext) -> None:
    for group in groups:
        if ctx.strict and group.get("variant") and group["variant"] not in variants:
            raise _error("Filters are not valid (variant override does not exist)")
        for prop in group.get("properties") or []:
            _check_property(prop, ctx)


def _check_property(prop: dict[str, Any], ctx: FilterContext) -> None:
    value = prop.get("value")
    operator = _canonical_operator(prop.get("operator"))
    if isinstance(value, list) and len(value) > MAX_PROPERTY_VALUES:
        raise _error(
            f"Property group expressions of type {prop.get('key')} cannot contain more than "
            f"{MAX_PROPERTY_VALUES} values."
        )
    if prop.get("type") == "cohort":
        _check_cohort(value, ctx)
    if not ctx.strict:
        return
    if operator in ("is_date_before", "is_date_after") and not _is_parseable_date(value):
        raise _error(f"Invalid date value: {value}", "invalid_date")
    if operator in STRING_VALUE_OPERATORS and not isinstance(value, str):
        raise _error(f"Invalid value for operator {operator}: {value}", "invalid_value")
    if operator in ("in", "not_in") and prop.get("type") != "cohort":
        raise _error(
            f"The '{operator}' operator is only valid for cohort properties, "
            f"not '{prop.get('type')}' properties.",
            "invalid_operator",
        )


def _canonical_operator(operator: Any) -> Any:
    return OPERATOR_ALIASES.get(operator, operator) if isinstance(operator, str) else operator


def _check_cohort(value: Any, ctx: FilterContext) -> None:
    """The cohort must exist in this project (deleted ones count) and be event-free."""
    cohort_id = str(value)
    cohort = ctx.state.cohort(ctx.project_id, int(cohort_id)) if cohort_id.isdigit() else None
    if cohort is None:
        raise _error(f"Cohort with id {value} does not exist", "cohort_does_not_exist")
    for member in _cohort_with_dependencies(cohort, ctx):
        if any(p.get("type") == "behavioral" for p in cohort_properties_flat(member)):
            raise _error(
                f"Cohort '{member['name']}' with filters on events cannot be used in feature "
                "flags.",
                "behavioral_cohort_found",
            )


def _cohort_with_dependencies(cohort: Record, ctx: FilterContext) -> list[Record]:
    found = [cohort]
    queue = [cohort]
    while queue:
        current = queue.pop()
        for prop in cohort_properties_flat(current):
            if prop.get("type") != "cohort" or not str(prop.get("value")).isdigit():
                continue
            nested = ctx.state.cohort(ctx.project_id, int(prop["value"]))
            if nested is not None and nested not in found:
                found.append(nested)
                queue.append(nested)
    return found


def cohort_properties_flat(cohort: Record) -> list[dict[str, Any]]:
    """Every leaf property of a cohort's `filters.properties` tree."""
    leaves: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict) and node.get("type") in ("AND", "OR") and "values" in node:
            for child in node["values"]:
                walk(child)
        elif isinstance(node, dict):
            leaves.append(node)

    walk(((cohort.get("filters") or {}).get("properties")) or {})
    return leaves


def _is_parseable_date(value: Any) -> bool:
    """PostHog's `determine_parsed_date_for_property_matching`: relative (`-7d`) or absolute."""
    if not isinstance(value, str):
        return False
    if _RELATIVE_DATE.match(value.strip()):
        return True
    try:
        datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _check_payloads(filters: dict[str, Any], variants: set[str], strict: bool = True) -> None:
    payloads = filters.get("payloads", {})
    if payloads is None:
        payloads = {}
    if not isinstance(payloads, dict):
        raise _error("Payloads must be passed as a dictionary")
    for value in payloads.values():
        if isinstance(value, str):
            try:
                json.loads(value)
            except json.JSONDecodeError:
                raise _error("Payload value is not valid JSON") from None
        else:
            try:
                json.dumps(value)
            except (TypeError, ValueError):
                raise _error("Payload value is not valid JSON") from None
    if not strict:
        return
    if filters.get("multivariate"):
        if not all(key in variants for key in payloads):
            raise _error("Payload keys must match a variant key for multivariate flags")
    elif len(payloads) > 1 or any(key != "true" for key in payloads):
        raise _error("Payload keys must be 'true' for boolean flags")


def _normalise(filters: dict[str, Any]) -> dict[str, Any]:
    """The stored form: what PostHog writes to `FeatureFlag.filters` for valid input."""
    result = {key: filters[key] for key in KEPT_TOP_LEVEL_KEYS if key in filters}
    if isinstance(result.get("payloads"), dict):
        result["payloads"] = {
            key: value if isinstance(value, str) else json.dumps(value)
            for key, value in result["payloads"].items()
        }
    flag_level = filters.get("aggregation_group_type_index")
    groups = result.get("groups") or []
    for group in groups:
        group["properties"] = group.get("properties") or []
        group["aggregation_group_type_index"] = _group_aggregation(group, flag_level)
        for prop in group["properties"]:
            if prop.get("operator") in OPERATOR_ALIASES:
                prop["operator"] = OPERATOR_ALIASES[prop["operator"]]
    if groups:
        levels = {group["aggregation_group_type_index"] for group in groups}
        flag_level = levels.pop() if len(levels) == 1 else None
    result["groups"] = groups
    result["aggregation_group_type_index"] = flag_level
    return result
