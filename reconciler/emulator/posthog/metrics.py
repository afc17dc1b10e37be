"""Experiment metrics: PostHog's shape checks, server-assigned `uuid`s and `fingerprint`s.

PostHog validates every inline metric against its `ExperimentMetric` pydantic union, rejects the
legacy `ExperimentTrendsQuery`/`ExperimentFunnelsQuery` kinds for new writes, gives each metric a
`uuid` when it has none (or a duplicate), and stamps a `fingerprint` that changes whenever the
metric or the analysis context (start date, stats method, exposure criteria) changes. A
reconciler must ignore both server-added keys when diffing, which is why the emulator adds them.
"""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from typing import Any

from .errors import ApiError, validation_error

LEGACY_KINDS = ("ExperimentTrendsQuery", "ExperimentFunnelsQuery")
SOURCE_KINDS = ("EventsNode", "ActionsNode", "ExperimentDataWarehouseNode")
_CLASS_FOR_TYPE = {
    "mean": "ExperimentMeanMetric",
    "funnel": "ExperimentFunnelMetric",
    "ratio": "ExperimentRatioMetric",
    "retention": "ExperimentRetentionMetric",
}
_REQUIRED_FOR_TYPE = {
    "mean": ("source",),
    "funnel": ("series",),
    "ratio": ("numerator", "denominator"),
    "retention": ("start_event", "completion_event"),
}


def _invalid(index: int, problem: str, attr: str) -> ApiError:
    return validation_error(f"Invalid metric at index {index}: {problem}", attr)


def _missing(index: int, metric_class: str, fields: list[str], attr: str) -> ApiError:
    # Vendor behaviour unknown: the exact pydantic error list PostHog echoes; this keeps its
    # `[{'loc': ..., 'type': ..., 'msg': ...}]` layout for the fields that are missing.
    errors = [
        {"loc": (metric_class, name), "type": "missing", "msg": "Field required"} for name in fields
    ]
    return _invalid(index, f"{errors}.", attr)


def validate_metrics(metrics: Any, attr: str) -> list[dict[str, Any]] | None:
    """`ExperimentService.validate_experiment_metrics`, raising with `attr` set to the field."""
    if metrics is None:
        return None
    if not isinstance(metrics, list):
        raise validation_error("Metrics must be a list", attr)
    for index, metric in enumerate(metrics):
        if not isinstance(metric, dict):
            raise _invalid(index, "must be a dict", attr)
        kind = metric.get("kind")
        if kind in LEGACY_KINDS:
            raise _invalid(
                index,
                f"legacy metric kind '{kind}' is no longer supported for new experiments. "
                "Use 'ExperimentMetric' instead.",
                attr,
            )
        if kind != "ExperimentMetric":
            raise _invalid(index, "metric kind must be 'ExperimentMetric'", attr)
        metric_type = metric.get("metric_type")
        if metric_type not in _CLASS_FOR_TYPE:
            errors = [
                {"loc": ("metric_type",), "type": "literal_error", "msg": "Input should be "
                 "'mean', 'funnel', 'ratio' or 'retention'"}
            ]  # fmt: skip
            raise _invalid(index, f"{errors}.", attr)
        missing = [name for name in _REQUIRED_FOR_TYPE[metric_type] if metric.get(name) is None]
        if missing:
            raise _missing(index, _CLASS_FOR_TYPE[metric_type], missing, attr)
        if metric_type == "funnel" and not metric["series"]:
            raise _invalid(
                index,
                "funnel metrics require at least one step. "
                "The experiment exposure event is added as the initial step automatically.",
                attr,
            )
        if metric_type == "mean" and (
            not isinstance(metric["source"], dict)
            or metric["source"].get("kind") not in SOURCE_KINDS
        ):
            raise _missing(index, "ExperimentMeanMetric", ["source.kind"], attr)
    return metrics


def assign_uuids(
    metrics: list[dict[str, Any]] | None, seen: set[str]
) -> list[dict[str, Any]] | None:
    """A copy with a unique `uuid` on every metric (missing or duplicate ones regenerated)."""
    if metrics is None:
        return None
    prepared = copy.deepcopy(metrics)
    for metric in prepared:
        original = metric.get("uuid")
        if not original or original in seen:
            metric["uuid"] = str(uuid.uuid4())
        seen.add(metric["uuid"])
    return prepared


def fingerprint(
    metric: dict[str, Any],
    start_date: str | None,
    stats_config: dict[str, Any] | None,
    exposure_criteria: dict[str, Any] | None,
) -> str:
    """A stable hash of a metric and its analysis context.

    Vendor behaviour unknown: PostHog's `compute_metric_fingerprint` algorithm. This hashes the
    same inputs (the metric without its uuid/fingerprint, start date, stats method, exposure
    criteria), so it changes exactly when PostHog's would, but the hex value differs.
    """
    method = (stats_config or {}).get("method", "bayesian")
    body = {k: v for k, v in metric.items() if k not in ("uuid", "fingerprint")}
    text = json.dumps(
        {"metric": body, "start": start_date, "method": method, "exposure": exposure_criteria},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode()).hexdigest()


def with_fingerprints(
    metrics: list[dict[str, Any]] | None,
    start_date: str | None,
    stats_config: dict[str, Any] | None,
    exposure_criteria: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    """A copy of `metrics` with fresh fingerprints."""
    result = copy.deepcopy(metrics or [])
    for metric in result:
        metric["fingerprint"] = fingerprint(metric, start_date, stats_config, exposure_criteria)
    return result


def synced_ordering(ordering: list[str] | None, metrics: list[dict[str, Any]]) -> list[str]:
    """An ordering array kept in step with the metrics: gone uuids dropped, new ones appended."""
    uuids = [m["uuid"] for m in metrics if m.get("uuid")]
    kept = [u for u in (ordering or []) if u in uuids]
    return kept + [u for u in uuids if u not in kept]
