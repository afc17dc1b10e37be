"""Feature Change Requests (v2): propose a feature PATCH, have it reviewed, apply it later.

Lifecycle (the spec and the vendor's "Approval Workflows" docs): create → `draft`; submit
(description, reviewers) → `pending`, which locks the feature (`feature_locks`); review →
`approved` (with `?apply=true` applied at once → `applied`) or `rejected`; apply → `applied`;
cancel → `cancelled`. Applying runs the stored PATCH through the code of the direct route, whole
feature checks included, under the store lock: if the feature no longer accepts the change, the
error is answered and the request keeps its status.

Change requests exist only in projects whose approval workflow is on: the OpenAPI document
declares 405 on every change request route but creation, and 412 on creation (neither with a
body); approval workflows are an Enterprise setting. Without the workflow the emulator answers
those (`feature_locks.ensure_workflow`).

Vendor behaviour unknown, and the emulator's choices:
- a feature has at most one open (`draft` or `pending`) request: another is a 409
  (`errorType` ERR_DUPE_CHANGE_REQUEST, by analogy with ERR_DUPE_FEATURE_KEY);
- `changes` holds the request as sent, `[{"path", "method", "body"}]`; `_baseFeatureSnapshot`
  is a fresh id (the emulator keeps no snapshot documents);
- `reviewers` is `{"users": [<user id>...]}`, the ids given at submit (the project's
  `defaultReviewers` are not added); a review is `{"a0_user", "action", "comment",
  "createdAt"}`;
- a transition from the wrong status is a 400 naming the status;
- apply without an approving review ("Force Apply", from `draft` or `pending`) is allowed only
  when the project's `allowPublisherBypass` is true, else 403 (declared on the route); the apply
  `description` becomes the request's description when it has none (a forced draft);
- submit, review, apply and cancel answer 200 with the `FeatureChangeRequest` (the spec gives
  review, apply and cancel no response schema);
- a failing `review?apply=true` changes nothing: the request stays `pending`;
- the emulator has one caller, so anyone may review, apply or cancel any request.
"""

from __future__ import annotations

import copy
from typing import Any

from .change_request_documents import (
    OPEN_STATUSES,
    STATUSES,
    feature_requests,
    open_requests,
    render_request,
    render_summary,
)
from .change_request_operations import apply_operation, validated_change
from .change_request_paths import operation_of
from .errors import ApiError, BadRequest, NotFound
from .feature_locks import ensure_unlocked, ensure_workflow, publisher_bypass_allowed
from .features import new_draft
from .http import Call, Reply, paged_reply
from .pagination import check_enum
from .store import Doc
from .validation import validate_body

ERR_DUPE_REQUEST = "ERR_DUPE_CHANGE_REQUEST"


# -- building blocks -------------------------------------------------------------------------


def _feature_of(call: Call, creating: bool = False) -> tuple[Doc, Doc]:
    """The project and the (stored) feature named in the path, in a project whose approval
    workflow is on."""
    project = call.store.project(call.param("project"))
    ensure_workflow(project, creating)
    return project, call.store.get("features", project["_id"], call.param("feature"))


def _request_of(call: Call, feature: Doc) -> Doc:
    """The request `{id}` of the feature; a request of another feature is a 404 here."""
    ref = call.param("id")
    request = call.store.change_requests.get(ref)
    if request is None or request["_feature"] != feature["_id"]:
        raise NotFound(ref)
    return request


def _require_status(request: Doc, allowed: tuple[str, ...], done: str) -> None:
    if request["status"] not in allowed:
        words = ", ".join(allowed[:-1]) + " or " + allowed[-1] if len(allowed) > 1 else allowed[0]
        raise BadRequest(
            f"Change request {request['_id']} is {request['status']}: only a {words} change "
            f"request can be {done}"
        )


def _touched(call: Call, request: Doc) -> Doc:
    """A copy of the request to change, stamped with who changes it and when."""
    changed = copy.deepcopy(request)
    changed["_updatedBy"] = call.actor
    changed["updatedAt"] = call.store.now()
    return changed


def _stored(call: Call, request: Doc) -> Reply:
    call.store.change_requests[request["_id"]] = request
    return Reply(render_request(request))


def _apply(call: Call, project: Doc, feature: Doc, request: Doc) -> None:
    """Apply the request's PATCH to the feature and mark it `applied`; raises (changing
    nothing) when the feature, as it is now, does not accept it."""
    store = call.store
    # Another pending request of the feature still locks it.
    ensure_unlocked(store, feature, except_request=request["_id"])
    draft = new_draft(store, project, feature, call.actor, call.source)
    apply_operation(draft, request["operation"], request["changes"][0]["body"])
    draft.check_and_commit()
    request["status"] = "applied"


def _boolean_query(call: Call, name: str) -> bool:
    value = call.query.get(name)
    if value not in (None, "true", "false"):
        raise BadRequest([f"{name} must be a boolean value"])
    return value == "true"


# -- handlers --------------------------------------------------------------------------------


