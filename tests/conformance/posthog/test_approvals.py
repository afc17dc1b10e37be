"""Approvals: approval policy CRUD, the gate on flag updates, change request transitions.

Each case names the PostHog/posthog source it reproduces (all under `posthog/approvals/`).
Every case gets a fresh emulator: a project holds one policy per action.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reconciler.emulator import EmulatorConfig, EmulatorServer
from reconciler.emulator.posthog import REVIEWER_API_KEY

from .conftest import FLAGS

POLICIES = "/api/projects/1/approval_policies/"
REQUESTS = "/api/projects/1/change_requests/"
ROLLOUT = "feature_flag.update"


@pytest.fixture
def server(posthog_validation: str) -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(posthog_validation=posthog_validation)) as running:
        yield running


@pytest.fixture
def reviewer(server: EmulatorServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {REVIEWER_API_KEY}"}
    with httpx.Client(base_url=server.url, headers=headers) as client:
        yield client


def _policy(http: httpx.Client, action: str = ROLLOUT, **body: Any) -> dict[str, Any]:
    payload = {"action_key": action, "approver_config": {"users": [2], "quorum": 1}, **body}
    response = http.post(POLICIES, json=payload)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _flag(http: httpx.Client, rollout: int = 10, active: bool = True) -> dict[str, Any]:
    body = {
        "key": f"f{time.monotonic_ns()}",
        "active": active,
        "filters": {"groups": [{"properties": [], "rollout_percentage": rollout}]},
    }
    response = http.post(FLAGS, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _rollout(http: httpx.Client, flag: dict[str, Any], rollout: int) -> httpx.Response:
    groups = {"groups": [{"properties": [], "rollout_percentage": rollout}]}
    return http.patch(f"{FLAGS}{flag['id']}/", json={"filters": groups})


def _live(http: httpx.Client, flag: dict[str, Any]) -> dict[str, Any]:
    return dict(http.get(f"{FLAGS}{flag['id']}/").json())


def _opened(http: httpx.Client, flag: dict[str, Any], rollout: int) -> str:
    response = _rollout(http, flag, rollout)
    assert response.status_code == 409, response.text
    return str(response.json()["change_request_id"])


# -- policies ---------------------------------------------------------------------------------


def test_a_policy_takes_the_model_defaults(http: httpx.Client) -> None:
    """`ApprovalPolicySerializer` over `models.ApprovalPolicy`: conditions `{}`, self-approval
    off, no bypass, `expires_after` 14 days (rendered by DRF's `DurationField`), enabled."""
    policy = _policy(http)
    assert policy["conditions"] == {}
    assert policy["allow_self_approve"] is False
    assert policy["bypass_org_membership_levels"] == []
    assert policy["bypass_roles"] == []
    assert policy["expires_after"] == "14 00:00:00"
    assert policy["enabled"] is True
    assert policy["created_by"]["id"] == 1


def test_one_policy_per_action_and_project(http: httpx.Client) -> None:
    """`ApprovalPolicyViewSet.create`: the `(organization, team, action_key)` unique constraint
    is a 400 telling to edit the existing policy."""
    _policy(http)
    response = http.post(POLICIES, json={"action_key": ROLLOUT, "approver_config": {"quorum": 1}})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("A policy for this action already exists.")


def test_expires_after_is_a_django_duration(http: httpx.Client) -> None:
    """`ApprovalPolicySerializer.expires_after` is a DRF `DurationField` (`parse_duration`
    in, `duration_string` out)."""
    assert _policy(http, expires_after="1 02:03:04")["expires_after"] == "1 02:03:04"
    bad = http.post(
        POLICIES, json={"action_key": "x", "approver_config": {}, "expires_after": "soon"}
    )
    assert bad.status_code == 400
    assert bad.json()["attr"] == "expires_after"


def test_policies_are_listed_filtered_updated_and_deleted(http: httpx.Client) -> None:
    """`ApprovalPolicyViewSet.safely_get_queryset`: `action_key` and `enabled` filters;
    a `ModelViewSet`: PATCH and DELETE (204)."""
    first = _policy(http)
    _policy(http, "feature_flag.enable", enabled=False)
    keys = [
        p["action_key"] for p in http.get(POLICIES, params={"enabled": "true"}).json()["results"]
    ]
    assert keys == [ROLLOUT]
    only = http.get(POLICIES, params={"action_key": "feature_flag.enable"}).json()["results"]
    assert [p["enabled"] for p in only] == [False]
    patched = http.patch(f"{POLICIES}{first['id']}/", json={"approver_config": {"quorum": 2}})
    assert patched.json()["approver_config"] == {"quorum": 2}
    assert http.delete(f"{POLICIES}{first['id']}/").status_code == 204
    assert http.get(f"{POLICIES}{first['id']}/").status_code == 404


def test_only_admins_write_policies(reviewer: httpx.Client) -> None:
    """`ApprovalPolicyViewSet.permission_classes`: `OrganizationAdminWritePermissions` (the
    reviewer is a member)."""
    response = reviewer.post(POLICIES, json={"action_key": ROLLOUT, "approver_config": {}})
    assert response.status_code == 403


# -- the gate ---------------------------------------------------------------------------------


def test_a_gated_rollout_change_is_a_409_and_leaves_the_flag(http: httpx.Client) -> None:
    """`UpdateFeatureFlagAction.detect` (a rollout_percentage changes), `_evaluate_gate`
    (creates the ChangeRequest), `ApprovalHandlingMixin.handle_exception` (the 409 body)."""
    _policy(http)
    flag = _flag(http)
    response = _rollout(http, flag, 50)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "approval_required"
    assert body["status"] == "approval_required"
    assert body["message"] == "A change request has been created and is pending approval."
    assert body["resource_type"] == "feature_flag"
    assert body["resource_id"] == str(flag["id"])
    assert body["required_approvers"] == {"users": [2], "quorum": 1}
    request = body["change_request"]
    assert request["id"] == body["change_request_id"]
    assert request["state"] == "pending"
    assert request["action_key"] == ROLLOUT
    assert request["intent"]["triggered_paths"] == ["groups[0].rollout_percentage"]
    assert request["intent"]["preconditions"]["version"] == flag["version"]
    assert request["intent_display"]["description"] == (
        f"Update rollout percentage for feature flag '{flag['key']}': "
        "rollout percentage at groups[0].rollout_percentage: 10% -> 50%"
    )
    live = _live(http, flag)
    assert live["filters"]["groups"][0]["rollout_percentage"] == 10
    assert live["version"] == flag["version"]


def test_writes_that_change_no_rollout_pass(http: httpx.Client) -> None:
    """`UpdateFeatureFlagAction.detect`: only rollout_percentage paths are gateable; a create
    is a POST, never detected; a soft delete sends neither `active` nor `filters`."""
    _policy(http)
    flag = _flag(http)
    assert http.patch(f"{FLAGS}{flag['id']}/", json={"name": "renamed"}).status_code == 200
    prop = {"key": "email", "type": "person", "operator": "icontains", "value": "@x"}
    same = {"groups": [{"properties": [prop], "rollout_percentage": 10}]}
    assert http.patch(f"{FLAGS}{flag['id']}/", json={"filters": same}).status_code == 200
    assert http.patch(f"{FLAGS}{flag['id']}/", json={"deleted": True}).status_code == 200


def test_enabling_is_gated_by_the_enable_policy(http: httpx.Client) -> None:
    """`EnableFeatureFlagAction.detect`: `active: true` on a disabled flag; the disable action
    and a flag already on pass."""
    _policy(http, "feature_flag.enable")
    off = _flag(http, active=False)
    response = http.patch(f"{FLAGS}{off['id']}/", json={"active": True})
    assert response.status_code == 409
    assert response.json()["change_request"]["intent_display"]["description"] == (
        f"Enable feature flag '{off['key']}'"
    )
    on = _flag(http)
    assert http.patch(f"{FLAGS}{on['id']}/", json={"active": False}).status_code == 200


def test_a_second_gated_write_is_the_pending_request(http: httpx.Client) -> None:
    """`_check_for_duplicate`: a pending (or approved) request for the same action and flag
    answers 409 `change_request_pending` with that request, whatever the new change."""
    _policy(http)
    flag = _flag(http)
    first = _opened(http, flag, 50)
    again = _rollout(http, flag, 70)
    assert again.status_code == 409
    body = again.json()
    assert body["code"] == "change_request_pending"
    assert body["message"] == "A pending approval request already exists for this action"
    assert body["change_request_id"] == first
    assert body["required_approvers"] == {}
    assert len(http.get(REQUESTS).json()["results"]) == 1


def test_conditions_decide_which_changes_are_gated(http: httpx.Client) -> None:
    """`PolicyEngine._evaluate_before_after`: the new value against the threshold."""
    _policy(http, conditions={"type": "before_after", "field": "rollout_percentage",
                              "operator": ">", "value": 50})  # fmt: skip
    flag = _flag(http)
    assert _rollout(http, flag, 30).status_code == 200
    assert _rollout(http, flag, 80).status_code == 409


def test_change_amount_compares_the_delta(http: httpx.Client) -> None:
    """`PolicyEngine._evaluate_change_amount`: after minus before against the threshold."""
    _policy(http, conditions={"type": "change_amount", "field": "rollout_percentage",
                              "operator": ">", "value": 20})  # fmt: skip
    flag = _flag(http)
    assert _rollout(http, flag, 30).status_code == 200
    assert _rollout(http, flag, 60).status_code == 409


def test_a_bypass_level_passes(http: httpx.Client) -> None:
    """`PolicyEngine._has_bypass`: the user's organization level (the seeded user is an owner,
    15) in `bypass_org_membership_levels`."""
    _policy(http, bypass_org_membership_levels=["15"])
    assert _rollout(http, _flag(http), 90).status_code == 200


def test_a_disabled_policy_gates_nothing(http: httpx.Client) -> None:
    """`_check_policy_for_action`: only an enabled policy gates."""
    _policy(http, enabled=False)
    assert _rollout(http, _flag(http), 90).status_code == 200


def test_an_approver_author_is_told_others_approve(http: httpx.Client) -> None:
    """`PolicyEngine.evaluate`: the message when the author is an approver and self-approval
    is off."""
    _policy(http, approver_config={"users": [1, 2], "quorum": 1})
    response = _rollout(http, _flag(http), 90)
    assert response.json()["message"] == (
        "A change request has been created and is pending approval from others."
    )


# -- transitions ------------------------------------------------------------------------------


def test_approval_at_quorum_applies_the_change(http: httpx.Client, reviewer: httpx.Client) -> None:
    """`ChangeRequestService.approve`: quorum reached -> `apply_change_request` ->
    `UpdateFeatureFlagAction.apply` saves the request's `full_request_data`; state `applied`."""
    _policy(http)
    flag = _flag(http)
    request_id = _opened(http, flag, 50)
    answer = reviewer.post(f"{REQUESTS}{request_id}/approve/", json={"reason": "ok"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "applied"
    assert body["message"] == "Quorum reached. Change applied successfully."
    assert body["change_request"]["state"] == "applied"
    assert body["result"] == {"resource_id": flag["id"], "resource_version": flag["version"] + 1}
    live = _live(http, flag)
    assert live["filters"]["groups"][0]["rollout_percentage"] == 50
    assert live["last_modified_by"]["id"] == 1


def test_quorum_counts_approvals(http: httpx.Client, reviewer: httpx.Client) -> None:
    """`ChangeRequestService.approve`: below quorum the vote is recorded and the request stays
    pending; `AlreadyVotedError` is a 400."""
    _policy(http, approver_config={"users": [1, 2], "quorum": 2}, allow_self_approve=True)
    flag = _flag(http)
    request_id = _opened(http, flag, 50)
    first = reviewer.post(f"{REQUESTS}{request_id}/approve/").json()
    assert first["status"] == "approved"
    assert first["message"] == "Approval recorded. 1/2 approvals received."
    assert first["change_request"]["state"] == "pending"
    again = reviewer.post(f"{REQUESTS}{request_id}/approve/")
    assert again.status_code == 400
    assert again.json() == {"error": "You have already voted on this change request."}
    assert _live(http, flag)["filters"]["groups"][0]["rollout_percentage"] == 10
    assert http.post(f"{REQUESTS}{request_id}/approve/").json()["status"] == "applied"


def test_the_author_cannot_approve(http: httpx.Client) -> None:
    """`CanApprove.has_object_permission`: the requester, self-approval off."""
    _policy(http, approver_config={"users": [1, 2], "quorum": 1})
    request_id = _opened(http, _flag(http), 50)
    response = http.post(f"{REQUESTS}{request_id}/approve/")
    assert response.status_code == 403
    assert response.json()["detail"] == "You cannot approve your own change request"


def test_rejection_needs_a_reason_and_closes_the_request(
    http: httpx.Client, reviewer: httpx.Client
) -> None:
    """`ChangeRequestService.reject` (`ReasonRequiredError` -> 400); after it, `CanApprove`
    refuses any vote on a request that is not pending."""
    _policy(http)
    flag = _flag(http)
    request_id = _opened(http, flag, 50)
    missing = reviewer.post(f"{REQUESTS}{request_id}/reject/", json={})
    assert missing.status_code == 400
    assert missing.json() == {"error": "A reason is required for rejection."}
    done = reviewer.post(f"{REQUESTS}{request_id}/reject/", json={"reason": "too fast"})
    assert done.json()["status"] == "rejected"
    assert done.json()["change_request"]["approvals"][0]["reason"] == "too fast"
    late = reviewer.post(f"{REQUESTS}{request_id}/approve/")
    assert late.status_code == 403
    assert late.json()["detail"] == "Only pending change requests can be approved"
    assert _live(http, flag)["filters"]["groups"][0]["rollout_percentage"] == 10


def test_only_the_author_cancels_and_cancelled_reads_rejected(
    http: httpx.Client, reviewer: httpx.Client
) -> None:
    """`CanCancel` and `ChangeRequestService.cancel`: a rejection vote with the reason, state
    `rejected` (there is no cancelled state)."""
    _policy(http)
    flag = _flag(http)
    request_id = _opened(http, flag, 50)
    refused = reviewer.post(f"{REQUESTS}{request_id}/cancel/")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "You can only cancel your own change requests"
    done = http.post(f"{REQUESTS}{request_id}/cancel/", json={}).json()
    assert done["status"] == "canceled"
    assert done["change_request"]["state"] == "rejected"
    assert done["change_request"]["approvals"][0]["reason"] == "Canceled by requester"
    assert _rollout(http, flag, 60).json()["code"] == "approval_required"


def test_a_pending_request_expires(http: httpx.Client) -> None:
    """`_evaluate_gate`: `expires_at = now + policy.expires_after`; `tasks.expire_old_change_
    requests` marks it `expired`, after which a new gated write opens a new request."""
    _policy(http, expires_after="1")
    flag = _flag(http)
    request_id = _opened(http, flag, 50)
    time.sleep(1.2)
    assert http.get(f"{REQUESTS}{request_id}/").json()["state"] == "expired"
    assert _opened(http, flag, 50) != request_id


def test_a_flag_changed_since_fails_the_apply(http: httpx.Client, reviewer: httpx.Client) -> None:
    """`UpdateFeatureFlagAction.apply`: `PreconditionFailed` when the flag's version moved;
    `apply_change_request` marks the request `failed` with the reason."""
    _policy(http)
    flag = _flag(http)
    request_id = _opened(http, flag, 50)
    assert http.patch(f"{FLAGS}{flag['id']}/", json={"name": "moved"}).status_code == 200
    body = reviewer.post(f"{REQUESTS}{request_id}/approve/").json()
    assert body["status"] == "failed"
    assert body["change_request"]["state"] == "failed"
    assert body["change_request"]["apply_error"] == (
        f"Precondition failed: Flag version mismatch: expected {flag['version']}, "
        f"got {flag['version'] + 1}"
    )
    assert _live(http, flag)["filters"]["groups"][0]["rollout_percentage"] == 10


def test_the_list_filters(http: httpx.Client, reviewer: httpx.Client) -> None:
    """`ChangeRequestViewSet.safely_get_queryset`: `state` (comma-separated), `resource_type`,
    `resource_id`; newest first."""
    _policy(http)
    one, two = _flag(http), _flag(http)
    first = _opened(http, one, 50)
    second = _opened(http, two, 50)
    reviewer.post(f"{REQUESTS}{first}/reject/", json={"reason": "no"})

    def ids(**params: str) -> list[str]:
        return [r["id"] for r in http.get(REQUESTS, params=params).json()["results"]]

    assert ids() == [second, first]
    assert ids(state="pending") == [second]
    assert ids(state="rejected,expired") == [first]
    assert ids(resource_type="feature_flag", resource_id=str(one["id"])) == [first]
    assert ids(resource_type="experiment") == []
