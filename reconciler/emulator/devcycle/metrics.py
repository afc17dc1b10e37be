"""Experiment metrics (`/v1/projects/{project}/metrics`) and their association with features
(`/v1/projects/{project}/metric-associations`).

A metric names an event the SDKs send and how to aggregate it (`dimension`) and which way is
better (`optimize`); an experiment is a feature with metrics associated. Bodies are the vendor's
`CreateMetricDto` / `UpdateMetricDto` / `CreateMetricAssociationDto`, validated against its
schemas (key rule, `dimension` and `optimize` enums, required fields). An association is read
back as the vendor's `MetricAssociation`: `{_project, feature, metric, createdAt}` with the
whole `Feature` and `Metric` embedded.

Adding or removing a metric is exempt from the approval workflow (vendor docs,
approval-workflows), so association writes pass neither the workflow gate nor the lock of a
pending change request.

Vendor behaviour unknown, and the emulator's choices:
- the 409 `errorType` of a taken metric key, `ERR_DUPE_METRIC_KEY` (by analogy with
  `ERR_DUPE_FEATURE_KEY`); associating a metric twice answers the existing association (201:
  the document declares no 409 there);
- metric, feature and filters are named by key or `_id`; an unknown one is a 404, in the
  association filters too, and deleting an association that does not exist is a 404;
- deleting a metric deletes its associations (it is no longer measured anywhere), and deleting
  a feature deletes the feature's associations;
- associations are listed oldest first, unpaged (the vendor declares no paging for them).
"""

from __future__ import annotations

import copy

from .documents import render_feature
from .errors import BadRequest, NotFound
from .http import Call, Reply, paged_reply
from .pagination import check_enum
from .store import DevCycleStore, Doc
from .validation import validate_body

ERR_DUPE = "ERR_DUPE_METRIC_KEY"
DIMENSIONS = (
    "COUNT_PER_UNIQUE_USER",
    "COUNT_PER_VARIABLE_EVALUATION",
    "SUM_PER_UNIQUE_USER",
    "AVERAGE_PER_UNIQUE_USER",
    "TOTAL_AVERAGE",
    "TOTAL_SUM",
)
FIELDS = ("key", "name", "description", "event", "dimension", "optimize")


# -- metrics ---------------------------------------------------------------------------------


def list_metrics(call: Call) -> Reply:
    """Paged; `dimension` filters by aggregation."""
    store = call.store
    project = store.project(call.param("project"))
    dimension = check_enum(call.query, "dimension", DIMENSIONS)
    metrics = store.in_project("metrics", project["_id"])
    return paged_reply(
        call, metrics, dict, lambda m: dimension is None or m["dimension"] == dimension
    )


def create_metric(call: Call) -> Reply:
    store = call.store
    project = store.project(call.param("project"))
    body = validate_body(call.body, "CreateMetricDto")
    store.ensure_unique_key("metrics", project["_id"], body["key"], ERR_DUPE)
    now = store.now()
    metric: Doc = {
        "_id": store.new_id(),
        "_project": project["_id"],
        **{name: copy.deepcopy(body[name]) for name in FIELDS if name in body},
        "source": call.source,
        "_createdBy": call.actor,
        "createdAt": now,
        "updatedAt": now,
    }
    store.metrics[metric["_id"]] = metric
    return Reply(dict(metric), status=201)


def get_metric(call: Call) -> Reply:
    store = call.store
    project = store.project(call.param("project"))
    return Reply(dict(store.get("metrics", project["_id"], call.param("key"))))


def update_metric(call: Call) -> Reply:
    store = call.store
    project = store.project(call.param("project"))
    current = store.get("metrics", project["_id"], call.param("key"))
    body = validate_body(call.body, "UpdateMetricDto")
    if "key" in body:
        store.ensure_unique_key("metrics", project["_id"], body["key"], ERR_DUPE, current["_id"])
    metric = copy.deepcopy(current)
    metric.update(copy.deepcopy(body))
    metric["updatedAt"] = store.now()
    store.metrics[metric["_id"]] = metric
    return Reply(dict(metric))


def delete_metric(call: Call) -> Reply:
    store = call.store
    project = store.project(call.param("project"))
    metric = store.get("metrics", project["_id"], call.param("key"))
    for association in _associations(store, project["_id"], metric=metric["_id"]):
        del store.metric_associations[association["_id"]]
    del store.metrics[metric["_id"]]
    return Reply()


# -- associations ----------------------------------------------------------------------------


def list_associations(call: Call) -> Reply:
    """Unpaged; filters `metric` and `feature` (key or id)."""
    store = call.store
    project = store.project(call.param("project"))
    metric = call.query.get("metric")
    feature = call.query.get("feature")
    found = _associations(
        store,
        project["_id"],
        metric=store.get("metrics", project["_id"], metric)["_id"] if metric else None,
        feature=store.get("features", project["_id"], feature)["_id"] if feature else None,
    )
    return Reply([_render(store, association) for association in found])


def create_association(call: Call) -> Reply:
    store = call.store
    project = store.project(call.param("project"))
    body = validate_body(call.body, "CreateMetricAssociationDto")
    metric = store.get("metrics", project["_id"], body["metric"])
    feature = store.get("features", project["_id"], body["feature"])
    # The OpenAPI document declares 201, 401, 403 and 404 for this route, no 409: associating
    # twice answers the association that exists. Vendor behaviour unknown: the live answer.
    existing = _associations(store, project["_id"], metric=metric["_id"], feature=feature["_id"])
    if existing:
        return Reply(_render(store, existing[0]), status=201)
    association: Doc = {
        "_id": store.new_id(),
        "_project": project["_id"],
        "_metric": metric["_id"],
        "_feature": feature["_id"],
        "createdAt": store.now(),
    }
    store.metric_associations[association["_id"]] = association
    return Reply(_render(store, association), status=201)


def delete_association(call: Call) -> Reply:
    """`?metric=&feature=`, both required."""
    store = call.store
    project = store.project(call.param("project"))
    missing = [
        f"{name} should not be empty" for name in ("metric", "feature") if not call.query.get(name)
    ]
    if missing:
        raise BadRequest(missing)
    metric = store.get("metrics", project["_id"], call.query["metric"])
    feature = store.get("features", project["_id"], call.query["feature"])
    found = _associations(store, project["_id"], metric=metric["_id"], feature=feature["_id"])
    if not found:
        raise NotFound(f"{metric['key']}/{feature['key']}")
    del store.metric_associations[found[0]["_id"]]
    return Reply()


def forget_feature(store: DevCycleStore, feature: Doc) -> None:
    """Drop a deleted feature's associations."""
    for association in _associations(store, feature["_project"], feature=feature["_id"]):
        del store.metric_associations[association["_id"]]


def _associations(
    store: DevCycleStore, project_id: str, metric: str | None = None, feature: str | None = None
) -> list[Doc]:
    return [
        association
        for association in store.in_project("metricAssociations", project_id)
        if (metric is None or association["_metric"] == metric)
        and (feature is None or association["_feature"] == feature)
    ]


def _render(store: DevCycleStore, association: Doc) -> Doc:
    return {
        "_project": association["_project"],
        "feature": render_feature(store, store.features[association["_feature"]]),
        "metric": dict(store.metrics[association["_metric"]]),
        "createdAt": association["createdAt"],
    }
