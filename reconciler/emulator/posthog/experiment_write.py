"""Creating, updating and driving the lifecycle of experiments, as `ExperimentService` does.

An experiment owns a feature flag. Creating one creates the flag through the same serializer
rules a direct flag create uses (`name` "Feature Flag for Experiment <name>", variants from
`parameters.feature_flag_variants` or control/test 50/50, inactive while the experiment is a
draft). Decision where PostHog versions differ: an existing flag with the requested key is
*reused* when it has a `control` variant and at least two variants (newer servers); older
servers rejected the key as `unique`. The flag's variants are then the experiment's.

Lifecycle: `launch/` sets `start_date` and activates the flag; `pause/`/`resume/` toggle the
flag's `active` without a version bump (PostHog saves only that column); `end/` sets `end_date`
and leaves the flag alone. The older path, PATCHing `start_date` onto a draft, also launches.
While a draft, variant changes in `parameters` are pushed to the flag; after launch the variant
keys are frozen, and percentage changes reach the flag only with `update_feature_flag_params`.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import ApiError, validation_error
from .experiment_fields import CONCLUSIONS, validate_fields
from .experiment_read import is_draft, is_stopped
from .fields import as_bool, as_choice, as_str, now_iso
from .flag_write import create_flag, set_active, touch, update_flag
from .holdouts import flag_holdout, set_flag_holdout
from .metrics import assign_uuids, synced_ordering, with_fingerprints
from .state import PostHogState, Record
from .taxonomy import allow_unknown_events, check_metric_references

DEFAULT_VARIANTS = [
    {"key": "control", "name": "Control Group", "rollout_percentage": 50},
    {"key": "test", "name": "Test Variant", "rollout_percentage": 50},
]
UPDATABLE = frozenset(
    {
        "name", "description", "start_date", "end_date", "filters", "parameters", "archived",
        "deleted", "secondary_metrics", "holdout", "exposure_criteria", "metrics",
        "metrics_secondary", "stats_config", "conclusion", "conclusion_comment",
        "primary_metrics_ordered_uuids", "secondary_metrics_ordered_uuids", "saved_metrics_ids",
    }
)  # fmt: skip


def _check_flag_usable(flag: Record) -> None:
    """`_validate_existing_flag`: an experiment needs control plus at least one test variant.

    Vendor behaviour unknown: PostHog reads `filters["multivariate"]` without a None guard, so a
    boolean flag stored with `"multivariate": null` probably answers 500 there; it is the same
    400 as a flag with too few variants here.
    """
    variants = (flag["filters"].get("multivariate") or {}).get("variants", [])
    if len(variants) < 2:
        raise validation_error(
            "Feature flag must have at least 2 variants (control and at least one test variant)"
        )
    if "control" not in [variant.get("key") for variant in variants]:
        raise validation_error("Feature flag must have a variant with key 'control'")


def _ensure_flag(
    state: PostHogState,
    project_id: int,
    user: Record,
    key: str,
    name: str,
    parameters: dict[str, Any] | None,
    draft: bool,
    holdout: Record | None = None,
) -> Record:
    existing = next((f for f in state.flags_of(project_id) if f["key"] == key), None)
    if existing is not None:
        _check_flag_usable(existing)
        return existing
    params = parameters or {}
    filters: dict[str, Any] = {
        "groups": [{"properties": [], "rollout_percentage": params.get("rollout_percentage", 100)}],
        "multivariate": {
            "variants": params.get("feature_flag_variants") or copy.deepcopy(DEFAULT_VARIANTS)
        },
        "aggregation_group_type_index": params.get("aggregation_group_type_index"),
    }
    if params.get("feature_flag_payloads"):
        filters["payloads"] = params["feature_flag_payloads"]
    if holdout is not None:
        filters["holdout"] = flag_holdout(holdout)
    return create_flag(
        state,
        project_id,
        user,
        {
            "key": key,
            "name": f"Feature Flag for Experiment {name}",
            "filters": filters,
            "active": not draft,
            "creation_context": "experiments",
            "ensure_experience_continuity": bool(params.get("ensure_experience_continuity")),
        },
    )


def create_experiment(
    state: PostHogState, project_id: int, user: Record, data: dict[str, Any]
) -> Record:
    """POST /experiments/: the stored experiment (its flag created or reused)."""
    fields = validate_fields(state, project_id, data, creating=True)
    allow_unknown = allow_unknown_events(data)
    for name in ("metrics", "metrics_secondary"):
        check_metric_references(state, project_id, fields.get(name), allow_unknown)
    seen: set[str] = set()
    metrics = assign_uuids(fields.get("metrics"), seen) or []
    metrics_secondary = assign_uuids(fields.get("metrics_secondary"), seen) or []
    start_date = fields.get("start_date")
    flag = _ensure_flag(
        state,
        project_id,
        user,
        fields["get_feature_flag_key"],
        fields["name"],
        fields.get("parameters"),
        draft=start_date is None,
        holdout=state.holdout(project_id, fields["holdout"]) if fields.get("holdout") else None,
    )
    stats_config = dict(fields.get("stats_config") or {})
    stats_config.setdefault("method", "bayesian")
    exposure = dict(fields.get("exposure_criteria") or {})
    if exposure.get("filterTestAccounts") is None:
        exposure["filterTestAccounts"] = True
    now = now_iso()
    experiment: Record = {
        "id": state.next_id("experiment"),
        "team_id": project_id,
        "name": fields["name"],
        "description": fields.get("description") or "",
        "start_date": start_date,
        "end_date": fields.get("end_date"),
        "feature_flag_id": flag["id"],
        "holdout_id": fields.get("holdout"),
        "parameters": fields.get("parameters"),
        "secondary_metrics": fields.get("secondary_metrics") or [],
        "filters": fields.get("filters") or {},
        "archived": fields.get("archived", False),
        "deleted": bool(fields.get("deleted")),
        "created_by_id": user["id"],
        "created_at": now,
        "updated_at": now,
        "type": fields.get("type") or "product",
        "exposure_criteria": exposure,
        "metrics": with_fingerprints(metrics, start_date, stats_config, exposure),
        "metrics_secondary": with_fingerprints(
            metrics_secondary, start_date, stats_config, exposure
        ),
        "stats_config": stats_config,
        "conclusion": fields.get("conclusion"),
        "conclusion_comment": fields.get("conclusion_comment"),
        "primary_metrics_ordered_uuids": synced_ordering(
            fields.get("primary_metrics_ordered_uuids"), metrics
        ),
        "secondary_metrics_ordered_uuids": synced_ordering(
            fields.get("secondary_metrics_ordered_uuids"), metrics_secondary
        ),
    }
    state.experiments.append(experiment)
    return experiment


def _check_update(state: PostHogState, experiment: Record, fields: dict[str, Any]) -> None:
    """`_validate_update_payload`, before anything is written."""
    flag = state.flag_by_id(experiment["feature_flag_id"])
    assert flag is not None
    if experiment["deleted"] and fields.get("deleted") is False and flag["deleted"]:
        raise validation_error(
            "Cannot restore experiment: the linked feature flag has been deleted. "
            "Restore the feature flag first, then restore the experiment."
        )
    if is_draft(experiment) and fields.get("start_date") is not None:
        _check_launchable(flag)
    extra = set(fields) - UPDATABLE
    if fields.get("get_feature_flag_key") == flag["key"]:
        extra.discard("get_feature_flag_key")
    if extra:
        raise validation_error(f"Can't update keys: {', '.join(sorted(extra))} on Experiment")
    if not is_draft(experiment):
        new_variants = (fields.get("parameters") or {}).get("feature_flag_variants")
        if new_variants is not None:
            old_keys = [
                v["key"] for v in (flag["filters"].get("multivariate") or {}).get("variants", [])
            ]
            if len(new_variants) != len(old_keys) or any(
                old_keys.count(variant["key"]) != 1 for variant in new_variants
            ):
                raise validation_error("Can't update feature_flag_variants on Experiment")
        if "holdout" in fields and fields["holdout"] != experiment.get("holdout_id"):
            raise validation_error("Can't update holdout on running Experiment")
    if isinstance(fields.get("filters"), dict) and fields["filters"].get("properties"):
        raise validation_error("Experiments do not support global filter properties")


def _check_launchable(flag: Record) -> None:
    if flag["deleted"]:
        raise validation_error(
            "Experiment cannot be launched because its feature flag has been deleted."
        )
    _check_flag_usable(flag)


def _sync_flag(
    state: PostHogState, experiment: Record, user: Record, fields: dict[str, Any]
) -> None:
    """Push `parameters` variants to the flag through the flag serializer (a versioned write)."""
    parameters = fields.get("parameters")
    if not parameters:
        return
    flag = state.flag_by_id(experiment["feature_flag_id"])
    assert flag is not None
    groups = copy.deepcopy(flag["filters"].get("groups") or [])
    rollout = parameters.get("rollout_percentage")
    if rollout is not None and groups:
        groups[0]["rollout_percentage"] = rollout
    filters = {
        **copy.deepcopy(flag["filters"]),
        "groups": groups,
        "multivariate": {
            "variants": parameters.get("feature_flag_variants") or copy.deepcopy(DEFAULT_VARIANTS)
        },
        "aggregation_group_type_index": parameters.get("aggregation_group_type_index"),
    }
    for group in filters["groups"]:
        # The flag's per-group copy would otherwise pin the old aggregation.
        group.pop("aggregation_group_type_index", None)
    update_flag(state, flag, user, {"filters": filters}, method="PATCH")


def update_experiment(
    state: PostHogState, experiment: Record, user: Record, data: dict[str, Any], *, method: str
) -> Record:
    """PATCH/PUT /experiments/{id}/."""
    update_params = as_bool(
        data.get("update_feature_flag_params", False), "update_feature_flag_params"
    )
    fields = validate_fields(state, experiment["team_id"], data, creating=method == "PUT")
    allow_unknown = allow_unknown_events(data)
    for name in ("metrics", "metrics_secondary"):
        if name in fields:
            check_metric_references(state, experiment["team_id"], fields[name], allow_unknown)
    seen = {
        m["uuid"]
        for name in ("metrics", "metrics_secondary")
        if name not in fields
        for m in experiment.get(name) or []
        if m.get("uuid")
    }
    for name in ("metrics", "metrics_secondary"):
        if name in fields:
            fields[name] = assign_uuids(fields[name], seen) or []
    _check_update(state, experiment, fields)
    fields.pop("saved_metrics_ids", None)
    fields.pop("get_feature_flag_key", None)
    if is_draft(experiment) or update_params:
        _sync_flag(state, experiment, user, fields)
    if (
        is_draft(experiment)
        and "holdout" in fields
        and fields["holdout"] != experiment.get("holdout_id")
    ):
        # A draft's holdout change reaches its flag, as a variant change does.
        flag = state.flag_by_id(experiment["feature_flag_id"])
        assert flag is not None
        holdout = state.holdout(experiment["team_id"], fields["holdout"] or 0)
        set_flag_holdout(state, flag, user, holdout)
    merged = {**experiment, **fields}
    for name, ordering in (
        ("metrics", "primary_metrics_ordered_uuids"),
        ("metrics_secondary", "secondary_metrics_ordered_uuids"),
    ):
        merged[name] = with_fingerprints(
            merged.get(name), merged.get("start_date"), merged.get("stats_config"),
            merged.get("exposure_criteria"),
        )  # fmt: skip
        if name in fields:
            merged[ordering] = synced_ordering(merged.get(ordering), merged[name])
    if is_draft(experiment) and fields.get("start_date") is not None:
        flag = state.flag_by_id(experiment["feature_flag_id"])
        assert flag is not None
        set_active(flag, True, state=state)
        touch(flag, state=state)
    if "holdout" in fields:
        merged["holdout_id"] = merged.pop("holdout")
    merged["updated_at"] = now_iso()
    experiment.clear()
    experiment.update(merged)
    return experiment


def _lifecycle_error(detail: str) -> ApiError:
    return validation_error(detail)


def launch(state: PostHogState, experiment: Record) -> Record:
    """POST /experiments/{id}/launch/."""
    if not is_draft(experiment):
        raise _lifecycle_error("Experiment has already been launched.")
    flag = state.flag_by_id(experiment["feature_flag_id"])
    assert flag is not None
    _check_launchable(flag)
    experiment["start_date"] = now_iso()
    for name in ("metrics", "metrics_secondary"):
        experiment[name] = with_fingerprints(
            experiment.get(name), experiment["start_date"], experiment.get("stats_config"),
            experiment.get("exposure_criteria"),
        )  # fmt: skip
    set_active(flag, True, state=state)
    touch(flag, state=state)
    experiment["updated_at"] = now_iso()
    return experiment


def _check_running(experiment: Record) -> None:
    if is_draft(experiment):
        raise _lifecycle_error("Experiment has not been launched yet.")
    if is_stopped(experiment):
        raise _lifecycle_error("Experiment has already ended.")


def pause(state: PostHogState, experiment: Record) -> Record:
    """POST /experiments/{id}/pause/: the flag stops serving variants."""
    _check_running(experiment)
    flag = state.flag_by_id(experiment["feature_flag_id"])
    assert flag is not None
    if not flag["active"]:
        raise _lifecycle_error("Experiment is already paused.")
    set_active(flag, False, state=state)
    return experiment


def resume(state: PostHogState, experiment: Record) -> Record:
    """POST /experiments/{id}/resume/."""
    _check_running(experiment)
    flag = state.flag_by_id(experiment["feature_flag_id"])
    assert flag is not None
    if flag["active"]:
        raise _lifecycle_error("Experiment is not paused.")
    set_active(flag, True, state=state)
    return experiment


def end(experiment: Record, data: dict[str, Any]) -> Record:
    """POST /experiments/{id}/end/: freezes the results window; the flag keeps serving."""
    conclusion = as_choice(data.get("conclusion"), "conclusion", CONCLUSIONS, allow_null=True)
    comment = as_str(data.get("conclusion_comment"), "conclusion_comment", allow_null=True)
    _check_running(experiment)
    experiment["end_date"] = now_iso()
    experiment["conclusion"] = conclusion
    experiment["conclusion_comment"] = comment
    experiment["updated_at"] = now_iso()
    return experiment


def archive(experiment: Record) -> Record:
    """POST /experiments/{id}/archive/ (`ExperimentService.archive_experiment`): only an ended
    experiment, once; it stays stopped and leaves the list unless `archived` is asked for.

    Vendor behaviour unknown: the exact messages. PostHog's tests
    (`test_archive_experiment_not_ended_raises`, `..._already_archived_raises`) show only that
    they contain "must be ended" and "already archived".
    """
    if not is_stopped(experiment):
        raise _lifecycle_error("Experiment must be ended before it can be archived.")
    if experiment.get("archived"):
        raise _lifecycle_error("Experiment is already archived.")
    experiment["archived"] = True
    experiment["updated_at"] = now_iso()
    return experiment
