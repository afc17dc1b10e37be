"""Creating and updating feature flags with `FeatureFlagSerializer`'s model-level rules.

After the field pass (`flag_fields.py`) come: freeing the key of a soft-deleted flag on reuse,
the soft-delete blockers, dependency rules on enable/disable, and the `version`/`original_flag`
conflict check.

Decisions where PostHog versions differ (each matches one real server generation):
- Key reuse: creating (or renaming to) the key of a soft-deleted flag hard-deletes that
  tombstone, as PostHog has always done on create and newer servers also do on rename. A
  tombstone still linked to an experiment blocks reuse with PostHog's 400.
- `filters` on PATCH replace the stored object (the older semantics); a PATCH whose `filters`
  has no `groups` leaves the stored filters untouched. A client that always sends complete
  filters gets the same result from both generations.
- Restoring a flag whose key was renamed to `<key>:deleted:<id>` gives it back its key, or
  `<key>-2`, `<key>-3`... if that key was taken meanwhile (newer servers).
"""

from __future__ import annotations

import re
from typing import Any

from .dependencies import dependents_of, disabled_dependencies_of
from .errors import conflict, validation_error
from .fields import now_iso
from .flag_fields import check_archived_is_disabled, validate_fields
from .state import PostHogState, Record

_DELETED_SUFFIX = re.compile(r"^(?P<key>.+):deleted:(?P<id>\d+)$")


def _free_tombstones(state: PostHogState, project_id: int, key: str, keep: Record | None) -> None:
    """Hard-delete soft-deleted flags holding `key`, unless an experiment still points at one."""
    tombstones = [
        f
        for f in state.flags_with_key(project_id, key)
        if f["deleted"] and (keep is None or f["id"] != keep["id"])
    ]
    for tombstone in tombstones:
        if state.experiments_of_flag(tombstone["id"]):
            raise validation_error(
                "Feature flag with this key already exists and is used in an experiment. "
                "Please delete the experiment before deleting the flag."
            )
    for tombstone in tombstones:
        state.discard(state.feature_flags, tombstone)


def create_flag(state: PostHogState, project_id: int, user: Record, data: dict[str, Any]) -> Record:
    """POST /feature_flags/: the stored record of the new flag."""
    fields = validate_fields(state, project_id, data, method="POST", instance=None)
    check_archived_is_disabled(fields, None)
    _free_tombstones(state, project_id, fields["key"], keep=None)
    now = now_iso()
    flag: Record = {
        "id": state.next_id("feature_flag"),
        "team_id": project_id,
        "key": fields["key"],
        "name": fields.get("name", ""),
        # Without `filters` PostHog stores `{}`, which `FeatureFlag.get_filters` reads back as
        # one condition for everyone (the legacy fallback); storing that reading is equivalent.
        "filters": fields.get(
            "filters", {"groups": [{"properties": [], "rollout_percentage": None}]}
        ),
        "deleted": fields.get("deleted", False),
        "active": fields.get("active", True),
        "archived": fields.get("archived", False),
        "created_by_id": user["id"],
        "created_at": fields.get("created_at", now),
        "updated_at": now,
        "version": 1,
        "last_modified_by_id": user["id"],
        "ensure_experience_continuity": fields.get("ensure_experience_continuity", False),
        "rollback_conditions": fields.get("rollback_conditions"),
        # `_update_filters` clears `performed_rollback` only when `active` is sent truthy.
        "performed_rollback": False if fields.get("active") else fields.get("performed_rollback"),
        "tags": fields.get("tags", []),
        "evaluation_tags": fields.get("evaluation_tags", []),
        "usage_dashboard": None,
        "analytics_dashboards": fields.get("analytics_dashboards", []),
        "has_enriched_analytics": fields.get("has_enriched_analytics", False),
        "is_remote_configuration": fields.get("is_remote_configuration", False),
        "has_encrypted_payloads": fields.get("has_encrypted_payloads", False),
        "evaluation_runtime": fields.get("evaluation_runtime", "all"),
        "last_called_at": fields.get("last_called_at"),
        "creation_context": fields.get("creation_context", "feature_flags"),
    }
    if fields.get("_should_create_usage_dashboard", True):
        dashboard_id = state.next_id("dashboard")
        state.add(
            state.dashboards,
            {
                "id": dashboard_id,
                "team_id": project_id,
                "name": f"Generated Dashboard: {flag['key']} Usage",
            },
        )
        flag["usage_dashboard"] = dashboard_id
    state.add(state.feature_flags, flag)
    return flag


def _listing(flags: list[Record]) -> str:
    names = [f"{flag['key']} (ID: {flag['id']})" for flag in flags[:5]]
    if len(flags) > 5:
        names.append(f"and {len(flags) - 5} more")
    return ", ".join(names)


def _check_delete(state: PostHogState, flag: Record, fields: dict[str, Any]) -> None:
    if fields.get("deleted") is not True:
        return
    # Only a running experiment blocks: draft, stopped and completed ones keep the flag for
    # their history (`FeatureFlagSerializer.update`, `exp.is_running`).
    running = [
        e
        for e in state.experiments_of_flag(flag["id"])
        if not e["deleted"] and e.get("start_date") is not None and e.get("end_date") is None
    ]
    if running:
        names = ", ".join(f'"{e["name"]}" (ID: {e["id"]})' for e in running)
        raise validation_error(
            f"Cannot delete a feature flag that is linked to running experiment(s): {names}. "
            "Please stop the experiment(s) before deleting the flag."
        )
    dependents = dependents_of(flag, state.flags_of(flag["team_id"]))
    if dependents:
        raise validation_error(
            "Cannot delete this feature flag because other flags depend on it: "
            f"{_listing(dependents)}. Please update or delete the dependent flags first."
        )
    if state.experiments_of_flag(flag["id"]):
        # Free the key while keeping the row an experiment still points at.
        fields["key"] = f"{flag['key']}:deleted:{flag['id']}"


