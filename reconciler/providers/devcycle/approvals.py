"""Whether a DevCycle project takes feature changes through review, and which are under review.

Both come from what DevCycle documents, read before anything is written:

- `GET /v1/projects/{project}` answers the project with `settings.featureApprovalWorkflow`
  (`FeatureApprovalWorkflowSettings`: `enabled`, `allowPublisherBypass`, `defaultReviewers`).
  With the workflow on, every change to a feature, in every environment, goes through a Feature
  Change Request (DevCycle's "Approval Workflows" docs), so flagsync plans every change as one;
  a direct write the API refuses is then an error, never a reason to guess. Without it DevCycle
  has no change requests (the OpenAPI document declares 405 on their routes, 412 on creating
  one), so a workspace asking for `changes: change-request` is a plan-time error.
- `GET /v2/projects/{project}/change-requests?status=` lists the project's requests
  (`FeatureChangeRequestSummary`: `_feature`, `feature {key}`, `status`, `description`): the
  open ones are read from there, by status, not from a field of the feature list.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reconciler.errors import WorkspaceError
from reconciler.workspace import Workspace

OPEN_STATUSES = ("draft", "pending")


def workflow_enabled(project: Any) -> bool:
    """Whether the project's approval workflow is on (`settings.featureApprovalWorkflow`)."""
    settings = project.get("settings") if isinstance(project, dict) else None
    workflow = settings.get("featureApprovalWorkflow") if isinstance(settings, dict) else None
    return isinstance(workflow, dict) and workflow.get("enabled") is True


def check_workspace(workspace: Workspace, enabled: bool) -> None:
    """A change-request environment needs the project's approval workflow: say what to enable."""
    asked = workspace.change_request_environments
    if asked and not enabled:
        raise WorkspaceError(
            f"{workspace.file}: environment(s) {', '.join(asked)} use `changes: change-request`, "
            f"but DevCycle project '{workspace.project}' has no feature approval workflow, and "
            "DevCycle takes change requests only where it is on. Enable it in the project's "
            "settings (Feature Approval Workflow, an Enterprise feature), or set `changes: "
            "direct` for those environments."
        )


def reviewed_environments(workspace: Workspace, enabled: bool) -> list[str]:
    """The environments whose changes go to reviewers: all of them under the workflow (it
    covers feature changes in every environment), none without it."""
    return list(workspace.environment_names) if enabled else []


def by_feature(summaries: Iterable[Any]) -> dict[str, list[dict[str, Any]]]:
    """Open requests by feature, under both the feature's `_id` and its key."""
    found: dict[str, list[dict[str, Any]]] = {}
    for summary in summaries:
        if not isinstance(summary, dict) or summary.get("status") not in OPEN_STATUSES:
            continue
        feature = summary.get("feature")
        names = {summary.get("_feature")}
        if isinstance(feature, dict):
            names.add(feature.get("key"))
        for name in names - {None}:
            found.setdefault(str(name), []).append(summary)
    return found
