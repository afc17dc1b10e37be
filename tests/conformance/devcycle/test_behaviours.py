"""One case per behaviour flagsync relies on, for every endpoint it calls: the emulator answers
a status DevCycle's OpenAPI document declares for that operation, with a body that validates
against the document's component schema. Each docstring names its source; `spec.py` reads the
document itself."""

from __future__ import annotations

from typing import Any

import httpx

from tests.devcycle_settings import set_approval_workflow
from tests.emulator.conftest import Project, checkout_feature, create_feature

from .spec import assert_declared, assert_valid

V1 = "/v1/projects/{project}"
V2 = "/v2/projects/{project}"
IF_MATCH = {"If-Match": "*"}


def _check(
    response: httpx.Response, method: str, spec_path: str, status: int, schema: str | None = None
) -> Any:
    assert response.status_code == status, response.text
    assert_declared(method, spec_path, status)
    body = response.json() if response.content else None
    if schema is not None:
        items = body if isinstance(body, list) else [body]
        for item in items:
            assert_valid(item, schema)
    return body


def _error(response: httpx.Response, method: str, spec_path: str, status: int) -> dict[str, Any]:
    """A refusal: declared, in NestJS's `{statusCode, message, error}` shape."""
    body: dict[str, Any] = _check(response, method, spec_path, status)
    assert body["statusCode"] == status and isinstance(body["error"], str)
    return body


def _detached_variable(api: httpx.Client, project: Project) -> str:
    base = f"/v1/projects/{project['key']}/variables"
    created = api.post(base, json={"key": "loose", "type": "String", "name": "Loose"})
    assert created.status_code == 201, created.text
    return f"{base}/loose"


# -- projects and approval workflow ------------------------------------------------------------


def test_project_carries_its_approval_workflow_settings(
    api: httpx.Client, project: Project
) -> None:
    """`GET /v1/projects/{key}` -> 200 `Project`; `ProjectSettings.featureApprovalWorkflow`
    (`FeatureApprovalWorkflowSettings`: enabled, allowPublisherBypass, defaultReviewers, all
    required) is what flagsync reads to decide whether changes need review. Set through
    `PATCH /v1/projects/{key}/settings/protected` (`UpdateProtectedProjectSettingsDto`)."""
    body = _check(api.get(f"/v1/projects/{project['key']}"), "GET", "/v1/projects/{key}", 200)
    assert_valid(body, "Project")
    assert body["settings"]["featureApprovalWorkflow"]["enabled"] is False
    set_approval_workflow(api, project["key"])
    again = api.get(f"/v1/projects/{project['key']}").json()
    assert again["settings"]["featureApprovalWorkflow"]["enabled"] is True


# -- change requests ---------------------------------------------------------------------------


def test_change_requests_without_the_workflow_are_refused(
    api: httpx.Client, project: Project
) -> None:
    """OpenAPI: every change request operation but creation declares 200/404/405
    (`GET /v2/projects/{project}/change-requests`, `GET .../features/{feature}/change-requests`),
    creation declares 201/400/409/412 (`POST .../features/{feature}/change-requests`); approval
    workflows are an Enterprise project setting. Without it: 412 on creation, 405 elsewhere."""
    create_feature(api, project["key"], checkout_feature())
    feature = f"/v2/projects/{project['key']}/features/new-checkout"
    change = {"path": feature, "method": "PATCH", "body": {"name": "Reviewed"}}
    path = f"{V2}/features/{{feature}}/change-requests"
    _error(api.post(f"{feature}/change-requests", json=change), "POST", path, 412)
    _error(api.get(f"{feature}/change-requests"), "GET", path, 405)
    _error(
        api.get(f"/v2/projects/{project['key']}/change-requests", params={"status": "pending"}),
        "GET",
        f"{V2}/change-requests",
        405,
    )


def test_change_request_lifecycle_with_the_workflow(api: httpx.Client, project: Project) -> None:
    """OpenAPI: `POST .../change-requests` 201 `FeatureChangeRequest`; `PATCH .../{id}/submit`
    200; `GET /v2/projects/{project}/change-requests?status=` 200 `FeatureChangeRequestSummary[]`
    (with `description` and `feature`: where flagsync finds its own open requests); a second
    open request is the declared 409; a pending request locks the feature (vendor docs,
    "Approval Workflows": locked for all users), a direct PATCH gets the declared 412."""
    set_approval_workflow(api, project["key"])
    create_feature(api, project["key"], checkout_feature())
    feature = f"/v2/projects/{project['key']}/features/new-checkout"
    change = {"path": feature, "method": "PATCH", "body": {"name": "Reviewed"}}
    path = f"{V2}/features/{{feature}}/change-requests"
    created = _check(
        api.post(f"{feature}/change-requests", json=change),
        "POST",
        path,
        201,
        "FeatureChangeRequest",
    )
    _error(api.post(f"{feature}/change-requests", json=change), "POST", path, 409)
    submitted = _check(
        api.patch(
            f"{feature}/change-requests/{created['_id']}/submit",
            json={"description": "why [flagsync:0123456789abcdef]", "reviewers": []},
        ),
        "PATCH",
        f"{path}/{{id}}/submit",
        200,
        "FeatureChangeRequest",
    )
    assert submitted["status"] == "pending"
    summaries = _check(
        api.get(f"/v2/projects/{project['key']}/change-requests", params={"status": "pending"}),
        "GET",
        f"{V2}/change-requests",
        200,
        "FeatureChangeRequestSummary",
    )
    assert [(s["_id"], s["feature"]["key"]) for s in summaries] == [
        (created["_id"], "new-checkout")
    ]
    assert "[flagsync:0123456789abcdef]" in summaries[0]["description"]
    _error(api.patch(feature, json={"name": "Direct"}), "PATCH", f"{V2}/features/{{feature}}", 412)
    cancelled = api.patch(f"{feature}/change-requests/{created['_id']}/cancel")
    _check(cancelled, "PATCH", f"{path}/{{id}}/cancel", 200, "FeatureChangeRequest")


