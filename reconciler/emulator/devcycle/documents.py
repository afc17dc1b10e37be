"""Feature and variable documents: how they are stored, rendered and written back.

A stored feature keeps its targeting as `configurations: {<environment _id>: config}` and does
not embed its variables (a variable belongs to a feature through its own `_feature`). Rendering
turns that into the vendor's `Feature` (variables embedded as full `Variable` objects, one
`FeatureConfig` per environment of the project, in environment order, and its open change
requests as `changeRequests`). `commit` is the single place a validated draft replaces the
stored documents.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any

from .change_request_documents import embedded_by_feature, open_requests, render_embedded
from .store import DevCycleStore, Doc
from .targeting import default_config, render_config

VARIABLE_FIELDS = ("name", "description", "type", "validationSchema", "tags", "persistent")


def new_variable(
    store: DevCycleStore,
    project_id: str,
    dto: dict[str, Any],
    feature_id: str | None,
    actor: str,
    now: str,
    source: str = "api",
) -> Doc:
    """A variable document (not yet stored) from a `CreateVariableDto`."""
    variable: Doc = {
        "_id": store.new_id(),
        "_project": project_id,
        "key": dto["key"],
        # Vendor behaviour unknown: the default name; the vendor's own data shows name == key.
        "name": dto.get("name", dto["key"]),
        "type": dto["type"],
        "status": "active",
        "source": source,
        "_createdBy": actor,
        "createdAt": now,
        "updatedAt": now,
    }
    if feature_id is not None:
        variable["_feature"] = feature_id
    for name in ("description", "validationSchema", "tags"):
        if name in dto:
            variable[name] = copy.deepcopy(dto[name])
    return variable


def updated_variable(variable: Doc, fields: dict[str, Any], now: str) -> Doc:
    """A copy of a variable with the given `VARIABLE_FIELDS` (and `key`) replaced."""
    changed = copy.deepcopy(variable)
    for name in ("key", *VARIABLE_FIELDS):
        if name in fields:
            changed[name] = copy.deepcopy(fields[name])
    changed["updatedAt"] = now
    return changed


def feature_variables(store: DevCycleStore, feature_id: str) -> list[Doc]:
    """The variables attached to a feature, in creation order."""
    indexed = store.attached_variable_ids(feature_id)
    if indexed is None:
        attached = [v for v in store.variables.values() if v.get("_feature") == feature_id]
    else:
        found = (store.variables.get(doc_id) for doc_id in indexed)
        attached = [v for v in found if v is not None and v.get("_feature") == feature_id]
    return sorted(attached, key=lambda v: (v["createdAt"], v["_id"]))


def render_feature(
    store: DevCycleStore,
    feature: Doc,
    variables: list[Doc] | None = None,
    environments: list[Doc] | None = None,
    change_requests: list[Doc] | None = None,
    shared: bool = False,
) -> Doc:
    """A stored feature as the vendor's `Feature` object: a copy, or with `shared` one that
    shares the stored values, for a caller that encodes it at once, under the store's lock
    (deep copies were two thirds of the time a 1,000-feature page took)."""
    clone = _share if shared else copy.deepcopy
    if variables is None:
        variables = feature_variables(store, feature["_id"])
    if environments is None:
        environments = store.in_project("environments", feature["_project"])
    if change_requests is None:
        change_requests = [render_embedded(r) for r in open_requests(store, feature["_id"])]
    rendered = {name: clone(value) for name, value in feature.items() if name != "configurations"}
    rendered["variables"] = [dict(variable) for variable in variables]
    rendered["configurations"] = [
        render_config(feature, env, feature["configurations"].get(env["_id"]), shared)
        for env in environments
    ]
    # "Pending change requests for this Feature": the open ones (`draft` and `pending`).
    # Vendor behaviour unknown: whether drafts are listed, and that the array is always present.
    rendered["changeRequests"] = change_requests
    return rendered


def _share(value: Any) -> Any:
    return value


def render_features(store: DevCycleStore, features: list[Doc], shared: bool = False) -> list[Doc]:
    """Render many features with one pass over variables and environments (large lists)."""
    by_feature: dict[str, list[Doc]] = defaultdict(list)
    listed = {feature["_id"] for feature in features}
    attached = [v for v in store.variables.values() if v.get("_feature") in listed]
    for variable in sorted(attached, key=lambda v: (v["createdAt"], v["_id"])):
        by_feature[variable["_feature"]].append(variable)
    requests = embedded_by_feature(store)
    environments: dict[str, list[Doc]] = {}
    rendered = []
    for feature in features:
        project_id = feature["_project"]
        if project_id not in environments:
            environments[project_id] = store.in_project("environments", project_id)
        rendered.append(
            render_feature(
                store,
                feature,
                by_feature[feature["_id"]],
                environments[project_id],
                requests[feature["_id"]],
                shared,
            )
        )
    return rendered


def initial_configurations(store: DevCycleStore, project_id: str, now: str, actor: str) -> Doc:
    """One inactive configuration per environment of the project, for a new feature."""
    return {
        env["_id"]: default_config(now, actor)
        for env in store.in_project("environments", project_id)
    }


def commit(
    store: DevCycleStore,
    feature: Doc,
    variables: list[Doc],
    detached: list[Doc],
    now: str,
) -> None:
    """Store a validated feature with its variables; detached variables lose `_feature`."""
    store.features[feature["_id"]] = feature
    for variable in variables:
        store.variables[variable["_id"]] = variable
    for variable in detached:
        stored = store.variables[variable["_id"]]
        stored.pop("_feature", None)
        stored["updatedAt"] = now
