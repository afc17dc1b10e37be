"""Feature flag request bodies through `FeatureFlagSerializer`'s field pass.

The fields are checked in the serializer's field order and the first failing field is the one
exceptions-hog reports, so a body with several problems gets the answer PostHog gives. `key`
is unique among the project's non-deleted flags (checked before its pattern, as PostHog does);
`filters` go through `filters.validate_filters`.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import required, validation_error
from .fields import as_bool, as_choice, as_datetime, as_int, as_list, as_str
from .filters import FilterContext, validate_filters
from .state import PostHogState, Record

KEY_PATTERN = re.compile(r"^[a-zA-Z0-9_-]+$")
CREATION_CONTEXTS = (
    "feature_flags",
    "experiments",
    "surveys",
    "early_access_features",
    "web_experiments",
    "product_tours",
)
EVALUATION_RUNTIMES = ("server", "client", "all")


def tagify(tag: Any) -> str:
    """PostHog's tag normalisation: trimmed and lower-cased.

    Vendor behaviour unknown: the order PostHog returns tags in (they come from an unordered
    relation); the emulator returns them sorted, which a diff must treat as a set anyway.
    """
    return str(tag).strip().lower()


def _validate_key(state: PostHogState, project_id: int, value: Any, instance: Record | None) -> str:
    key = as_str(value, "key", allow_blank=False, max_length=400)
    assert key is not None
    taken = any(
        not f["deleted"] and (instance is None or f["id"] != instance["id"])
        for f in state.flags_with_key(project_id, key)
    )
    if taken:
        raise validation_error("There is already a feature flag with this key.", "key", "unique")
    if not KEY_PATTERN.match(key):
        raise validation_error(
            "Only letters, numbers, hyphens (-) & underscores (_) are allowed.",
            "key",
            "invalid_key",
        )
    return key


def _validate_dashboards(state: PostHogState, project_id: int, value: Any) -> list[int]:
    items = as_list(value, "analytics_dashboards") or []
    known = {d["id"] for d in state.dashboards if d["team_id"] == project_id}
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int | str):
            raise validation_error(
                f"Incorrect type. Expected pk value, received {type(item).__name__}.",
                "analytics_dashboards",
                "incorrect_type",
            )
        if not str(item).isdigit() or int(item) not in known:
            raise validation_error(
                f'Invalid pk "{item}" - object does not exist.',
                "analytics_dashboards",
                "does_not_exist",
            )
    return [int(item) for item in items]


def validate_fields(
    state: PostHogState,
    project_id: int,
    data: dict[str, Any],
    *,
    method: str,
    instance: Record | None,
) -> dict[str, Any]:
    """The serializer's field-level pass: coerced values for the writable fields sent."""
    out: dict[str, Any] = {}
    creating = instance is None
    if "name" in data:
        out["name"] = as_str(data["name"], "name")
    if "key" in data:
        out["key"] = _validate_key(state, project_id, data["key"], instance)
    elif creating or method == "PUT":
        raise required("key")
    if "filters" in data:
        own_key = instance["key"] if instance is not None else _raw_key(data)
        out["filters"] = validate_filters(
            data["filters"], FilterContext(state, project_id, method, instance, own_key)
        )
    for name in ("deleted", "active", "archived"):
        if name in data:
            out[name] = as_bool(data[name], name)
    if "created_at" in data:
        out["created_at"] = as_datetime(data["created_at"], "created_at", allow_null=False)
    if "version" in data:
        out["version"] = as_int(data["version"], "version")
    if "ensure_experience_continuity" in data:
        out["ensure_experience_continuity"] = as_bool(
            data["ensure_experience_continuity"], "ensure_experience_continuity", allow_null=True
        )
    if "rollback_conditions" in data:
        out["rollback_conditions"] = data["rollback_conditions"]
    if "performed_rollback" in data:
        out["performed_rollback"] = as_bool(
            data["performed_rollback"], "performed_rollback", allow_null=True
        )
    if "tags" in data:
        tags = as_list(data["tags"], "tags") or []
        out["tags"] = sorted({tagify(tag) for tag in tags if tagify(tag)})
    if "evaluation_tags" in data:
        tags = as_list(data["evaluation_tags"], "evaluation_tags") or []
        out["evaluation_tags"] = sorted({tagify(tag) for tag in tags if tagify(tag)})
    if "analytics_dashboards" in data:
        out["analytics_dashboards"] = _validate_dashboards(
            state, project_id, data["analytics_dashboards"]
        )
    # Encrypted payloads are not emulated: `has_encrypted_payloads` is stored and echoed, and the
    # payload is kept in clear (PostHog would encrypt it and redact it on read).
    for name in ("has_enriched_analytics", "is_remote_configuration", "has_encrypted_payloads"):
        if name in data:
            out[name] = as_bool(data[name], name, allow_null=True)
    if "creation_context" in data:
        out["creation_context"] = as_choice(
            data["creation_context"], "creation_context", CREATION_CONTEXTS
        )
    if "evaluation_runtime" in data:
        out["evaluation_runtime"] = as_choice(
            data["evaluation_runtime"], "evaluation_runtime", EVALUATION_RUNTIMES, allow_null=True
        )
    if "last_called_at" in data:
        out["last_called_at"] = as_datetime(data["last_called_at"], "last_called_at")
    if "_should_create_usage_dashboard" in data:
        out["_should_create_usage_dashboard"] = as_bool(
            data["_should_create_usage_dashboard"], "_should_create_usage_dashboard"
        )
    return out


def check_archived_is_disabled(fields: dict[str, Any], instance: Record | None) -> None:
    """`_validate_archived_flags_are_disabled`: archived means done for good, not paused."""
    archived = fields.get("archived", bool(instance.get("archived")) if instance else False)
    active = fields.get("active", instance["active"] if instance else True)
    if not (archived and active):
        return
    if fields.get("archived"):
        raise validation_error(
            "Cannot archive an enabled feature flag. Disable it first, or send active: false in "
            "the same request."
        )
    raise validation_error("Cannot enable an archived feature flag. Unarchive it first.")


def _raw_key(data: dict[str, Any]) -> str | None:
    key = data.get("key")
    return str(key) if isinstance(key, str | int) and not isinstance(key, bool) else None