def test_approval_workflow_refuses_direct_feature_writes(
    api: httpx.Client, project: Project
) -> None:
    """Vendor docs ("Approval Workflows"): with the workflow on, feature changes go through
    change requests. Status and wording of the refusal are undocumented: the emulator answers
    a 412 the route declares (`PATCH /v2/projects/{project}/features/{feature}`); flagsync
    decides from the project's settings before writing and treats any refusal as an error."""
    create_feature(api, project["key"], checkout_feature())
    set_approval_workflow(api, project["key"])
    feature = f"/v2/projects/{project['key']}/features/new-checkout"
    _error(api.patch(feature, json={"name": "Direct"}), "PATCH", f"{V2}/features/{{feature}}", 412)


# -- variables ---------------------------------------------------------------------------------


def test_variable_delete_without_if_match_is_412(api: httpx.Client, project: Project) -> None:
    """DevCycleHQ/terraform-provider-devcycle commit 309b699 ("Management API returns 412 on
    variable DELETE without If-Match"); `DELETE /v1/projects/{project}/variables/{key}`
    declares 412."""
    url = _detached_variable(api, project)
    _error(api.delete(url), "DELETE", f"{V1}/variables/{{key}}", 412)
    assert api.get(url).status_code == 200


def test_variable_delete_with_if_match_star_deletes(api: httpx.Client, project: Project) -> None:
    """DevCycleHQ/terraform-provider-devcycle commit d62f54a,
    `internal/provider/variables_delete.go` (`variablesControllerDelete`): DELETE with
    `If-Match: *` once the variable is detached -> 200 with an empty body; then 404."""
    url = _detached_variable(api, project)
    _check(api.delete(url, headers=IF_MATCH), "DELETE", f"{V1}/variables/{{key}}", 200)
    _error(api.get(url), "GET", f"{V1}/variables/{{key}}", 404)
    _error(api.delete(url, headers=IF_MATCH), "DELETE", f"{V1}/variables/{{key}}", 404)


def test_attached_variable_delete_is_412(api: httpx.Client, project: Project) -> None:
    """DevCycleHQ/terraform-provider-devcycle commit d62f54a (`detachVariableFromFeature`,
    `waitForDetachedVariable`): the provider detaches a variable from its feature and waits for
    `_feature` to be empty before deleting; the route's declared 412 for one still attached."""
    create_feature(api, project["key"], checkout_feature())
    url = f"/v1/projects/{project['key']}/variables/new-checkout-version"
    _error(api.delete(url, headers=IF_MATCH), "DELETE", f"{V1}/variables/{{key}}", 412)


def test_feature_patch_without_a_variable_detaches_it(api: httpx.Client, project: Project) -> None:
    """`UpdateFeatureDto.variables` replaces the feature's variables; one left out stays in the
    project without `_feature` (the Terraform provider detaches this way, commit d62f54a), and
    keeps its tags (`Variable.tags`): how flagsync recognises a variable it left behind."""
    body = checkout_feature()
    body["variables"] = [{**v, "tags": ["managed-by-flagsync"]} for v in body["variables"]]
    create_feature(api, project["key"], body)
    feature = f"/v2/projects/{project['key']}/features/new-checkout"
    variations = [
        {"key": v["key"], "name": v["name"], "variables": {}}
        for v in api.get(feature).json()["variations"]
    ]
    patched = api.patch(feature, json={"variables": [], "variations": variations})
    _check(patched, "PATCH", f"{V2}/features/{{feature}}", 200, "Feature")
    listed = _check(
        api.get(f"/v1/projects/{project['key']}/variables"),
        "GET",
        f"{V1}/variables",
        200,
        "Variable",
    )
    (variable,) = [v for v in listed if v["key"] == "new-checkout-version"]
    assert not variable.get("_feature")
    assert variable["tags"] == ["managed-by-flagsync"]


# -- features ----------------------------------------------------------------------------------


