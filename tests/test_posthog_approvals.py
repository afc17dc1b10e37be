"""PostHog approval policies: a 409 carrying a change_request_id is a pending change request,
reported as such, not an apply failure."""

from __future__ import annotations

from pathlib import Path

import httpx

from reconciler.apply import apply_plan
from reconciler.plan import ApiCall, Plan, Step, Subject
from reconciler.providers.posthog.client import PostHogClient
from reconciler.providers.posthog.provider import PostHogProvider
from reconciler.workspace import EnvironmentSettings, Workspace

# `ApprovalHandlingMixin.handle_exception` (PostHog/posthog posthog/approvals/mixins.py).
POLICY_ANSWER = {
    "code": "approval_required",
    "status": "approval_required",
    "detail": "A change request has been created and is pending approval.",
    "message": "A change request has been created and is pending approval.",
    "resource_type": "feature_flag",
    "resource_id": "5",
    "change_request_id": "9f2c",
    "change_request": {"id": "9f2c", "state": "pending"},
    "required_approvers": {"users": [2], "quorum": 1},
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
    call = ApiCall(
        method="PATCH",
        path="/api/projects/2/feature_flags/5/",
        body={"active": True},
        subject=Subject(kind="flag", key="checkout", id="5", scope="2"),
    )
    lines: list[str] = []
    result = apply_plan(_plan(call), provider, lines.append)
    assert result.ok
    assert lines == [
        "  awaiting review: opened change request 9f2c "
        "(http://posthog.test/project/2/approvals/9f2c) for checkout  "
        "(PATCH /api/projects/2/feature_flags/5/)"
    ]
    assert result.counts()["change_request"] == 1


def test_a_version_conflict_is_still_an_error() -> None:
    conflict = {
        "type": "server_error",
        "code": "conflict",
        "detail": "The feature flag was updated by someone else since you started editing it.",
        "attr": None,
    }
    transport = httpx.MockTransport(lambda request: httpx.Response(409, json=conflict))
    provider = _provider(transport)
    call = ApiCall(
        method="PATCH",
        path="/api/projects/2/feature_flags/5/",
        body={"active": True},
        subject=Subject(kind="flag", key="checkout", id="5", scope="2"),
    )
    result = apply_plan(_plan(call), provider, lambda line: None)
    assert not result.ok
    assert "updated by someone else" in str(result.error)


def _scoped_key_reviews(expects_reviews: bool) -> tuple[object, list[str]]:
    """Reviews read with a scoped personal API key: PostHog's approvals endpoints are INTERNAL,
    so `APIScopePermission` answers 403 "This action does not support Personal API Key
    access"."""
    from typing import Any

    from reconciler.errors import ApiError
    from reconciler.providers.posthog.change_requests import Reviews

    def refuse(path: str, params: dict[str, Any] | None) -> list[Any]:
        raise ApiError(f"GET {path}", "This action does not support Personal API Key access", 403)

    reviews = Reviews(refuse, "http://posthog.test", "managed-by-flagsync", set(), expects_reviews)
    return reviews.project(2).policies, reviews.notices


def test_a_scoped_key_plans_without_reviews_and_says_so_only_when_they_matter() -> None:
    policies, notices = _scoped_key_reviews(expects_reviews=True)
    assert policies is None
    assert len(notices) == 1 and "personal API keys without scopes" in notices[0]
    assert _scoped_key_reviews(expects_reviews=False) == (None, [])
