"""Turning a DevCycle project's approval workflow on or off through the emulator's API, as an
administrator does in the dashboard (`PATCH /v1/projects/{project}/settings/protected`)."""

from __future__ import annotations

import httpx

STALENESS = {
    "enabled": False,
    "released": {"enabled": False},
    "unmodifiedLong": {"enabled": False},
    "unmodifiedShort": {"enabled": False},
    "unused": {"enabled": False},
    "email": {"enabled": False, "users": [], "frequency": "weekly"},
}


def set_approval_workflow(
    api: httpx.Client, project: str, enabled: bool = True, bypass: bool = False
) -> None:
    workflow = {"enabled": enabled, "allowPublisherBypass": bypass, "defaultReviewers": []}
    response = api.patch(
        f"/v1/projects/{project}/settings/protected",
        json={"settings": {"featureApprovalWorkflow": workflow, "staleness": STALENESS}},
    )
    assert response.status_code == 200, response.text