def test_feature_create_and_duplicate(api: httpx.Client, project: Project) -> None:
    """`POST /v2/projects/{project}/features` -> 201 `Feature`; a taken key -> the declared 409
    with `errorType` (reference: `ConflictErrorResponse`, e.g. ERR_DUPE_FEATURE_KEY)."""
    url = f"/v2/projects/{project['key']}/features"
    _check(api.post(url, json=checkout_feature()), "POST", f"{V2}/features", 201, "Feature")
    body = _error(api.post(url, json=checkout_feature()), "POST", f"{V2}/features", 409)
    assert body["errorType"] == "ERR_DUPE_FEATURE_KEY"
    listed = _check(api.get(url), "GET", f"{V2}/features", 200, "Feature")
    assert [f["key"] for f in listed] == ["new-checkout"]


def test_feature_delete_takes_its_variables(api: httpx.Client, project: Project) -> None:
    """`DELETE /v1/projects/{project}/features/{key}?deleteVariables=true` (the Terraform
    provider's `featureControllerDelete`, commit d62f54a) -> 200; the variables go with it."""
    create_feature(api, project["key"], checkout_feature())
    response = api.delete(
        f"/v1/projects/{project['key']}/features/new-checkout", params={"deleteVariables": "true"}
    )
    _check(response, "DELETE", f"{V1}/features/{{feature}}", 200)
    variable = f"/v1/projects/{project['key']}/variables/new-checkout-version"
    assert api.get(variable).status_code == 404


# -- audiences, custom properties, metrics ----------------------------------------------------


def test_audience_usage_lists_the_features_using_it(api: httpx.Client, project: Project) -> None:
    """`GET /v1/projects/{project}/audiences/{key}/usage` -> 200 `AudienceUsage`
    (`{features: AudienceFeature[]}`, each `{key, name, id, environments}`)."""
    audiences = f"/v1/projects/{project['key']}/audiences"
    everyone = {"operator": "and", "filters": [{"type": "all"}]}
    created = api.post(audiences, json={"key": "all", "name": "All", "filters": everyone})
    assert created.status_code == 201, created.text
    body = checkout_feature()
    body["configurations"]["development"] = {
        "targets": [
            {
                "name": "Reusable",
                "audience": {
                    "filters": {
                        "operator": "and",
                        "filters": [
                            {"type": "audienceMatch", "comparator": "=", "_audiences": ["all"]}
                        ],
                    }
                },
                "distribution": [{"_variation": "redesign", "percentage": 1}],
            }
        ]
    }
    create_feature(api, project["key"], body)
    usage = _check(
        api.get(f"{audiences}/all/usage"),
        "GET",
        f"{V1}/audiences/{{key}}/usage",
        200,
        "AudienceUsage",
    )
    assert [f["key"] for f in usage["features"]] == ["new-checkout"]
    _error(api.get(f"{audiences}/nope/usage"), "GET", f"{V1}/audiences/{{key}}/usage", 404)
    # An audience still used by a target: the route's declared 412.
    _error(api.delete(f"{audiences}/all"), "DELETE", f"{V1}/audiences/{{key}}", 412)


def test_custom_property_delete_declares_no_refusal(api: httpx.Client, project: Project) -> None:
    """`DELETE /v1/projects/{project}/customProperties/{key}` declares 200, 401 and 404 only:
    a property an audience reads (by `dataKey`) is deleted. Live behaviour unknown; flagsync
    deletes properties after the audiences that read them either way."""
    base = f"/v1/projects/{project['key']}"
    prop = {"key": "plan", "name": "Plan", "type": "String", "propertyKey": "plan"}
    _check(
        api.post(f"{base}/customProperties", json=prop),
        "POST",
        f"{V1}/customProperties",
        201,
        "CustomProperty",
    )
    reads = {
        "type": "user",
        "subType": "customData",
        "dataKey": "plan",
        "dataKeyType": "String",
        "comparator": "=",
        "values": ["pro"],
    }
    audience = {"key": "pro", "name": "Pro", "filters": {"operator": "and", "filters": [reads]}}
    assert api.post(f"{base}/audiences", json=audience).status_code == 201
    _check(
        api.delete(f"{base}/customProperties/plan"), "DELETE", f"{V1}/customProperties/{{key}}", 200
    )


def test_metric_association_twice_declares_no_conflict(api: httpx.Client, project: Project) -> None:
    """`POST /v1/projects/{project}/metric-associations` declares 201, 401, 403 and 404: no
    409, so associating twice answers 201 and keeps one association. Live behaviour unknown;
    flagsync treats a 409 after a lost answer as done too."""
    create_feature(api, project["key"], checkout_feature())
    base = f"/v1/projects/{project['key']}"
    metric = {
        "key": "signups",
        "name": "Signups",
        "event": "signup",
        "dimension": "COUNT_PER_UNIQUE_USER",
        "optimize": "increase",
    }
    _check(api.post(f"{base}/metrics", json=metric), "POST", f"{V1}/metrics", 201, "Metric")
    link = {"metric": "signups", "feature": "new-checkout"}
    path = f"{V1}/metric-associations"
    _check(api.post(f"{base}/metric-associations", json=link), "POST", path, 201)
    _check(api.post(f"{base}/metric-associations", json=link), "POST", path, 201)
    listed = _check(api.get(f"{base}/metric-associations"), "GET", path, 200)
    assert len(listed) == 1
