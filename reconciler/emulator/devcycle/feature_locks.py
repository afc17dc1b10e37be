"""Why a direct write to a feature is refused: the approval workflow and the pending-request lock.

Two independent rules, both answered with 412 (the status the vendor declares for refused
feature writes):

- a project whose `settings.featureApprovalWorkflow.enabled` is true takes feature changes only
  through change requests, so a direct write is refused;
- while a change request of a feature is `pending`, "the Feature form will be locked for all
  users until the active Change Request is approved, rejected, or canceled" (vendor docs), in
  every project, with or without the workflow.

Vendor behaviour unknown: the status and wording of both refusals. 412 is the emulator's choice;
the approval message names "approved change request" and never "locked", the lock message names
"locked" and the request id and never "approval", so a client can tell one from the other (it
must open a change request for the first; for the second it must wait).
"""

from __future__ import annotations

from .change_request_documents import pending_request
from .errors import ApiError, PreconditionFailed
from .store import DevCycleStore, Doc

APPROVAL_REQUIRED = "Feature changes in this project require an approved change request"
NO_WORKFLOW = "Feature Approval Workflow is not enabled for this project"


def approval_required(project: Doc) -> bool:
    """Whether the project's approval workflow is on."""
    workflow = project["settings"].get("featureApprovalWorkflow") or {}
    return bool(workflow.get("enabled"))


def publisher_bypass_allowed(project: Doc) -> bool:
    """Whether a change request may be applied without an approving review ("Force Apply")."""
    workflow = project["settings"].get("featureApprovalWorkflow") or {}
    return bool(workflow.get("allowPublisherBypass"))


def ensure_unlocked(store: DevCycleStore, feature: Doc, except_request: str | None = None) -> None:
    """Refuse (412) a write to a feature that a pending change request (not `except_request`)
    locks."""
    pending = pending_request(store, feature["_id"], except_request)
    if pending is not None:
        raise PreconditionFailed(
            f"Feature '{feature['key']}' is locked by pending change request {pending['_id']}"
        )


def ensure_direct_write(store: DevCycleStore, project: Doc, feature: Doc) -> None:
    """Refuse (412) a direct write to an existing feature: locked, or approvals required.

    Not for creating a feature (create is not a change request operation, so it is never
    gated) nor for applying a change request (that is how gated changes are made).
    """
    # Vendor behaviour unknown: which refusal wins when both apply; the lock, which names the
    # request to wait for.
    ensure_unlocked(store, feature)
    if approval_required(project):
        raise PreconditionFailed(APPROVAL_REQUIRED)


def ensure_workflow(project: Doc, creating: bool = False) -> None:
    """Refuse a change request operation in a project without the approval workflow.

    The OpenAPI document declares 405 on every change request operation but creation
    (`GET/PATCH /v2/projects/{project}/change-requests...`: 200, 404, 405), and 412 on creation
    (`POST .../features/{feature}/change-requests`: 201, 400, 409, 412); approval workflows are
    an Enterprise project setting (`UpdateProtectedProjectSettingsDto.featureApprovalWorkflow`).
    """
    # Vendor behaviour unknown: that the workflow setting is what these statuses answer, and
    # their wording (the document gives them no body).
    if not approval_required(project):
        raise ApiError(412 if creating else 405, NO_WORKFLOW)
