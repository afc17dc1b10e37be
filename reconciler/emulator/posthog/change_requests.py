"""`/api/projects/{id}/change_requests/`: PostHog's `ChangeRequestViewSet` and the
`ChangeRequestService` behind its actions.

Source: PostHog/posthog `posthog/approvals/api.py` (`ChangeRequestViewSet`: list filters
`state` (comma-separated), `action_key`/`action_type`, `requester`, `resource_type`,
`resource_id`; `approve`, `reject`, `cancel`), `posthog/approvals/permissions.py` (`CanApprove`,
`CanCancel`), `posthog/approvals/services.py` (`ChangeRequestService`, `apply_change_request`),
`posthog/approvals/serializers.py` (`ChangeRequestSerializer`) and `posthog/approvals/tasks.py`
(`expire_old_change_requests`).

- Approve: a vote; when the approvals reach the policy snapshot's quorum the request becomes
  `approved` and is applied at once (`applied`, or `failed` with `apply_error` when the flag's
  `version` moved since the request was opened: `PreconditionFailed`).
- Reject needs a reason; cancel (only by the requester) records a rejection vote with the
  reason and leaves the request `rejected`: PostHog has no `canceled` state.
- Expiry: PostHog's Celery task marks pending requests past `expires_at` `expired` hourly; the
  emulator runs that task before every request, so a request expires as soon as it is due.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .errors import ApiError, not_found
from .fields import now_iso
from .flag_read import user_basic
from .flag_write import update_flag
from .http import Call, Handler, Reply
from .pagination import paginate
from .state import PostHogState, Record

OPEN = ("pending", "approved")


def expire_due(state: PostHogState) -> None:
    """`expire_old_change_requests`: pending requests whose `expires_at` passed are `expired`
    (only `state` changes: the task saves `update_fields=["state"]`)."""
    now = datetime.now(UTC)
    for request in state.change_requests:
        if request["state"] == "pending" and _parse(request["expires_at"]) <= now:
            request["state"] = "expired"


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def requests_of(state: PostHogState, project_id: int) -> list[Record]:
    return [r for r in state.change_requests if r["team_id"] == project_id]


def serialize_request(
    state: PostHogState, request: Record, viewer: Record | None = None
) -> dict[str, Any]:
    """`ChangeRequestSerializer`; the per-viewer fields are false/None without a request user
    (as in the 409 answer of a gated write, which serializes without context)."""
    snapshot = request["policy_snapshot"]
    votes = request["approvals"]
    is_requester = viewer is not None and viewer["id"] == request["created_by_id"]
    can_approve = False
    if viewer is not None and not (is_requester and not snapshot.get("allow_self_approve")):
        can_approve = viewer["id"] in snapshot.get("users", [])
    mine = [v for v in votes if viewer is not None and v["created_by_id"] == viewer["id"]]
    decision = mine[0]["decision"] if mine else None
    return {
        "id": request["id"],
        "action_key": request["action_key"],
        "action_version": request["action_version"],
        "resource_type": request["resource_type"],
        "resource_id": request["resource_id"],
        "intent": request["intent"],
        "intent_display": request["intent_display"],
        "policy_snapshot": snapshot,
        "validation_status": request["validation_status"],
        "validation_errors": request["validation_errors"],
        "validated_at": request["validated_at"],
        "state": request["state"],
        "created_by": user_basic(state, request["created_by_id"]),
        "applied_by": user_basic(state, request.get("applied_by_id")),
        "created_at": request["created_at"],
        "updated_at": request["updated_at"],
        "expires_at": request["expires_at"],
        "applied_at": request["applied_at"],
        "apply_error": request["apply_error"],
        "result_data": request["result_data"],
        "approvals": [
            {
                "id": vote["id"],
                "created_by": user_basic(state, vote["created_by_id"]),
                "decision": vote["decision"],
                "reason": vote["reason"],
                "created_at": vote["created_at"],
            }
            for vote in votes
        ],
        "can_approve": can_approve,
        "can_cancel": is_requester and request["state"] == "pending",
        "is_requester": is_requester,
        "user_decision": decision,
    }


def _request(call: Call) -> Record:
    expire_due(call.state)
    found = next(
        (
            r
            for r in requests_of(call.state, call.project_id)
            if r["id"] == call.params["request_id"]
        ),
        None,
    )
    if found is None:
        raise not_found("No ChangeRequest matches the given query.")
    return found


def _denied(message: str) -> ApiError:
    return ApiError(403, "authentication_error", "permission_denied", message)


def _can_approve(call: Call, request: Record) -> None:
    """`CanApprove.has_object_permission` (also guards `reject`)."""
    if request["state"] != "pending":
        raise _denied("Only pending change requests can be approved")
    snapshot = request["policy_snapshot"]
    if request["created_by_id"] == call.user["id"] and not snapshot.get("allow_self_approve"):
        raise _denied("You cannot approve your own change request")
    if call.user["id"] not in snapshot.get("users", []):
        # Approver roles (`roles`) need PostHog's RBAC, which the emulator does not have.
        raise _denied("You are not in the approver set for this change request")


def _vote(call: Call, request: Record, decision: str, reason: str) -> Reply | None:
    if any(v["created_by_id"] == call.user["id"] for v in request["approvals"]):
        return Reply({"error": "You have already voted on this change request."}, 400)
    request["approvals"].append(
        {
            "id": _uuid(),
            "created_by_id": call.user["id"],
            "decision": decision,
            "reason": reason,
            "created_at": now_iso(),
        }
    )
    return None


def _uuid() -> str:
    import uuid

    return str(uuid.uuid4())


def _reason(call: Call, default: str) -> str:
    data = call.body if isinstance(call.body, dict) else {}
    value = data.get("reason", default)
    return "" if value is None else str(value)


def apply_request(state: PostHogState, request: Record) -> Any:
    """`apply_change_request` with `UpdateFeatureFlagAction.apply` (or the enable/disable
    actions'): the flag's `version` must still be the one the request was opened on."""
    flag = state.flag(request["team_id"], int(request["intent"]["flag_id"]))
    if flag is None:
        raise _ApplyFailed("Apply failed: FeatureFlag matching query does not exist.")
    expected = request["intent"]["preconditions"]["version"]
    if flag.get("version") != expected:
        raise _ApplyFailed(
            f"Precondition failed: Flag version mismatch: expected {expected}, "
            f"got {flag.get('version')}"
        )
    target = {"feature_flag.enable": True, "feature_flag.disable": False}.get(request["action_key"])
    if target is not None and flag["active"] is target:
        return flag
    creator = state.user(request["created_by_id"]) or {"id": request["created_by_id"]}
    data = request["intent"]["full_request_data"]
    try:
        update_flag(state, flag, creator, data, method="PATCH", gated=False)
    except ApiError as error:
        raise _ApplyFailed(f"Apply failed: {error.detail}") from None
    return flag


class _ApplyFailed(Exception):
    pass


def approve_handler(call: Call) -> Reply:
    request = _request(call)
    _can_approve(call, request)
    refused = _vote(call, request, "approved", _reason(call, ""))
    if refused is not None:
        return refused
    approved = sum(1 for v in request["approvals"] if v["decision"] == "approved")
    quorum = request["policy_snapshot"].get("quorum", 1)
    request["updated_at"] = now_iso()
    answer: dict[str, Any]
    if approved >= quorum:
        request["state"] = "approved"
        try:
            flag = apply_request(call.state, request)
        except _ApplyFailed as error:
            request["state"] = "failed"
            request["apply_error"] = str(error)
            answer = {
                "status": "failed",
                "message": f"Quorum reached but application failed: {error}",
            }
        else:
            result = {"resource_id": flag["id"], "resource_version": flag.get("version")}
            request.update(
                state="applied",
                applied_at=now_iso(),
                applied_by_id=request["created_by_id"],
                result_data=result,
            )
            answer = {
                "status": "applied",
                "message": "Quorum reached. Change applied successfully.",
                "result": result,
            }
    else:
        answer = {
            "status": "approved",
            "message": f"Approval recorded. {approved}/{quorum} approvals received.",
        }
    result = answer.pop("result", None)
    answer["change_request"] = serialize_request(call.state, request, call.user)
    if result:
        answer["result"] = result
    return Reply(answer)


def reject_handler(call: Call) -> Reply:
    request = _request(call)
    _can_approve(call, request)
    reason = _reason(call, "")
    if not reason:
        return Reply({"error": "A reason is required for rejection."}, 400)
    refused = _vote(call, request, "rejected", reason)
    if refused is not None:
        return refused
    request["state"] = "rejected"
    request["updated_at"] = now_iso()
    return Reply(
        {
            "status": "rejected",
            "message": "Change request rejected.",
            "change_request": serialize_request(call.state, request, call.user),
        }
    )


def cancel_handler(call: Call) -> Reply:
    request = _request(call)
    if request["state"] != "pending":
        raise _denied("Only pending change requests can be canceled")
    if request["created_by_id"] != call.user["id"]:
        raise _denied("You can only cancel your own change requests")
    request["approvals"].append(
        {
            "id": _uuid(),
            "created_by_id": call.user["id"],
            "decision": "rejected",
            "reason": _reason(call, "Canceled by requester"),
            "created_at": now_iso(),
        }
    )
    request["state"] = "rejected"
    request["updated_at"] = now_iso()
    return Reply(
        {
            "status": "canceled",
            "message": "Change request canceled.",
            "change_request": serialize_request(call.state, request, call.user),
        }
    )


def list_handler(call: Call) -> Reply:
    expire_due(call.state)
    rows = sorted(requests_of(call.state, call.project_id), key=lambda r: r["created_at"])
    rows.reverse()
    query = call.query
    if "state" in query:
        states = query["state"].split(",")
        rows = [r for r in rows if r["state"] in states]
    action = query.get("action_type") or query.get("action_key")
    if action:
        rows = [r for r in rows if r["action_key"] == action]
    if "requester" in query:
        rows = [r for r in rows if str(r["created_by_id"]) == query["requester"]]
    if "resource_type" in query:
        rows = [r for r in rows if r["resource_type"] == query["resource_type"]]
    if "resource_id" in query:
        rows = [r for r in rows if r["resource_id"] == query["resource_id"]]
    page = paginate(call.request, rows)
    page["results"] = [serialize_request(call.state, r, call.user) for r in page["results"]]
    return Reply(page)


def retrieve_handler(call: Call) -> Reply:
    return Reply(serialize_request(call.state, _request(call), call.user))


COLLECTION: dict[str, Handler] = {"GET": list_handler}
DETAIL: dict[str, Handler] = {"GET": retrieve_handler}
ACTIONS: dict[str, dict[str, Handler]] = {
    "approve": {"POST": approve_handler},
    "reject": {"POST": reject_handler},
    "cancel": {"POST": cancel_handler},
}
