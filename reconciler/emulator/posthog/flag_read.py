"""How PostHog renders a feature flag, and which flags its list endpoint returns.

The full shape is `FeatureFlagSerializer`'s (the fields of the OpenAPI `FeatureFlag` schema), with
the echoes a reconciler has to canonicalise before diffing: `cohort_name` injected into cohort
conditions, `is_simple_flag`/`rollout_percentage` derived, `experiment_set` listing the linked
experiments. `surveys` and `features` are lists on the wire even though the OpenAPI document types
them as objects (drf-spectacular reads a `-> dict` annotation; the serializer returns `many=True`
data). The minimal shape is `MinimalFeatureFlagSerializer`'s, used by local evaluation and by an
experiment's `feature_flag`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from starlette.datastructures import QueryParams

from . import flag_status as status
from .flag_status import flag_status, matches_stale_filter, status_changes_after
from .http import encode
from .state import PostHogState, Record


def user_basic(state: PostHogState, user_id: int | None) -> dict[str, Any] | None:
    """`UserBasicSerializer` output for a user id (None for a user that no longer exists)."""
    user = state.user(user_id)
    if user is None:
        return None
    return {
        "id": user["id"],
        "uuid": user["uuid"],
        "distinct_id": user.get("distinct_id"),
        "first_name": user.get("first_name", ""),
        "last_name": user.get("last_name", ""),
        "email": user["email"],
        "is_email_verified": user.get("is_email_verified"),
        "hedgehog_config": None,
        "role_at_organization": None,
    }


def _user(state: PostHogState, user_id: int | None, shared: bool) -> dict[str, Any] | None:
    """`user_basic`; `shared`: one answer per user for the reads until the next write."""
    if not shared:
        return user_basic(state, user_id)
    found: dict[str, Any] | None = state.cached_read(
        ("user_basic", user_id), lambda: user_basic(state, user_id)
    )
    return found


def is_simple_flag(flag: Record) -> bool:
    """One condition, no properties, person-aggregated: the UI's "simple" flag."""
    groups = flag["filters"].get("groups") or []
    return (
        len(groups) == 1
        and all(not group.get("properties") for group in groups)
        and flag["filters"].get("aggregation_group_type_index") is None
    )


def _has_cohort_condition(filters: dict[str, Any]) -> bool:
    return any(
        prop.get("type") == "cohort"
        for group in filters.get("groups") or []
        for prop in group.get("properties") or []
    )


def _with_cohort_names(
    state: PostHogState, flag: Record, include_deleted: bool, shared: bool = False
) -> dict[str, Any]:
    """The filters with `cohort_name` set on every cohort condition (None if unknown).
    `shared`: filters with no cohort condition are the stored object itself (for a caller
    that encodes them before the state can change)."""
    if shared and not _has_cohort_condition(flag["filters"]):
        stored: dict[str, Any] = flag["filters"]
        return stored
    filters = copy.deepcopy(flag["filters"])
    names = {
        str(cohort["id"]): cohort["name"]
        for cohort in state.cohorts_of(flag["team_id"])
        if include_deleted or not cohort["deleted"]
    }
    for group in filters.get("groups") or []:
        for prop in group.get("properties") or []:
            if prop.get("type") == "cohort":
                prop["cohort_name"] = names.get(str(prop.get("value")))
    return filters


def serialize_flag(
    state: PostHogState, flag: Record, *, in_list: bool = False, shared: bool = False
) -> dict[str, Any]:
    """The `FeatureFlag` object PostHog returns from list, retrieve, create and update.

    The list endpoint resolves cohort names from the project's non-deleted cohorts only (its
    prefetch filters `deleted=False`); retrieve and writes look cohorts up without that filter.
    `shared`: the answer may hold stored objects (the caller encodes it under the state's
    lock, before any write), which spares copying every flag's filters.
    """
    simple = is_simple_flag(flag)
    groups = flag["filters"].get("groups") or []
    return {
        "id": flag["id"],
        "name": flag["name"],
        "key": flag["key"],
        "filters": _with_cohort_names(state, flag, include_deleted=not in_list, shared=shared),
        "deleted": flag["deleted"],
        "active": flag["active"],
        "archived": bool(flag.get("archived")),
        "created_by": _user(state, flag.get("created_by_id"), shared),
        "created_at": flag["created_at"],
        "updated_at": flag.get("updated_at"),
        "version": flag.get("version"),
        "last_modified_by": _user(state, flag.get("last_modified_by_id"), shared),
        "is_simple_flag": simple,
        "rollout_percentage": groups[0].get("rollout_percentage") if simple else None,
        "ensure_experience_continuity": flag.get("ensure_experience_continuity"),
        "experiment_set": [
            e["id"] for e in state.experiments_of_flag(flag["id"]) if not e["deleted"]
        ],
        "surveys": [],
        "features": [],
        "rollback_conditions": flag.get("rollback_conditions"),
        "performed_rollback": flag.get("performed_rollback"),
        "can_edit": True,
        "tags": list(flag.get("tags") or []),
        "evaluation_tags": list(flag.get("evaluation_tags") or []),
        "usage_dashboard": flag.get("usage_dashboard"),
        "analytics_dashboards": list(flag.get("analytics_dashboards") or []),
        "has_enriched_analytics": flag.get("has_enriched_analytics"),
        # Vendor behaviour unknown: the level PostHog's access control computes for a personal
        # API key's owner; "editor" is what a project member with write access sees.
        "user_access_level": "editor",
        "is_remote_configuration": flag.get("is_remote_configuration"),
        "has_encrypted_payloads": flag.get("has_encrypted_payloads"),
        "status": flag_status(flag),
        "evaluation_runtime": flag.get("evaluation_runtime"),
        "last_called_at": flag.get("last_called_at"),
    }


