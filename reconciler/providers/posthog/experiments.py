"""PostHog experiments <-> the model: one project's experiment (and its flag) as an `Experiment`,
and the request bodies that create and update one.

PostHog derives an experiment's state from its dates (no start: draft; started: running, paused
included; ended: stopped), keeps the variants in `parameters.feature_flag_variants` (mirrored
from its flag, which is the source of truth) and the payloads on the flag only. Metrics are sent
as the manifest writes them; the `uuid` and `fingerprint` PostHog adds are dropped by the model.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.model import Experiment, ExperimentStatus, ExperimentVariant
from reconciler.ownership import without_markers
from reconciler.providers.posthog.translate import OWNERSHIP_TAG, decode_payload, is_owned

CONTROL = "control"


def status_of(raw: dict[str, Any]) -> ExperimentStatus:
    """draft, running or stopped, from the dates (PostHog's `paused` is a running experiment
    whose flag is off: still running as far as the manifest's lifecycle goes); archived when
    PostHog says so (only an ended experiment can be archived)."""
    if raw.get("archived"):
        return "archived"
    if not raw.get("start_date"):
        return "draft"
    return "stopped" if raw.get("end_date") else "running"


def experiment_to_model(raw: dict[str, Any], flag: dict[str, Any] | None, env: str) -> Experiment:
    """The model of one project's experiment; `flag` is its feature flag as listed (payloads)."""
    filters = (flag or {}).get("filters") or {}
    variants = ((raw.get("parameters") or {}).get("feature_flag_variants")) or (
        (filters.get("multivariate") or {}).get("variants") or []
    )
    payloads = {str(k): decode_payload(v) for k, v in (filters.get("payloads") or {}).items()}
    return Experiment(
        key=str(raw.get("feature_flag_key") or (flag or {}).get("key") or ""),
        name=str(raw.get("name") or ""),
        description=str(raw.get("description") or ""),
        variants={
            str(v["key"]): ExperimentVariant(
                split=float(_split(v)), payload=payloads.get(str(v["key"]))
            )
            for v in variants
        },
        metrics=tuple(raw.get("metrics") or ()),
        secondary_metrics=tuple(raw.get("metrics_secondary") or ()),
        status=status_of(raw),
        environments=(env,),
        holdout=str((raw.get("holdout") or {}).get("name") or "") or None,
    )


def _split(variant: dict[str, Any]) -> Any:
    value = variant.get("split_percent")
    return variant.get("rollout_percentage") if value is None else value


def _number(value: float) -> int | float:
    """Whole percentages as integers: PostHog checks that the splits add up to exactly 100."""
    return int(value) if float(value).is_integer() else float(value)


def variants_body(experiment: Experiment) -> list[dict[str, Any]]:
    """`feature_flag_variants`, control first (PostHog's UI order), then by key."""
    ordered = sorted(experiment.variants.items(), key=lambda item: (item[0] != CONTROL, item[0]))
    return [{"key": key, "rollout_percentage": _number(variant.split)} for key, variant in ordered]


def payloads_body(experiment: Experiment) -> dict[str, str]:
    """The flag's `payloads`: JSON-encoded strings by variant, as PostHog stores them."""
    return {
        key: json.dumps(variant.payload)
        for key, variant in experiment.variants.items()
        if variant.payload is not None
    }


def create_body(experiment: Experiment, holdout_id: int | str | None = None) -> dict[str, Any]:
    """POST /experiments/: PostHog creates the flag (inactive while a draft) from it;
    `holdout_id` is the project's id of the experiment's holdout (or its placeholder)."""
    parameters: dict[str, Any] = {"feature_flag_variants": variants_body(experiment)}
    payloads = payloads_body(experiment)
    if payloads:
        parameters["feature_flag_payloads"] = payloads
    return {
        "name": experiment.name,
        "description": experiment.description,
        "feature_flag_key": experiment.key,
        "parameters": parameters,
        "metrics": list(experiment.metrics),
        "metrics_secondary": list(experiment.secondary_metrics),
        **({"holdout_id": holdout_id} if holdout_id is not None else {}),
    }


def update_body(
    desired: Experiment, live: Experiment, raw: dict[str, Any], holdout_id: int | str | None = None
) -> dict[str, Any] | None:
    """PATCH /experiments/{id}/ with the fields that differ, or None when none does.

    `parameters` is replaced wholesale by newer servers, so it is sent complete (what was read,
    with the new variants). After launch PostHog moves the flag's splits only when asked with
    `update_feature_flag_params` (the variant keys are frozen; the plan refuses that earlier).
    """
    body: dict[str, Any] = {}
    if desired.name != live.name:
        body["name"] = desired.name
    if desired.description != live.description:
        body["description"] = desired.description
    if desired.metrics != live.metrics:
        body["metrics"] = list(desired.metrics)
    if desired.secondary_metrics != live.secondary_metrics:
        body["metrics_secondary"] = list(desired.secondary_metrics)
    if desired.holdout != live.holdout:
        body["holdout_id"] = holdout_id
    if _splits(desired) != _splits(live):
        parameters = dict(raw.get("parameters") or {})
        parameters["feature_flag_variants"] = variants_body(desired)
        body["parameters"] = parameters
        if live.status != "draft":
            body["update_feature_flag_params"] = True
    return body or None


def _splits(experiment: Experiment) -> dict[str, float]:
    return {key: variant.split for key, variant in experiment.variants.items()}


def _payloads(experiment: Experiment) -> dict[str, Any]:
    return {key: variant.payload for key, variant in experiment.variants.items()}


def flag_payloads_body(
    desired: Experiment, live: Experiment, flag: dict[str, Any]
) -> dict[str, Any] | None:
    """PATCH /feature_flags/{id}/ for the experiment's flag when the payloads differ: complete
    filters (the desired variants included, so a variant change sent just before is kept)."""
    if _payloads(desired) == _payloads(live):
        return None
    filters = dict(flag.get("filters") or {})
    filters["multivariate"] = {"variants": variants_body(desired)}
    filters["payloads"] = payloads_body(desired)
    return {"filters": filters}


def ownership_body(flag: dict[str, Any] | None, marker: str = OWNERSHIP_TAG) -> dict[str, Any]:
    """The flag's tags with the workspace's marker in place of any other: how a workspace
    knows an experiment is its own (experiments have no tags of their own)."""
    tags = without_markers((flag or {}).get("tags") or [])
    return {"tags": sorted({*tags, marker})}


def owned(flag: dict[str, Any] | None) -> bool:
    return flag is not None and is_owned(flag)
