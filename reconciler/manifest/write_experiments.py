"""PostHog experiments and holdouts (model) -> manifest data: the inverse of
`build_experiment` and `build_holdout`, for `flagsync import`.

Defaults are left out as a person would leave them out: PostHog's control/test 50/50 without
payloads, an empty description or metric list, `status: draft`, no holdout. The law, tested with
hypothesis, is `build_experiment(experiment_data(e)) == e` (and the same for holdouts).
"""

from __future__ import annotations

from typing import Any

from reconciler.manifest.experiments import CONTROL, DEFAULT_VARIANTS
from reconciler.manifest.write import _number
from reconciler.model import Experiment, ExperimentVariant, Holdout


def experiment_data(experiment: Experiment) -> dict[str, Any]:
    """An experiment as manifest data, in the manifest's field order."""
    data: dict[str, Any] = {"key": experiment.key, "name": experiment.name}
    if experiment.description:
        data["description"] = experiment.description
    default = {key: ExperimentVariant(split=split) for key, split in DEFAULT_VARIANTS.items()}
    if experiment.variants != default:
        ordered = sorted(experiment.variants.items(), key=lambda kv: (kv[0] != CONTROL, kv[0]))
        data["variants"] = [_variant(key, variant) for key, variant in ordered]
    if experiment.metrics:
        data["metrics"] = [dict(metric) for metric in experiment.metrics]
    if experiment.secondary_metrics:
        data["secondary_metrics"] = [dict(metric) for metric in experiment.secondary_metrics]
    if experiment.holdout is not None:
        data["holdout"] = experiment.holdout
    if experiment.status != "draft":
        data["status"] = experiment.status
    data["environments"] = list(experiment.environments)
    return data


def _variant(key: str, variant: ExperimentVariant) -> dict[str, Any]:
    data: dict[str, Any] = {"key": key, "split": _number(variant.split)}
    if variant.payload is not None:
        data["payload"] = variant.payload
    return data


def holdout_data(holdout: Holdout) -> dict[str, Any]:
    """A holdout as manifest data, in the manifest's field order."""
    data: dict[str, Any] = {"name": holdout.name}
    if holdout.description:
        data["description"] = holdout.description
    data["percentage"] = _number(holdout.percentage)
    data["environments"] = list(holdout.environments)
    return data