def minimal_flag(flag: Record, filters: dict[str, Any] | None = None) -> dict[str, Any]:
    """`MinimalFeatureFlagSerializer` output (local evaluation, an experiment's flag)."""
    return {
        "id": flag["id"],
        "team_id": flag["team_id"],
        "name": flag["name"],
        "key": flag["key"],
        "filters": copy.deepcopy(flag["filters"]) if filters is None else filters,
        "deleted": flag["deleted"],
        "active": flag["active"],
        "ensure_experience_continuity": flag.get("ensure_experience_continuity"),
        "has_encrypted_payloads": flag.get("has_encrypted_payloads"),
        "version": flag.get("version"),
        "evaluation_runtime": flag.get("evaluation_runtime"),
        "evaluation_tags": list(flag.get("evaluation_tags") or []),
    }


def _is_multivariate(flag: Record) -> bool:
    return bool((flag["filters"].get("multivariate") or {}).get("variants"))


def _json_list(raw: str) -> list[Any]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return []
    return value if isinstance(value, list) else []


def _matches(state: PostHogState, flag: Record, name: str, value: str) -> bool:
    """One list filter of `FeatureFlagViewSet._apply_filters`."""
    if name == "active":
        if value == "STALE":
            return matches_stale_filter(flag)
        return flag["active"] == (value == "true")
    if name == "archived":
        return bool(flag.get("archived")) == (value.lower() == "true")
    if name == "created_by_id":
        return str(flag.get("created_by_id")) == value
    if name == "search":
        needle = value.lower()
        experiment_names = [
            e["name"] for e in state.experiments_of_flag(flag["id"]) if not e["deleted"]
        ]
        return any(
            needle in text.lower() for text in [flag["key"], flag["name"], *experiment_names]
        )
    if name == "type":
        if value == "boolean":
            return not _is_multivariate(flag)
        if value == "multivariant":
            return _is_multivariate(flag)
        if value == "experiment":
            return bool(state.experiments_of_flag(flag["id"]))
        if value == "remote_config":
            return bool(flag.get("is_remote_configuration"))
        return True
    if name == "key":
        return str(flag["key"]).lower() == value.lower()
    if name == "evaluation_runtime":
        return flag.get("evaluation_runtime") == value
    if name == "excluded_properties":
        return flag["key"] not in _json_list(value)
    if name == "tags":
        wanted = _json_list(value)
        return not wanted or any(tag in wanted for tag in flag.get("tags") or [])
    return True


_ORDERABLE = ("id", "key", "name", "created_at", "updated_at")


def list_flags(state: PostHogState, project_id: int, query: QueryParams) -> list[Record]:
    """The flags the list endpoint returns, in its order (default newest first).

    Soft-deleted flags are never listed; retrieve by id still returns them. Archived flags are
    listed only when the query has an `archived` parameter (`exclude_archived_unless_requested`),
    which then filters by its value.
    """
    # Each page of a list asks for the same rows: kept until the next write (the query
    # without its page).
    page = ("limit", "offset")
    key = (
        "list_flags",
        project_id,
        _query_key(i for i in query.multi_items() if i[0] not in page),
    )
    rows: list[Record] = state.cached_read(key, lambda: _list_flags(state, project_id, query))
    return rows


def _query_key(items: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """A query's parameters in name order; a repeated name keeps its values' order (the last
    one is the one a filter reads)."""
    return tuple(sorted(items, key=lambda item: item[0]))


def encoded_list_results(
    state: PostHogState, project_id: int, query: QueryParams, user_id: Any, rows: list[Record]
) -> str:
    """The JSON text of a list page's `results`: `rows` (the page `list_flags` and its query's
    limit and offset give) as `serialize_flag` renders them in a list.

    Kept until the next write, as the rows are: a list's pages are read again and again
    (every plan reads every page), and rendering a page of 1,000 flags again costs far more
    than finding them. The key is everything the text depends on: the project, the whole
    query (its filters, limit and offset) and the requesting user. A flag's `status` depends
    on the time as well, so the text is given only until the first of its flags could turn
    STALE.
    """

    def render() -> tuple[datetime | None, str]:
        now = status.utc_now()
        changes = [status_changes_after(flag, now) for flag in rows]
        until = min((when for when in changes if when is not None), default=None)
        rendered = [serialize_flag(state, flag, in_list=True, shared=True) for flag in rows]
        return until, encode(rendered)

    def still_valid(kept: tuple[datetime | None, str]) -> bool:
        return kept[0] is None or status.utc_now() <= kept[0]

    key = ("list_results", project_id, user_id, _query_key(query.multi_items()))
    kept: tuple[datetime | None, str] = state.cached_read(key, render, still_valid=still_valid)
    return kept[1]


def _list_flags(state: PostHogState, project_id: int, query: QueryParams) -> list[Record]:
    flags = [f for f in state.flags_of(project_id) if not f["deleted"]]
    if "archived" not in query:
        flags = [f for f in flags if not f.get("archived")]
    for name, value in query.items():
        flags = [f for f in flags if _matches(state, f, name, value)]
    order = query.get("order") or "-created_at"
    field = order.lstrip("-")
    if field not in _ORDERABLE:
        # Vendor behaviour unknown: an unknown `order` field (Django raises FieldError).
        field = "created_at"
    return sorted(
        flags,
        key=lambda f: (f.get(field) or "", f["id"]) if field != "id" else (f["id"], 0),
        reverse=order.startswith("-"),
    )
