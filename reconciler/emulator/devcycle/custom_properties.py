"""Project custom properties (`/v1/projects/{project}/customProperties`).

A custom property declares a key of the SDK user's `customData` (`propertyKey`) and its type, so
the dashboard offers it in audience filters. Filters refer to it by that `propertyKey` (their
`dataKey`), not by id, which is how the emulator finds the audiences and targets using one.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import ApiError
from .http import Call, Reply, paged_reply
from .pagination import check_enum
from .store import DevCycleStore, Doc
from .targeting import leaf_filters
from .validation import validate_body

TYPES = ("String", "Boolean", "Number")
# Vendor behaviour unknown: the errorType names, by analogy with ERR_DUPE_FEATURE_KEY.
ERR_DUPE = "ERR_DUPE_CUSTOM_PROPERTY_KEY"
ERR_DUPE_PROPERTY_KEY = "ERR_DUPE_CUSTOM_PROPERTY_PROPERTY_KEY"
FIELDS = ("name", "key", "type", "propertyKey", "schema")


def render(prop: Doc, with_usage: bool = False, used: bool = False) -> Doc:
    rendered = dict(prop)
    if with_usage:
        rendered["hasUsage"] = used
    return rendered


def _operators(store: DevCycleStore, project_id: str) -> list[tuple[str, dict[str, Any]]]:
    """Every filter tree of the project: reusable audiences and every feature target's."""
    found = [
        (f"Audience '{audience['key']}'", audience["filters"])
        for audience in store.in_project("audiences", project_id)
    ]
    for feature in store.in_project("features", project_id):
        for config in feature["configurations"].values():
            for target in config["targets"]:
                found.append((f"Feature '{feature['key']}'", target["audience"]["filters"]))
    return found


def users(store: DevCycleStore, prop: Doc) -> list[str]:
    """Audiences and features whose filters read the property (`dataKey` = its propertyKey)."""
    names = {
        owner
        for owner, operator in _operators(store, prop["_project"])
        for item in leaf_filters(operator)
        if item.get("subType") == "customData" and item.get("dataKey") == prop["propertyKey"]
    }
    return sorted(names)


def list_custom_properties(call: Call) -> Reply:
    """Paged; `type` filters by type, `includeUsage=true` adds `hasUsage`."""
    store = call.store
    project = store.project(call.param("project"))
    wanted = check_enum(call.query, "type", TYPES)
    with_usage = call.query.get("includeUsage") == "true"
    props = store.in_project("customProperties", project["_id"])
    return paged_reply(
        call,
        props,
        lambda p: render(p, with_usage, with_usage and bool(users(store, p))),
        None if wanted is None else (lambda p: p["type"] == wanted),
    )


def _ensure_unique(store: DevCycleStore, project_id: str, prop: Doc, except_id: str | None) -> None:
    """Both keys are unique per project: `key` (the API's handle) and `propertyKey`."""
    store.ensure_unique_key("customProperties", project_id, prop["key"], ERR_DUPE, except_id)
    for other in store.in_project("customProperties", project_id):
        if other["_id"] != except_id and other["propertyKey"] == prop["propertyKey"]:
            # Vendor behaviour unknown: a taken propertyKey answered like a taken key (409).
            raise ApiError(
                409,
                f"Duplicate propertyKey '{prop['propertyKey']}'",
                errorType=ERR_DUPE_PROPERTY_KEY,
            )


def create_custom_property(call: Call) -> Reply:
    store = call.store
    project = store.project(call.param("project"))
    body = validate_body(call.body, "CreateCustomPropertyDto")
    now = store.now()
    prop: Doc = {
        "_id": store.new_id(),
        "_project": project["_id"],
        **{name: copy.deepcopy(body[name]) for name in FIELDS if name in body},
        "_createdBy": call.actor,
        "createdAt": now,
        "updatedAt": now,
    }
    _ensure_unique(store, project["_id"], prop, None)
    store.custom_properties[prop["_id"]] = prop
    return Reply(render(prop), status=201)


def get_custom_property(call: Call) -> Reply:
    store = call.store
    project = store.project(call.param("project"))
    return Reply(render(store.get("customProperties", project["_id"], call.param("key"))))


def update_custom_property(call: Call) -> Reply:
    store = call.store
    project = store.project(call.param("project"))
    current = store.get("customProperties", project["_id"], call.param("key"))
    body = validate_body(call.body, "UpdateCustomPropertyDto")
    prop = copy.deepcopy(current)
    prop.update(copy.deepcopy(body))
    _ensure_unique(store, project["_id"], prop, current["_id"])
    prop["updatedAt"] = store.now()
    store.custom_properties[prop["_id"]] = prop
    return Reply(render(prop))


def delete_custom_property(call: Call) -> Reply:
    """Delete a custom property. The OpenAPI document declares 200, 401 and 404 for this route
    (`DELETE /v1/projects/{project}/customProperties/{key}`), no refusal for one in use: filters
    read a property by its `dataKey` string, not by reference, so they keep working."""
    # Vendor behaviour unknown: whether the live API refuses a property that filters read; the
    # document declares no status for it, so the emulator deletes it.
    store = call.store
    project = store.project(call.param("project"))
    prop = store.get("customProperties", project["_id"], call.param("key"))
    del store.custom_properties[prop["_id"]]
    return Reply()
