"""How PostHog renders an experiment, and which experiments its list endpoint returns.

Lifecycle state is derived the way PostHog derives it: a draft has no `start_date`; an
experiment with an `end_date` is stopped; a started one whose flag is inactive is paused.
Soft-deleted experiments are hidden from list *and* retrieve (unlike flags): PostHog's
experiment queryset excludes them for every action except a PATCH that restores one.
"""

from __future__ import annotations

import copy
from typing import Any

from starlette.datastructures import QueryParams

from .flag_read import minimal_flag, user_basic
from .state import PostHogState, Record


def is_draft(experiment: Record) -> bool:
    """Not launched yet."""
    return experiment.get("start_date") is None


def is_stopped(experiment: Record) -> bool:
    """Ended (`end/` or an `end_date` set by PATCH)."""
    return experiment.get("end_date") is not None


def status(state: PostHogState, experiment: Record) -> str:
    """`draft`, `running`, `paused` or `stopped`."""
    if is_draft(experiment):
        return "draft"
    if is_stopped(experiment):
        return "stopped"
    flag = state.flag_by_id(experiment["feature_flag_id"])
    return "running" if flag is not None and flag["active"] else "paused"


def serialize_holdout(state: PostHogState, holdout: Record | None) -> dict[str, Any] | None:
    """`ExperimentHoldoutSerializer` output, or None when the experiment has no holdout."""
    if holdout is None:
        return None
    return {
        "id": holdout["id"],
        "name": holdout.get("name", ""),
        "description": holdout.get("description"),
        "filters": copy.deepcopy(holdout.get("filters", [])),
        "created_by": user_basic(state, holdout.get("created_by_id")),
        "created_at": holdout.get("created_at"),
        "updated_at": holdout.get("updated_at"),
    }


def serialize_experiment(state: PostHogState, experiment: Record) -> dict[str, Any]:
    """The `Experiment` object PostHog returns (plus the newer read-only `status`)."""
    flag = state.flag_by_id(experiment["feature_flag_id"])
    assert flag is not None
    holdout_id = experiment.get("holdout_id")
    holdout = state.holdout(experiment["team_id"], holdout_id) if holdout_id else None
    return {
        "id": experiment["id"],
        "name": experiment["name"],
        "description": experiment.get("description"),
        "start_date": experiment.get("start_date"),
        "end_date": experiment.get("end_date"),
        "feature_flag_key": flag["key"],
        "feature_flag": minimal_flag(flag),
        "holdout": serialize_holdout(state, holdout),
        "holdout_id": holdout_id,
        "exposure_cohort": None,
        "parameters": copy.deepcopy(experiment.get("parameters")),
        "secondary_metrics": copy.deepcopy(experiment.get("secondary_metrics", [])),
        "saved_metrics": [],
        "filters": copy.deepcopy(experiment.get("filters", {})),
        "archived": experiment.get("archived", False),
        "deleted": experiment["deleted"],
        "created_by": user_basic(state, experiment.get("created_by_id")),
        "created_at": experiment["created_at"],
        "updated_at": experiment["updated_at"],
        "type": experiment.get("type"),
        "exposure_criteria": copy.deepcopy(experiment.get("exposure_criteria")),
        "metrics": copy.deepcopy(experiment.get("metrics", [])),
        "metrics_secondary": copy.deepcopy(experiment.get("metrics_secondary", [])),
        "stats_config": copy.deepcopy(experiment.get("stats_config")),
        "conclusion": experiment.get("conclusion"),
        "conclusion_comment": experiment.get("conclusion_comment"),
        "primary_metrics_ordered_uuids": copy.deepcopy(
            experiment.get("primary_metrics_ordered_uuids")
        ),
        "secondary_metrics_ordered_uuids": copy.deepcopy(
            experiment.get("secondary_metrics_ordered_uuids")
        ),
        "user_access_level": "editor",
        "status": status(state, experiment),
    }


def list_experiments(state: PostHogState, project_id: int, query: QueryParams) -> list[Record]:
    """The list endpoint's experiments: not deleted, filtered, newest first."""
    rows = [e for e in state.experiments_of(project_id) if not e["deleted"]]
    wanted = (query.get("status") or "").lower()
    if wanted == "complete":
        wanted = "stopped"
    if wanted in ("draft", "running", "paused", "stopped"):
        rows = [e for e in rows if status(state, e) == wanted]
    # `filter_experiments_queryset`: `archived=true` lists only archived experiments, any other
    # value only the others, and without the parameter archived ones are left out.
    archived = query.get("archived", "false").lower() == "true"
    rows = [e for e in rows if bool(e.get("archived")) == archived]
    if query.get("search"):
        needle = query["search"].lower()
        rows = [e for e in rows if needle in e["name"].lower()]
    if query.get("feature_flag_id"):
        rows = [e for e in rows if str(e["feature_flag_id"]) == query["feature_flag_id"]]
    if query.get("created_by_id"):
        rows = [e for e in rows if str(e.get("created_by_id")) == query["created_by_id"]]
    return sorted(rows, key=lambda e: (e["created_at"], e["id"]), reverse=True)