def create_change_request(call: Call) -> Reply:
    """A `draft` carrying `{path, method, body}`, checked now against the feature as it is."""
    store = call.store
    project, feature = _feature_of(call, creating=True)
    body = validate_body(call.body, "CreateFeatureChangeRequestDto")
    operation = operation_of(store, body["path"], project, feature)
    already = open_requests(store, feature["_id"])
    if already:
        raise ApiError(
            409,
            f"Feature '{feature['key']}' already has an open change request "
            f"{already[0]['_id']} ({already[0]['status']})",
            errorType=ERR_DUPE_REQUEST,
        )
    change = validated_change(operation, body["body"])
    # Vendor behaviour unknown: that creation checks the change against the feature (the vendor
    # computes `changes` against a snapshot taken now, which suggests it does).
    dry_run = new_draft(store, project, feature, call.actor, call.source)
    apply_operation(dry_run, operation, change)
    dry_run.check()
    now = store.now()
    request: Doc = {
        "_id": store.new_id(),
        "_project": project["_id"],
        "_baseFeatureSnapshot": store.new_id(),
        "_feature": feature["_id"],
        "status": "draft",
        "changes": [
            {"path": body["path"], "method": body["method"], "body": copy.deepcopy(change)}
        ],
        "operation": operation,
        "reviewers": {"users": []},
        "reviews": [],
        "_createdBy": call.actor,
        "_updatedBy": call.actor,
        "createdAt": now,
        "updatedAt": now,
    }
    store.change_requests[request["_id"]] = request
    return Reply(render_request(request), status=201)


def submit_change_request(call: Call) -> Reply:
    """`draft` → `pending`, with a description and the reviewers asked."""
    _, feature = _feature_of(call)
    request = _request_of(call, feature)
    body = validate_body(call.body, "SubmitFeatureChangeRequestDto")
    _require_status(request, ("draft",), "submitted")
    submitted = _touched(call, request)
    submitted["status"] = "pending"
    submitted["description"] = body["description"]
    submitted["reviewers"] = {"users": list(dict.fromkeys(body["reviewers"]))}
    return _stored(call, submitted)


def review_change_request(call: Call) -> Reply:
    """`pending` → `approved` (applied at once with `?apply=true`) or `rejected`."""
    project, feature = _feature_of(call)
    request = _request_of(call, feature)
    apply = _boolean_query(call, "apply")
    body = validate_body(call.body, "ReviewFeatureChangeRequestDto")
    _require_status(request, ("pending",), "reviewed")
    reviewed = _touched(call, request)
    reviewed["reviews"].append(
        {
            "a0_user": call.actor,
            "action": body["action"],
            "comment": body["comment"],
            "createdAt": reviewed["updatedAt"],
        }
    )
    reviewed["status"] = body["action"]
    if body["action"] == "approved" and apply:
        _apply(call, project, feature, reviewed)
    return _stored(call, reviewed)


def apply_change_request(call: Call) -> Reply:
    """`approved` → `applied`; from `draft` or `pending` only as a Publisher's Force Apply."""
    project, feature = _feature_of(call)
    request = _request_of(call, feature)
    body = validate_body(call.body, "ApplyFeatureChangeRequestDto")
    status = request["status"]
    if status in OPEN_STATUSES and not publisher_bypass_allowed(project):
        raise ApiError(
            403,
            f"Change request {request['_id']} is {status} and must be approved before it is "
            "applied: this project does not allow Publishers to bypass review",
        )
    _require_status(request, (*OPEN_STATUSES, "approved"), "applied")
    applied = _touched(call, request)
    applied.setdefault("description", body["description"])
    _apply(call, project, feature, applied)
    return _stored(call, applied)


def cancel_change_request(call: Call) -> Reply:
    """`draft` or `pending` → `cancelled` (no body); unlocks the feature."""
    _, feature = _feature_of(call)
    request = _request_of(call, feature)
    _require_status(request, OPEN_STATUSES, "cancelled")
    cancelled = _touched(call, request)
    cancelled["status"] = "cancelled"
    return _stored(call, cancelled)


def list_feature_change_requests(call: Call) -> Reply:
    """ "All pending" requests of a feature: its open ones (`draft` and `pending`), unpaged."""
    _, feature = _feature_of(call)
    return Reply([render_request(r) for r in open_requests(call.store, feature["_id"])])


def latest_change_request(call: Call) -> Reply:
    """The feature's most recent request that is not a `draft`."""
    _, feature = _feature_of(call)
    submitted = [r for r in feature_requests(call.store, feature["_id"]) if r["status"] != "draft"]
    if not submitted:
        # Vendor behaviour unknown: the wording of this 404.
        raise ApiError(404, f"Feature '{feature['key']}' has no change request that is not a draft")
    return Reply(render_request(submitted[-1]))


def get_change_request(call: Call) -> Reply:
    _, feature = _feature_of(call)
    return Reply(render_request(_request_of(call, feature)))


def list_project_change_requests(call: Call) -> Reply:
    """Paged summaries; filters `status` and `reviewer` (a user id among the reviewers asked).

    Vendor behaviour unknown: what `search` and `sortBy=key|name` look at; here the feature's
    key and name.
    """
    store = call.store
    project = store.project(call.param("project"))
    ensure_workflow(project)
    status = check_enum(call.query, "status", STATUSES)
    reviewer = call.query.get("reviewer")
    features = store.features

    def searchable(request: Doc) -> Doc:
        feature = features[request["_feature"]]
        return {**request, "key": feature["key"], "name": feature["name"]}

    items = [searchable(r) for r in store.in_project("changeRequests", project["_id"])]

    def matches(item: Any) -> bool:
        return (status is None or item["status"] == status) and (
            reviewer is None or reviewer in item["reviewers"].get("users", [])
        )

    def render(item: Doc) -> Doc:
        return render_summary(item, features[item["_feature"]])

    return paged_reply(call, items, render, matches)
