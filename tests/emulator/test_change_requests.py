"""Feature change requests: lifecycle, validation, locking and the project's approval workflow."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from .conftest import Project, checkout_feature, config_of, create_feature, environments, target

OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
REVIEWER = "auth0|reviewer"
STALENESS = {
    "enabled": True,
    "released": {"enabled": True},
    "unmodifiedLong": {"enabled": True},
    "unmodifiedShort": {"enabled": True},
    "unused": {"enabled": True},
    "email": {"enabled": False, "users": [], "frequency": "weekly"},
}
APPROVAL_REQUIRED = {
    "statusCode": 412,
    "message": "Feature changes in this project require an approved change request",
    "error": "Precondition Failed",
}
# Serve the redesign in development: a change reviewers would look at.
RETARGET = {
    "name": "Reviewed checkout",
    "configurations": {"development": {"status": "active", "targets": [target("redesign")]}},
}


def feature_url(project: Project, feature: str = "new-checkout") -> str:
    return f"/v2/projects/{project['key']}/features/{feature}"


def open_request(
    api: httpx.Client,
    project: Project,
    body: dict[str, Any],
    *,
    feature: str = "new-checkout",
    path: str | None = None,
) -> httpx.Response:
    url = feature_url(project, feature)
    return api.post(
        f"{url}/change-requests", json={"path": path or url, "method": "PATCH", "body": body}
    )


def created_request(api: httpx.Client, project: Project, body: dict[str, Any]) -> dict[str, Any]:
    response = open_request(api, project, body)
    assert response.status_code == 201, response.text
    request: dict[str, Any] = response.json()
    return request


def act(
    api: httpx.Client, project: Project, request_id: str, action: str, **kwargs: Any
) -> httpx.Response:
    """PATCH `.../change-requests/{id}/{action}` on the checkout feature."""
    url = f"{feature_url(project)}/change-requests/{request_id}/{action}"
    return api.patch(url, **kwargs)


def submitted_request(api: httpx.Client, project: Project, body: dict[str, Any]) -> dict[str, Any]:
    request = created_request(api, project, body)
    response = act(
        api,
        project,
        request["_id"],
        "submit",
        json={"description": "Please review", "reviewers": [REVIEWER]},
    )
    assert response.status_code == 200, response.text
    submitted: dict[str, Any] = response.json()
    return submitted


def set_workflow(api: httpx.Client, project: Project, *, enabled: bool, bypass: bool) -> None:
    workflow = {"enabled": enabled, "allowPublisherBypass": bypass, "defaultReviewers": []}
    response = api.patch(
        f"/v1/projects/{project['key']}/settings/protected",
        json={"settings": {"featureApprovalWorkflow": workflow, "staleness": STALENESS}},
    )
    assert response.status_code == 200, response.text
    assert response.json()["settings"]["featureApprovalWorkflow"] == workflow


def direct_writes(api: httpx.Client, project: Project) -> dict[str, httpx.Response]:
    """Every direct write to the checkout feature, each of which would change it."""
    v1 = f"/v1/projects/{project['key']}/features/new-checkout"
    return {
        "v2 PATCH": api.patch(feature_url(project), json={"name": "Direct"}),
        "v1 PATCH": api.patch(v1, json={"name": "Direct"}),
        "status": api.patch(f"{feature_url(project)}/status", json={"status": "active"}),
        "configuration": api.patch(
            f"{v1}/configurations", params={"environment": "development"}, json={}
        ),
        "variation POST": api.post(f"{v1}/variations", json={"key": "extra", "name": "Extra"}),
        "variation PATCH": api.patch(f"{v1}/variations/classic", json={"name": "Old"}),
    }


@pytest.fixture
def project(api: httpx.Client, project: Project) -> Project:
    """A fresh project with the approval workflow on (change requests exist only there)."""
    set_workflow(api, project, enabled=True, bypass=False)
    return project


def test_lifecycle_draft_pending_approved_applied(api: httpx.Client, project: Project) -> None:
    feature = create_feature(api, project["key"], checkout_feature())
    request = created_request(api, project, RETARGET)
    assert request["status"] == "draft"
    assert request["operation"] == "featureUpdate"
    assert (request["_feature"], request["_project"]) == (feature["_id"], project["_id"])
    assert OBJECT_ID.match(request["_id"]) and OBJECT_ID.match(request["_baseFeatureSnapshot"])
    assert request["changes"] == [
        {"path": feature_url(project), "method": "PATCH", "body": RETARGET}
    ]
    assert (request["reviewers"], request["reviews"]) == ({"users": []}, [])
    assert "description" not in request

    submitted = act(
        api,
        project,
        request["_id"],
        "submit",
        json={"description": "Dev gets the redesign", "reviewers": [REVIEWER, REVIEWER]},
    ).json()
    assert submitted["status"] == "pending"
    assert submitted["description"] == "Dev gets the redesign"
    assert submitted["reviewers"] == {"users": [REVIEWER]}

    approved = act(
        api, project, request["_id"], "review", json={"action": "approved", "comment": "LGTM"}
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    [review] = approved.json()["reviews"]
    assert (review["action"], review["comment"]) == ("approved", "LGTM")
    assert api.get(feature_url(project)).json()["name"] == "New checkout"  # not applied yet

    applied = act(
        api, project, request["_id"], "apply", json={"description": "Go", "action": "applied"}
    )
    assert applied.status_code == 200, applied.text
    assert applied.json()["status"] == "applied"
    assert applied.json()["description"] == "Dev gets the redesign"  # the submitted one stays
    changed = api.get(feature_url(project)).json()
    assert changed["name"] == "Reviewed checkout"
    development = config_of(changed, environments(api, project["key"])["development"])
    assert development["status"] == "active"
    redesign = next(v["_id"] for v in changed["variations"] if v["key"] == "redesign")
    assert development["targets"][0]["distribution"] == [
        {"_variation": redesign, "percentage": 1.0}
    ]

    base = f"{feature_url(project)}/change-requests"
    assert api.get(f"{base}/{request['_id']}").json() == applied.json()
    assert api.get(f"{base}/latest").json() == applied.json()
    assert api.get(base).json() == []
    assert changed["changeRequests"] == []


def test_review_with_apply_applies_at_once(api: httpx.Client, project: Project) -> None:
    create_feature(api, project["key"], checkout_feature())
    request = submitted_request(api, project, {"name": "Approved and applied"})
    response = act(
        api,
        project,
        request["_id"],
        "review",
        params={"apply": "true"},
        json={"action": "approved", "comment": "Ship it"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "applied"
    assert api.get(feature_url(project)).json()["name"] == "Approved and applied"
    bad_flag = act(
        api, project, request["_id"], "review", params={"apply": "yes"}, json={"action": "approved"}
    )
    assert bad_flag.json()["message"] == ["apply must be a boolean value"]


def test_rejected_request_changes_nothing_and_unlocks(api: httpx.Client, project: Project) -> None:
    create_feature(api, project["key"], checkout_feature())
    request = submitted_request(api, project, {"name": "Rejected"})
    rejected = act(
        api,
        project,
        request["_id"],
        "review",
        params={"apply": "true"},
        json={"action": "rejected", "comment": "Not now"},
    )
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["reviews"][0]["action"] == "rejected"
    assert api.get(feature_url(project)).json()["name"] == "New checkout"
    # No longer locked: a direct write meets only the approval workflow.
    assert api.patch(feature_url(project), json={"name": "Direct"}).json() == APPROVAL_REQUIRED

    again = act(api, project, request["_id"], "review", json={"action": "approved", "comment": ""})
    assert again.status_code == 400
    assert again.json()["message"] == (
        f"Change request {request['_id']} is rejected: only a pending change request can be "
        "reviewed"
    )
    apply = act(
        api, project, request["_id"], "apply", json={"description": "x", "action": "applied"}
    )
    assert apply.status_code == 400
    assert act(api, project, request["_id"], "cancel").status_code == 400


def test_cancel_from_draft_or_pending(api: httpx.Client, project: Project) -> None:
    create_feature(api, project["key"], checkout_feature())
    draft = created_request(api, project, {"name": "Draft"})
    cancelled = act(api, project, draft["_id"], "cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    pending = submitted_request(api, project, {"name": "Pending"})
    assert act(api, project, pending["_id"], "cancel").json()["status"] == "cancelled"
    submit = act(api, project, pending["_id"], "submit", json={"description": "d", "reviewers": []})
    assert submit.status_code == 400
    assert api.get(feature_url(project)).json()["name"] == "New checkout"


def test_second_open_request_is_a_conflict(api: httpx.Client, project: Project) -> None:
    create_feature(api, project["key"], checkout_feature())
    first = created_request(api, project, {"name": "First"})
    second = open_request(api, project, {"name": "Second"})
    assert second.status_code == 409
    assert second.json() == {
        "statusCode": 409,
        "message": f"Feature 'new-checkout' already has an open change request {first['_id']} "
        "(draft)",
        "error": "Conflict",
        "errorType": "ERR_DUPE_CHANGE_REQUEST",
    }
    act(api, project, first["_id"], "submit", json={"description": "d", "reviewers": []})
    assert open_request(api, project, {"name": "Second"}).status_code == 409
    act(api, project, first["_id"], "cancel")
    assert open_request(api, project, {"name": "Second"}).status_code == 201


def test_invalid_requests_are_refused_at_creation(api: httpx.Client, project: Project) -> None:
    create_feature(api, project["key"], checkout_feature())
    create_feature(api, project["key"], {"key": "other", "name": "Other"})
    invalid = open_request(api, project, {"name": "", "colour": "red"})
    assert invalid.status_code == 400
    assert sorted(invalid.json()["message"]) == [
        "body.name should not be empty",
        "body.property colour should not exist",
    ]
    # Schema-valid, but the feature could never take it: the whole-feature checks run too.
    unknown_variation = {
        "configurations": {"staging": {"targets": [target("missing")], "status": "active"}}
    }
    semantic = open_request(api, project, unknown_variation)
    assert semantic.status_code == 400
    assert "is not the key or _id of a variation" in semantic.json()["message"][0]

    url = feature_url(project)
    for path in (feature_url(project, "other"), f"{url}/variations", f"https://x{url}", "/v2/x"):
        assert open_request(api, project, {}, path=path).status_code == 400, path
    wrong_method = api.post(
        f"{url}/change-requests", json={"path": url, "method": "PUT", "body": {}}
    )
    assert wrong_method.json()["message"] == ["method must be one of the following values: PATCH"]
    assert api.get(f"{url}/change-requests").json() == []
    missing = open_request(api, project, {}, feature="nope")
    assert missing.status_code == 404


def test_path_names_the_operation_by_key_or_id(api: httpx.Client, project: Project) -> None:
    feature = create_feature(api, project["key"], checkout_feature())
    by_ids = f"/v2/projects/{project['_id']}/features/{feature['_id']}"
    update = open_request(api, project, {"name": "By ids"}, path=by_ids)
    assert update.json()["operation"] == "featureUpdate"
    act(api, project, update.json()["_id"], "cancel")

    status = open_request(
        api, project, {"status": "complete", "staticVariation": "redesign"}, path=f"{by_ids}/status"
    )
    assert status.json()["operation"] == "featureStatusUpdate"
    act(api, project, status.json()["_id"], "cancel")

    # Only a completed feature has a static configuration.
    static = open_request(
        api, project, {"name": "Static"}, path=f"{feature_url(project)}/static-configuration"
    )
    assert static.status_code == 412
    bad_status = open_request(
        api, project, {"status": "done"}, path=f"{feature_url(project)}/status"
    )
    assert bad_status.json()["message"] == [
        "body.status must be one of the following values: active, complete, archived"
    ]


def test_status_and_static_configuration_requests(api: httpx.Client, project: Project) -> None:
    create_feature(api, project["key"], checkout_feature())
    url = feature_url(project)
    set_workflow(api, project, enabled=False, bypass=False)
    incomplete = api.patch(f"{url}/status", json={"status": "complete"})
    assert incomplete.json()["message"] == ["staticVariation should not be empty"]
    set_workflow(api, project, enabled=True, bypass=True)

    status = open_request(
        api, project, {"status": "complete", "staticVariation": "redesign"}, path=f"{url}/status"
    ).json()
    forced = act(
        api, project, status["_id"], "apply", json={"description": "Done", "action": "applied"}
    )
    assert forced.status_code == 200, forced.text
    assert forced.json()["description"] == "Done"  # a forced draft takes the apply description
    completed = api.get(url).json()
    assert (completed["status"], completed["staticVariation"]) == ("complete", "redesign")
    assert all(config["hasStaticConfig"] for config in completed["configurations"])

    static_body = {
        "name": "Finished checkout",
        "variables": {"new-checkout-version": "v9"},
        "environments": {"staging": {"status": "inactive"}},
    }
    static = open_request(api, project, static_body, path=f"{url}/static-configuration").json()
    assert static["operation"] == "featureStaticConfigurationUpdate"
    done = act(api, project, static["_id"], "apply", json={"description": "d", "action": "applied"})
    assert done.status_code == 200, done.text
    finished = api.get(url).json()
    assert finished["name"] == "Finished checkout"
    redesign = next(v for v in finished["variations"] if v["key"] == "redesign")
    assert redesign["variables"] == {"new-checkout-version": "v9"}
    assert config_of(finished, environments(api, project["key"])["staging"])["status"] == "inactive"


def test_apply_that_no_longer_validates_keeps_the_request_approved(
    api: httpx.Client, project: Project
) -> None:
    create_feature(api, project["key"], checkout_feature())
    request = submitted_request(api, project, RETARGET)
    act(api, project, request["_id"], "review", json={"action": "approved", "comment": "ok"})
    # Approval unlocks the feature; a direct write then removes the variation the request serves.
    classic_only = {
        "variations": [
            {"key": "classic", "name": "Classic", "variables": {"new-checkout-version": "v1"}}
        ],
        "configurations": {
            env: {"targets": [target("classic")]} for env in ("staging", "production")
        },
    }
    set_workflow(api, project, enabled=False, bypass=False)
    assert api.patch(feature_url(project), json=classic_only).status_code == 200
    set_workflow(api, project, enabled=True, bypass=False)
    before = api.get(feature_url(project)).json()

    refused = act(
        api, project, request["_id"], "apply", json={"description": "Go", "action": "applied"}
    )
    assert refused.status_code == 400
    assert "is not the key or _id of a variation" in refused.json()["message"][0]
    still = api.get(f"{feature_url(project)}/change-requests/{request['_id']}").json()
    assert still["status"] == "approved"
    assert api.get(feature_url(project)).json() == before


def test_failed_review_and_apply_leaves_the_request_pending(
    api: httpx.Client, project: Project
) -> None:
    create_feature(api, project["key"], checkout_feature())
    request = submitted_request(api, project, {"key": "renamed"})
    # The key was free when the request was made; another feature takes it meanwhile.
    create_feature(api, project["key"], {"key": "renamed", "name": "Renamed"})
    response = act(
        api,
        project,
        request["_id"],
        "review",
        params={"apply": "true"},
        json={"action": "approved", "comment": "ok"},
    )
    assert response.status_code == 409
    assert response.json()["errorType"] == "ERR_DUPE_FEATURE_KEY"
    still = api.get(f"{feature_url(project)}/change-requests/{request['_id']}").json()
    assert (still["status"], still["reviews"]) == ("pending", [])
    assert api.get(feature_url(project)).json()["key"] == "new-checkout"


def test_pending_request_locks_the_feature(api: httpx.Client, project: Project) -> None:
    create_feature(api, project["key"], checkout_feature())
    draft = created_request(api, project, {"name": "Draft"})
    # A draft does not lock (the workflow off for a moment, so a direct write may pass).
    set_workflow(api, project, enabled=False, bypass=False)
    assert api.patch(feature_url(project), json={"description": "while draft"}).status_code == 200
    set_workflow(api, project, enabled=True, bypass=False)
    act(api, project, draft["_id"], "submit", json={"description": "d", "reviewers": []})
    locked = {
        "statusCode": 412,
        "message": f"Feature 'new-checkout' is locked by pending change request {draft['_id']}",
        "error": "Precondition Failed",
    }
    for name, response in direct_writes(api, project).items():
        assert response.status_code == 412, name
        assert response.json() == locked, name
    delete = api.delete(f"/v1/projects/{project['key']}/features/new-checkout")
    assert delete.status_code == 412
    assert api.get(feature_url(project)).json()["name"] == "New checkout"

    act(api, project, draft["_id"], "cancel")
    set_workflow(api, project, enabled=False, bypass=False)
    assert api.patch(feature_url(project), json={"name": "Direct"}).status_code == 200


def test_approval_workflow_refuses_direct_writes(api: httpx.Client, project: Project) -> None:
    create_feature(api, project["key"], checkout_feature())
    set_workflow(api, project, enabled=True, bypass=False)
    for name, response in direct_writes(api, project).items():
        assert response.status_code == 412, name
        assert response.json() == APPROVAL_REQUIRED, name
    # Creating is never gated, nor is deleting (neither is a change request operation).
    create_feature(api, project["key"], {"key": "brand-new", "name": "Brand new"})
    assert api.delete(f"/v1/projects/{project['key']}/features/brand-new").status_code == 200

    request = submitted_request(api, project, {"name": "Through review"})
    applied = act(
        api,
        project,
        request["_id"],
        "review",
        params={"apply": "true"},
        json={"action": "approved", "comment": "ok"},
    )
    assert applied.json()["status"] == "applied"
    assert api.get(feature_url(project)).json()["name"] == "Through review"

    set_workflow(api, project, enabled=False, bypass=False)
    assert api.patch(feature_url(project), json={"name": "Direct"}).status_code == 200


def test_force_apply_needs_publisher_bypass(api: httpx.Client, project: Project) -> None:
    create_feature(api, project["key"], checkout_feature())
    set_workflow(api, project, enabled=True, bypass=False)
    request = submitted_request(api, project, {"name": "Forced"})
    apply = {"description": "Urgent", "action": "applied"}
    refused = act(api, project, request["_id"], "apply", json=apply)
    assert refused.status_code == 403
    assert refused.json() == {
        "statusCode": 403,
        "message": f"Change request {request['_id']} is pending and must be approved before it "
        "is applied: this project does not allow Publishers to bypass review",
        "error": "Forbidden",
    }
    assert api.get(feature_url(project)).json()["name"] == "New checkout"

    set_workflow(api, project, enabled=True, bypass=True)
    forced = act(api, project, request["_id"], "apply", json=apply)
    assert forced.status_code == 200, forced.text
    assert forced.json()["status"] == "applied"
    assert forced.json()["reviews"] == []
    assert api.get(feature_url(project)).json()["name"] == "Forced"
    bad = act(api, project, request["_id"], "apply", json={"description": "x"})
    assert bad.json()["message"] == ["action should not be empty"]


def test_feature_lists_its_open_requests(api: httpx.Client, project: Project) -> None:
    create_feature(api, project["key"], checkout_feature())
    create_feature(api, project["key"], {"key": "quiet", "name": "Quiet"})
    request = created_request(api, project, {"name": "Pending"})
    act(api, project, request["_id"], "submit", json={"description": "Why", "reviewers": []})
    for feature in (
        api.get(feature_url(project)).json(),
        next(
            f
            for f in api.get(f"/v2/projects/{project['key']}/features").json()
            if f["key"] == "new-checkout"
        ),
        next(
            f
            for f in api.get(f"/v1/projects/{project['key']}/features").json()
            if f["key"] == "new-checkout"
        ),
    ):
        [summary] = feature["changeRequests"]
        assert summary["_id"] == request["_id"]
        assert (summary["status"], summary["description"]) == ("pending", "Why")
        assert summary["operation"] == "featureUpdate"
        assert summary["createdAt"] == request["createdAt"]
        assert "changes" not in summary
    assert api.get(feature_url(project, "quiet")).json()["changeRequests"] == []
    [listed] = api.get(f"{feature_url(project)}/change-requests").json()
    assert listed["_id"] == request["_id"] and listed["status"] == "pending"


def test_latest_and_single_reads(api: httpx.Client, project: Project) -> None:
    create_feature(api, project["key"], checkout_feature())
    create_feature(api, project["key"], {"key": "other", "name": "Other"})
    base = f"{feature_url(project)}/change-requests"
    draft = created_request(api, project, {"name": "Draft"})
    latest = api.get(f"{base}/latest")
    assert latest.status_code == 404
    assert latest.json()["error"] == "Not Found"
    act(api, project, draft["_id"], "cancel")
    assert api.get(f"{base}/latest").json()["_id"] == draft["_id"]
    assert api.get(f"{base}/{draft['_id']}").json()["status"] == "cancelled"
    # A request is found only under its own feature.
    other = f"{feature_url(project, 'other')}/change-requests/{draft['_id']}"
    assert api.get(other).status_code == 404
    assert api.get(f"{base}/{'0' * 24}").json() == {
        "statusCode": 404,
        "message": f"Item with key '{'0' * 24}' not found",
        "error": "Not Found",
    }


def test_project_list_is_paged_and_filtered(api: httpx.Client, project: Project) -> None:
    create_feature(api, project["key"], checkout_feature())
    create_feature(api, project["key"], {"key": "other", "name": "Other"})
    pending = submitted_request(api, project, {"name": "Pending"})
    draft = open_request(api, project, {"name": "Draft"}, feature="other").json()
    url = f"/v2/projects/{project['key']}/change-requests"

    every = api.get(url)
    assert every.headers["count"] == "2"
    assert [r["_id"] for r in every.json()] == [draft["_id"], pending["_id"]]  # newest first
    only = api.get(url, params={"status": "pending"})
    assert only.headers["count"] == "1"
    [summary] = only.json()
    assert summary["_id"] == pending["_id"]
    feature = api.get(feature_url(project)).json()
    assert summary["feature"] == {
        "key": "new-checkout",
        "name": "New checkout",
        "id": feature["_id"],
    }
    assert "changes" not in summary and "_baseFeatureSnapshot" not in summary

    by_reviewer = api.get(url, params={"reviewer": REVIEWER}).json()
    assert [r["_id"] for r in by_reviewer] == [pending["_id"]]
    assert api.get(url, params={"status": "applied"}).json() == []
    assert [r["_id"] for r in api.get(url, params={"search": "othe"}).json()] == [draft["_id"]]
    paged = api.get(url, params={"perPage": 1, "page": 2, "sortOrder": "asc"})
    assert [r["_id"] for r in paged.json()] == [draft["_id"]]
    bad = api.get(url, params={"status": "open"})
    assert bad.json()["message"] == [
        "status must be one of the following values: draft, pending, approved, applied, "
        "rejected, cancelled"
    ]
