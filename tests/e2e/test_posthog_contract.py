"""Every request flagsync sends to PostHog, checked against PostHog's own OpenAPI document.

flagsync's PostHog client runs against the emulator through a recording transport while it
plans and applies the examples, an edit, a soft delete (prune) and a group filter. Each request
must name a path and method the document has, use only query parameters the operation
declares, and send a body its request schema accepts, with no property the schema does not
list. One exception, with its reason: `original_flag` in a PATCH, which PostHog's
`FeatureFlagSerializer.update` reads from the raw request (for its conflict check) but the
generated document cannot show, since it is not a serializer field. And the experiment
lifecycle actions `launch/` and `end/` (bodiless POSTs), which PostHog added after the
document's 2025-11 snapshot (reference §11, "Newer (CODE, 2026)").
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.apply import apply_plan
from reconciler.emulator import EmulatorServer
from reconciler.emulator.posthog import PERSONAL_API_KEY
from reconciler.manifest.loader import load_flags
from reconciler.providers.posthog.client import PostHogClient
from reconciler.providers.posthog.provider import PostHogProvider
from reconciler.reconcile import PlanOptions, make_plan
from reconciler.workspace import load_workspace
from tests.e2e.conftest import REPO
from tests.emulator_posthog.openapi import SPEC_PATH, Contract, load_document

pytestmark = pytest.mark.skipif(not SPEC_PATH.exists(), reason="shared/vendor not checked out")
NOT_IN_THE_SCHEMA = {"original_flag"}
# Newer than the document, each with the PostHog code that declares it: the event definition
# list's `names`, `limit` and `offset` (`EventDefinitionViewSet.list`'s `extend_schema`
# parameters: `EventDefinitionQuerySerializer` and `names`; the 2025-11 document lists none), and
# the experiment serializer's write-only `allow_unknown_events`
# (`ExperimentSerializer.allow_unknown_events`, products/experiments/backend/presentation/
# serializers.py), which flagsync sends only when a metric names an event the project lacks.
# `archived` on the flag and experiment lists (`exclude_archived_unless_requested` in
# products/feature_flags/backend/flag_status.py, `ExperimentService.filter_experiments_queryset`)
# is newer than the document too.
NEWER_QUERY = {
    ("GET", "/api/projects/{id}/event_definitions/"): {"names", "limit", "offset"},
    ("GET", "/api/projects/{id}/feature_flags/"): {"archived"},
    ("GET", "/api/projects/{id}/experiments/"): {"archived"},
}
NEWER_FIELDS = {
    "Experiment": {"allow_unknown_events"},
    "PatchedExperiment": {"allow_unknown_events"},
}
NEWER_THAN_THE_DOCUMENT = {
    ("POST", "/api/projects/{id}/experiments/{id}/launch/"),
    ("POST", "/api/projects/{id}/experiments/{id}/end/"),
    ("POST", "/api/projects/{id}/experiments/{id}/archive/"),
}
INTERNAL = {
    ("GET", "/api/projects/{id}/approval_policies/"): {"limit", "offset"},
    ("GET", "/api/projects/{id}/change_requests/"): {"limit", "offset", "resource_type"},
}
"""Approvals endpoints, absent from the public document: `ChangeRequestViewSet` and
`ApprovalPolicyViewSet` (PostHog/posthog posthog/approvals/api.py) are `scope_object =
"INTERNAL"`; their query parameters are the ones `safely_get_queryset` and DRF's
`LimitOffsetPagination` read."""
GROUP_FLAG = """
  - key: enterprise-reports
    description: Reports for enterprise companies.
    environments:
      production:
        enabled: true
        targets:
          - audience:
              all:
                - group: {type: company, key: plan, is: enterprise}
            percentage: 50
