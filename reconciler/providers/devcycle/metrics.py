"""DevCycle experiment metrics: reading them and their associations, planning their changes.

Metrics are project objects (`/v1/projects/{p}/metrics`); a feature measures one through a
metric association (`/v1/projects/{p}/metric-associations`). Reading costs two list calls: the
metrics (paged) and every association (one unpaged list). A metric is its own plan resource:
created and updated before the features that use it (apply runs metric steps first) and
deleted after them. Associations belong to the flag: they are added and removed by the flag's
own step, always directly, as DevCycle exempts metric add/remove from approval.

Metrics carry no ownership marker (DevCycle metrics have no tags, and their `source` says
"api" for any API client), so flagsync cannot tell a metric it created from one made in the
dashboard: a metric no manifest declares is never deleted, not even with `--prune`; the plan
lists it as not managed, to be deleted by hand if it is no longer wanted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from reconciler.model import Flag, Metric
from reconciler.plan import ApiCall, Change, Ref, Step, Subject, field_changes

METRIC_FIELDS = ("name", "description", "event", "dimension", "optimize")


def metric_to_model(raw: dict[str, Any]) -> Metric:
    return Metric(
        key=raw["key"],
        name=raw.get("name") or raw["key"],
        description=raw.get("description") or "",
        event=raw["event"],
        dimension=str(raw["dimension"]).lower(),  # type: ignore[arg-type]
        optimize=raw["optimize"],
    )


def is_created(found: Any, body: dict[str, Any]) -> bool:
    """Whether `found` is the metric a create with `body` makes: a create refused as a
    duplicate after a lost answer is then done; another metric under the key is a conflict."""
    if not isinstance(found, dict):
        return False
    try:
        return metric_to_model(found) == metric_to_model(body)
    except (KeyError, ValueError):
        return False


def metric_body(metric: Metric) -> dict[str, Any]:
    """A `CreateMetricDto` (every field of `UpdateMetricDto` too)."""
    return {
        "key": metric.key,
        "name": metric.name,
        "description": metric.description,
        "event": metric.event,
        "dimension": metric.dimension.upper(),
        "optimize": metric.optimize,
    }


def read(
    metric_pages: Iterable[list[Any]], associations: Any
) -> tuple[dict[str, Metric], dict[str, tuple[str, ...]]]:
    """The project's metrics by key (from the pages of `/metrics`), and the metric keys
    associated with each feature key (from the answer of `/metric-associations`)."""
    metrics = {m["key"]: metric_to_model(m) for page in metric_pages for m in page}
    by_feature: dict[str, list[str]] = {}
    for association in associations if isinstance(associations, list) else []:
        feature = (association.get("feature") or {}).get("key")
        metric = (association.get("metric") or {}).get("key")
        if feature and metric:
            by_feature.setdefault(feature, []).append(metric)
    return metrics, {key: tuple(sorted(keys)) for key, keys in by_feature.items()}


def plan(
    v1: str,
    desired: dict[str, Metric],
    live: dict[str, Metric],
    used_elsewhere: set[str],
    prune: bool,
) -> tuple[list[Change], list[Step], list[str]]:
    """Changes and steps for the project's metrics, and the undeclared metrics left alone
    (all of them: `prune` and `used_elsewhere` delete nothing, see the module's docstring)."""
    changes: list[Change] = []
    steps: list[Step] = []
    for key, metric in desired.items():
        body = metric_body(metric)
        current = live.get(key)
        if current is None:
            fields = field_changes({}, _fields(metric))
            changes.append(Change(action="create", resource="metric", key=key, fields=fields))
            made = Ref(resource="metric", key=key, field="_id")
            call = ApiCall(
                method="POST",
                path=f"{v1}/metrics",
                body=body,
                makes=made,
                subject=Subject(kind="metric", key=key),
            )
            steps.append(Step(action="create", resource="metric", key=key, calls=[call]))
        elif current != metric:
            fields = field_changes(_fields(current), _fields(metric))
            changes.append(Change(action="update", resource="metric", key=key, fields=fields))
            before = metric_body(current)
            patch = {name: value for name, value in body.items() if before[name] != value}
            call = ApiCall(
                method="PATCH",
                path=_path(v1, key),
                body=patch,
                subject=Subject(kind="metric", key=key),
            )
            steps.append(Step(action="update", resource="metric", key=key, calls=[call]))
    left = [f"metric {key}" for key in sorted(set(live) - set(desired))]
    return changes, steps, left


def association_calls(v1: str, desired: Flag, live: tuple[str, ...]) -> list[ApiCall]:
    """Associate the metrics the flag gained, dissociate the ones it lost."""
    path = f"{v1}/metric-associations"
    added = [
        ApiCall(
            method="POST",
            path=path,
            role="associate",
            body={"metric": key, "feature": desired.key},
            subject=Subject(kind="metric_association", key=desired.key),
        )
        for key in desired.metrics
        if key not in live
    ]
    removed = [
        ApiCall(
            method="DELETE",
            path=path,
            role="dissociate",
            params={"metric": key, "feature": desired.key},
            subject=Subject(kind="metric_association", key=desired.key),
        )
        for key in live
        if key not in desired.metrics
    ]
    return removed + added


def _fields(metric: Metric) -> dict[str, Any]:
    return metric.model_dump(mode="json", include=set(METRIC_FIELDS))


def _path(v1: str, key: str) -> str:
    return f"{v1}/metrics/{quote(key, safe='')}"
