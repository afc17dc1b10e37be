"""PostHog approval policies: a 409 carrying a change_request_id is a pending change request,
reported as such, not an apply failure."""

from __future__ import annotations

from pathlib import Path

import httpx

from reconciler.apply import apply_plan
from reconciler.plan import ApiCall, Plan, Step
from reconciler.providers.posthog.client import PostHogClient
from reconciler.providers.posthog.provider import PostHogProvider
from reconciler.workspace import EnvironmentSettings, Workspace

POLICY_ANSWER = {
    "type": "invalid_request",
    "code": "conflict",
    "detail": "This change requires approval. A change request has been created.",
    "attr": None,
    "change_request_id": "9f2c",
}


def _provider(handler: httpx.MockTransport) -> PostHogProvider:
    workspace = Workspace(
        file=Path("flagsync.yaml"),
        provider="posthog",
        api_url="http://posthog.test",
        environments={"production": EnvironmentSettings(project_id=2)},
        manifests=(),
    )
    return PostHogProvider(
        workspace, PostHogClient("http://posthog.test", "phx_x", transport=handler)
    )


def _plan(call: ApiCall) -> Plan:
    return Plan(
        provider="posthog",
        project="",
        environments=["production"],
        steps=[Step(action="update", key="checkout", calls=[call])],
    )


def test_approval_policy_is_reported_as_a_pending_change_request() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(409, json=POLICY_ANSWER))
    provider = _provider(transport)
    call = ApiCall(method="PATCH", path="/api/projects/2/feature_flags/5/", body={"active": True})
    lines: list[str] = []
    result = apply_plan(_plan(call), provider, lines.append)
    assert result.ok
    assert lines == [
        "  approval required: change request 9f2c pending for checkout  "
        "(PATCH /api/projects/2/feature_flags/5/)"
    ]


def test_a_version_conflict_is_still_an_error() -> None:
    conflict = {
        "type": "server_error",
        "code": "conflict",
        "detail": "The feature flag was updated by someone else since you started editing it.",
        "attr": None,
    }
    transport = httpx.MockTransport(lambda request: httpx.Response(409, json=conflict))
    provider = _provider(transport)
    call = ApiCall(method="PATCH", path="/api/projects/2/feature_flags/5/", body={"active": True})
    result = apply_plan(_plan(call), provider, lambda line: None)
    assert not result.ok
    assert "updated by someone else" in str(result.error)