"""


class Recorder(httpx.BaseTransport):
    """Forwards every request and keeps (method, path, query, JSON body)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.requests: list[tuple[str, str, dict[str, list[str]], Any]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        query: dict[str, list[str]] = {}
        for name, value in request.url.params.multi_items():
            query.setdefault(name, []).append(value)
        self.requests.append((request.method, request.url.path, query, body))
        return self.inner.handle_request(request)


def _operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any] | None:
    for template, item in document["paths"].items():
        pattern = "^" + re.sub(r"\{[^/]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in item:
            return dict(item[method.lower()])
    return None


def _schema_name(operation: dict[str, Any]) -> str | None:
    content = (operation.get("requestBody") or {}).get("content") or {}
    ref = ((content.get("application/json") or {}).get("schema") or {}).get("$ref", "")
    return ref.rsplit("/", 1)[-1] or None


def _run(provider: PostHogProvider, workspace_dir: Path, prune: bool = False) -> None:
    workspace = load_workspace(workspace_dir)
    provider.workspace = workspace
    plan = make_plan(workspace, load_flags(workspace), provider, PlanOptions(prune=prune))
    result = apply_plan(plan, provider, lambda line: None)
    assert result.ok, result.error


@pytest.mark.slow
def test_every_request_matches_the_openapi_document(
    tmp_path: Path, emulator: EmulatorServer
) -> None:
    document = load_document()
    contract = Contract(document)
    workspace_dir = tmp_path / "posthog"
    shutil.copytree(REPO / "tests" / "fixtures" / "examples" / "posthog", workspace_dir)
    recorder = Recorder()
    client = PostHogClient(emulator.url, PERSONAL_API_KEY, transport=recorder)
    provider = PostHogProvider(load_workspace(workspace_dir), client)
    try:
        _run(provider, workspace_dir)  # creates in two projects, a dependency, cohorts
        checkout = workspace_dir / "flags" / "checkout.yaml"
        checkout.write_text(checkout.read_text().replace("percentage: 10\n", "percentage: 30\n"))
        with (workspace_dir / "flags" / "beta.yaml").open("a") as manifest:
            manifest.write(GROUP_FLAG)
        _run(provider, workspace_dir)  # an update (version + original_flag), a group filter
        (workspace_dir / "flags" / "beta.yaml").unlink()
        _run(provider, workspace_dir, prune=True)  # soft deletes
    finally:
        client.close()

    seen = {(method, re.sub(r"/\d+/", "/{id}/", path)) for method, path, _, _ in recorder.requests}
    assert {
        ("GET", "/api/projects/{id}/feature_flags/"),
        ("GET", "/api/projects/{id}/cohorts/"),
        ("GET", "/api/projects/{id}/groups_types/"),
        ("POST", "/api/projects/{id}/feature_flags/"),
        ("PATCH", "/api/projects/{id}/feature_flags/{id}/"),
    } <= seen
    assert any(body == {"deleted": True} for _, _, _, body in recorder.requests)
    for method, path, query, body in recorder.requests:
        internal = INTERNAL.get((method, re.sub(r"/\d+/", "/{id}/", path)))
        if internal is not None:
            assert body is None and set(query) <= internal, f"{method} {path}: {query}"
            continue
        if (method, re.sub(r"/\d+/", "/{id}/", path)) in NEWER_THAN_THE_DOCUMENT:
            assert not query and not body, f"{method} {path} takes no query and no body"
            continue
        operation = _operation(document, method, path)
        assert operation is not None, f"{method} {path} is not in PostHog's OpenAPI document"
        declared = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
        declared |= NEWER_QUERY.get((method, re.sub(r"/\d+/", "/{id}/", path)), set())
        assert set(query) <= declared, f"{method} {path}: undeclared query {set(query) - declared}"
        schema = _schema_name(operation)
        if body is None:
            continue
        assert schema is not None, f"{method} {path} sends a body the operation does not take"
        newer = NEWER_FIELDS.get(schema, set())
        errors = contract.errors(
            "request", schema, {k: v for k, v in body.items() if k not in newer}
        )
        assert not errors, f"{method} {path}: body violates {schema}: {errors}"
        known = set(document["components"]["schemas"][schema]["properties"]) | newer
        unknown = set(body) - known - NOT_IN_THE_SCHEMA
        assert not unknown, f"{method} {path}: {schema} has no {unknown}"