def _check_active_toggle(state: PostHogState, flag: Record, fields: dict[str, Any]) -> None:
    if fields.get("active") is False and flag["active"] is True:
        dependents = dependents_of(flag, state.flags_of(flag["team_id"]))
        if dependents:
            raise validation_error(
                "Cannot disable this feature flag because other flags depend on it: "
                f"{_listing(dependents)}. Please update or disable the dependent flags first."
            )
    if fields.get("active") is True and flag["active"] is False:
        disabled = disabled_dependencies_of(flag, state.flags_of(flag["team_id"]))
        if disabled:
            raise validation_error(
                "Cannot enable this feature flag because it depends on disabled flags: "
                f"{_listing(disabled)}. Please enable the dependency flags first."
            )


def _restore_key(state: PostHogState, flag: Record, fields: dict[str, Any]) -> None:
    """On undelete, give a tombstone-renamed flag its key back (or the next free variant)."""
    if fields.get("deleted") is not False or not flag["deleted"] or "key" in fields:
        return
    match = _DELETED_SUFFIX.match(flag["key"])
    if match:
        fields["key"] = _next_free_key(state, flag, match.group("key"))


def _next_free_key(state: PostHogState, flag: Record, base: str) -> str:
    taken = {f["key"] for f in state.flags_of(flag["team_id"]) if f["id"] != flag["id"]}
    candidate, suffix = base, 2
    while candidate in taken:
        candidate, suffix = f"{base}-{suffix}", suffix + 1
    return candidate


def _conflicting_fields(flag: Record, fields: dict[str, Any], original: Any) -> list[str]:
    """`_get_conflicting_changes`: fields this caller changes that someone else changed too."""
    if not isinstance(original, dict) or not original:
        return []
    changed = [
        name for name, value in fields.items() if name in original and value != original[name]
    ]
    return [
        name
        for name in changed
        if original[name] != flag.get(name) and fields[name] != flag.get(name)
    ]


def _discard_unchanged_stale_fields(fields: dict[str, Any], original: Any) -> dict[str, Any]:
    """A stale write keeps only what its sender changed from the `original_flag` it started
    from, so a concurrent edit of another field survives (`_discard_unchanged_stale_fields`)."""
    if not isinstance(original, dict) or not original:
        return fields
    return {
        name: value
        for name, value in fields.items()
        if name not in original or value != original[name]
    }


def update_flag(
    state: PostHogState,
    flag: Record,
    user: Record,
    data: dict[str, Any],
    *,
    method: str,
    gated: bool = True,
) -> Record:
    """PATCH/PUT /feature_flags/{id}/: applies the change to the stored record.

    `gated`: the approval gate on `FeatureFlagSerializer.update` runs after validation (a
    change request applying its approved change is not gated again)."""
    fields = validate_fields(state, flag["team_id"], data, method=method, instance=flag)
    check_archived_is_disabled(fields, flag)
    if gated:
        from .approval_gate import gate

        gate(state, flag, user, data, method)
    fields.pop("creation_context", None)
    fields.pop("_should_create_usage_dashboard", None)
    _check_delete(state, flag, fields)
    _check_active_toggle(state, flag, fields)
    _restore_key(state, flag, fields)
    if "key" in fields and fields["key"] != flag["key"]:
        _free_tombstones(state, flag["team_id"], fields["key"], keep=flag)
    version = data.get("version", -1)
    current_version = flag.get("version") or 0
    if version != -1 and version != current_version:
        clashes = _conflicting_fields(flag, fields, data.get("original_flag"))
        if clashes:
            editor = state.user(flag.get("last_modified_by_id"))
            who = editor["email"] if editor else "another user"
            raise conflict(
                f"The feature flag was updated by {who} since you started editing it. "
                "Please refresh and try again."
            )
        fields = _discard_unchanged_stale_fields(fields, data.get("original_flag"))
    if fields.get("active"):
        fields["performed_rollback"] = False
    fields.pop("version", None)
    state.changing(flag)
    flag.update(fields)
    flag["version"] = current_version + 1
    flag["last_modified_by_id"] = user["id"]
    flag["updated_at"] = now_iso()
    if "filters" in fields:
        _propagate_variants(state, flag)
    return flag


def _propagate_variants(state: PostHogState, flag: Record) -> None:
    """Push the flag's variants (and group type) into its experiments' parameters."""
    variants = (flag["filters"].get("multivariate") or {}).get("variants", [])
    aggregation = flag["filters"].get("aggregation_group_type_index")
    for experiment in state.experiments_of_flag(flag["id"]):
        parameters = dict(experiment.get("parameters") or {})
        parameters["feature_flag_variants"] = variants
        if aggregation is not None:
            parameters["aggregation_group_type_index"] = aggregation
        else:
            parameters.pop("aggregation_group_type_index", None)
        experiment["parameters"] = parameters
        experiment["updated_at"] = now_iso()


def set_active(flag: Record, active: bool, *, state: PostHogState | None = None) -> None:
    """A lifecycle toggle that bypasses the serializer (`flag.save(update_fields=["active"])`):
    no version bump, no validation. `state`: the flag's, so a failed request can undo it."""
    if state is not None:
        state.changing(flag)
    flag["active"] = active


def touch(flag: Record, *, state: PostHogState | None = None) -> None:
    """`flag.save()` from a service: `updated_at` moves, `version` does not."""
    if state is not None:
        state.changing(flag)
    flag["updated_at"] = now_iso()
