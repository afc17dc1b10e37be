"""Project variables (`/v1/projects/{project}/variables`), attached to at most one feature."""

from __future__ import annotations

import copy

from .documents import feature_variables, new_variable, updated_variable
from .errors import PreconditionFailed
from .feature_checks import check_feature
from .features import ERR_DUPE_VARIABLE
from .http import Call, Reply, paged_reply
from .pagination import check_enum
from .store import Doc
from .validation import validate_body

VARIABLE_TYPES = ("String", "Boolean", "Number", "JSON")
VARIABLE_STATUSES = ("active", "archived")


def render(variable: Doc) -> Doc:
    return dict(variable)


def list_variables(call: Call) -> Reply:
    """Paged; filters `feature` (key or id), `type`, `status`."""
    store = call.store
    project = store.project(call.param("project"))
    kind = check_enum(call.query, "type", VARIABLE_TYPES)
    status = check_enum(call.query, "status", VARIABLE_STATUSES)
    feature_ref = call.query.get("feature")
    # Vendor behaviour unknown: an unknown feature in the filter; a 404 here.
    feature_id = store.get("features", project["_id"], feature_ref)["_id"] if feature_ref else None

    def matches(variable: Doc) -> bool:
        return (
            (kind is None or variable["type"] == kind)
            and (status is None or variable["status"] == status)
            and (feature_id is None or variable.get("_feature") == feature_id)
        )

    return paged_reply(call, store.in_project("variables", project["_id"]), render, matches)


def create_variable(call: Call) -> Reply:
    """Create a variable, attached to a feature when `_feature` names one."""
    # Vendor behaviour unknown: whether `_feature` ("The ID of the Feature") accepts a key too;
    # accepted here, like path parameters. An unknown feature is a 404.
    store = call.store
    project = store.project(call.param("project"))
    body = validate_body(call.body, "CreateVariableDto")
    store.ensure_unique_key("variables", project["_id"], body["key"], ERR_DUPE_VARIABLE)
    feature_id = None
    if "_feature" in body:
        feature_id = store.get("features", project["_id"], body["_feature"])["_id"]
    variable = new_variable(
        store, project["_id"], body, feature_id, call.actor, store.now(), call.source
    )
    store.variables[variable["_id"]] = variable
    return Reply(render(variable), status=201)


def get_variable(call: Call) -> Reply:
    store = call.store
    project = store.project(call.param("project"))
    return Reply(render(store.get("variables", project["_id"], call.param("key"))))


def update_variable(call: Call) -> Reply:
    """A type change of an attached variable must still fit the feature's variation values."""
    # Vendor behaviour unknown: whether the approval workflow or a pending change request also
    # gates writes to a feature's variables; they are variables' own routes, not gated here.
    store = call.store
    project = store.project(call.param("project"))
    current = store.get("variables", project["_id"], call.param("key"))
    body = validate_body(call.body, "UpdateVariableDto")
    if "key" in body:
        store.ensure_unique_key(
            "variables", project["_id"], body["key"], ERR_DUPE_VARIABLE, current["_id"]
        )
    variable = updated_variable(current, body, store.now())
    feature_id = variable.get("_feature")
    if feature_id is not None:
        feature = copy.deepcopy(store.features[feature_id])
        siblings = [v for v in feature_variables(store, feature_id) if v["_id"] != variable["_id"]]
        if variable["key"] != current["key"]:
            # The feature's variations name their values by variable key: follow the rename.
            # Vendor behaviour unknown: whether the vendor renames them too.
            feature["updatedAt"] = variable["updatedAt"]
            for variation in feature["variations"]:
                values = variation.get("variables", {})
                if current["key"] in values:
                    values[variable["key"]] = values.pop(current["key"])
        environments = store.in_project("environments", project["_id"])
        check_feature(store, feature, [*siblings, variable], environments)
        store.features[feature_id] = feature
    store.variables[variable["_id"]] = variable
    return Reply(render(variable))


def update_variable_status(call: Call) -> Reply:
    """Set `active` or `archived`."""
    # Vendor behaviour unknown: the 412 this route declares; here, archiving a variable that is
    # still attached to a feature (like deleting one).
    store = call.store
    project = store.project(call.param("project"))
    variable = store.get("variables", project["_id"], call.param("key"))
    body = validate_body(call.body, "UpdateVariableStatusDto")
    if body["status"] == "archived" and variable.get("_feature"):
        raise PreconditionFailed(_attached_message(store.features[variable["_feature"]], variable))
    variable["status"] = body["status"]
    variable["updatedAt"] = store.now()
    return Reply(render(variable))


def delete_variable(call: Call) -> Reply:
    """Delete a variable that no feature uses, when the request carries `If-Match`.

    The live API answers 412 to a variable DELETE without `If-Match` (DevCycleHQ/terraform-
    provider-devcycle, commit 309b699: "Management API returns 412 on variable DELETE without
    If-Match"); its provider has since sent `If-Match: *` (commit d62f54a,
    `internal/provider/variables_delete.go`, `variablesControllerDelete`). The same commit
    detaches the variable from its feature and waits until `_feature` is empty before deleting:
    a still-attached variable is a 412 too.
    """
    # Vendor behaviour unknown: the 412's wording (the provider records only the status); the
    # emulator takes no ETags, so any `If-Match` value passes (the provider sends `*`).
    store = call.store
    project = store.project(call.param("project"))
    variable = store.get("variables", project["_id"], call.param("key"))
    if "if-match" not in call.headers:
        raise PreconditionFailed("Precondition Failed")
    if variable.get("_feature"):
        raise PreconditionFailed(_attached_message(store.features[variable["_feature"]], variable))
    del store.variables[variable["_id"]]
    return Reply()


def _attached_message(feature: Doc, variable: Doc) -> str:
    return f"Variable '{variable['key']}' is attached to Feature '{feature['key']}'"
