"""Fixtures: a seeded emulator behind a test client that checks every flag and experiment body
against PostHog's OpenAPI document as it goes.

`ContractClient` validates each create/update request body against the request schema
(`FeatureFlag`/`PatchedFeatureFlag`, `Experiment`/`PatchedExperiment`) and each successful
response against the response schema, so the contract is checked on every call the tests make,
not on a hand-picked sample. A test that sends a body the schema forbids on purpose says so
with `schema_violation=True`, and the client then asserts the schema does reject it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from reconciler.emulator.posthog import PERSONAL_API_KEY, PostHogState, posthog_routes

from .openapi import SPEC_PATH, Contract, load_document

AUTH = {"Authorization": f"Bearer {PERSONAL_API_KEY}"}

_FLAGS = re.compile(r"^/api/projects/[^/]+/feature_flags/?$")
_FLAG = re.compile(r"^/api/projects/[^/]+/feature_flags/\d+/?$")
_EXPERIMENTS = re.compile(r"^/api/projects/[^/]+/experiments/?$")
_EXPERIMENT = re.compile(
    r"^/api/projects/[^/]+/experiments/\d+(/(launch|pause|resume|end|archive))?/?$"
)
_HOLDOUTS = re.compile(r"^/api/projects/[^/]+/experiment_holdouts/?$")
_HOLDOUT = re.compile(r"^/api/projects/[^/]+/experiment_holdouts/\d+/?$")


def _schemas(method: str, path: str) -> tuple[str | None, str | None]:
    """(request schema, response schema) for a call, or None where the spec has none."""
    if _FLAGS.match(path):
        return ("FeatureFlag" if method == "POST" else None), (
            "FeatureFlag" if method == "POST" else "PaginatedFeatureFlagList"
        )
    if _FLAG.match(path):
        request = {"PATCH": "PatchedFeatureFlag", "PUT": "FeatureFlag"}.get(method)
        return request, "FeatureFlag"
    if _EXPERIMENTS.match(path):
        return ("Experiment" if method == "POST" else None), (
            "Experiment" if method == "POST" else "PaginatedExperimentList"
        )
    if _HOLDOUTS.match(path):
        return ("ExperimentHoldout" if method == "POST" else None), (
            "ExperimentHoldout" if method == "POST" else "PaginatedExperimentHoldoutList"
        )
    if _HOLDOUT.match(path):
        request = {"PATCH": "PatchedExperimentHoldout", "PUT": "ExperimentHoldout"}.get(method)
        return request, ("ExperimentHoldout" if method != "DELETE" else None)
    match = _EXPERIMENT.match(path)
    if match:
        if match.group(1):  # lifecycle actions: not in the 2025-11 document; response only
            return None, "Experiment"
        request = {"PATCH": "PatchedExperiment", "PUT": "Experiment"}.get(method)
        return request, "Experiment"
    return None, None


class ContractClient(TestClient):
    """A TestClient that validates flag/experiment bodies against the OpenAPI document."""

    contract: Contract | None = None
    checked: list[tuple[str, str]]

    _violation = False

    def post(self, url: Any, *, schema_violation: bool = False, **kwargs: Any) -> Any:
        self._violation = schema_violation
        return super().post(url, **kwargs)

    def patch(self, url: Any, *, schema_violation: bool = False, **kwargs: Any) -> Any:
        self._violation = schema_violation
        return super().patch(url, **kwargs)

    def put(self, url: Any, *, schema_violation: bool = False, **kwargs: Any) -> Any:
        self._violation = schema_violation
        return super().put(url, **kwargs)

    def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> Any:
        schema_violation, self._violation = self._violation, False
        path = str(url).split("?")[0]
        request_schema, response_schema = _schemas(method.upper(), path)
        if self.contract is not None and request_schema and kwargs.get("json") is not None:
            errors = self.contract.errors("request", request_schema, kwargs["json"])
            if schema_violation:
                assert errors, f"{request_schema} accepts a body the test calls invalid"
            else:
                assert not errors, f"request body violates {request_schema}: {errors}"
            self.checked.append(("request", request_schema))
        response = super().request(method, url, *args, **kwargs)
        if self.contract is not None and response_schema and 200 <= response.status_code < 300:
            errors = self.contract.errors("response", response_schema, response.json())
            assert not errors, f"response violates {response_schema}: {errors}"
            self.checked.append(("response", response_schema))
        return response


@pytest.fixture(scope="session")
def openapi_document(request: pytest.FixtureRequest) -> dict[str, Any] | None:
    """PostHog's OpenAPI document, parsed once per session (None without shared/)."""
    if not SPEC_PATH.exists():
        return None
    return load_document(getattr(request.config, "cache", None))


@pytest.fixture(scope="session")
def contract(openapi_document: dict[str, Any] | None) -> Contract | None:
    """The document as request/response validators."""
    return None if openapi_document is None else Contract(openapi_document)


@pytest.fixture
def state(posthog_validation: str) -> PostHogState:
    seeded = PostHogState.seeded()
    seeded.validation = posthog_validation
    return seeded


@pytest.fixture
def client(state: PostHogState, contract: Contract | None) -> Iterator[ContractClient]:
    """An authenticated client of a freshly seeded emulator."""
    app = Starlette(routes=posthog_routes(state))
    with ContractClient(app, headers=AUTH) as test_client:
        test_client.contract = contract
        test_client.checked = []
        yield test_client


def flag_body(key: str, **overrides: Any) -> dict[str, Any]:
    """A minimal valid create body: everyone, 100%."""
    body: dict[str, Any] = {
        "key": key,
        "name": f"{key} description",
        "filters": {"groups": [{"properties": [], "rollout_percentage": 100}]},
    }
    body.update(overrides)
    return body


def create_flag(client: TestClient, key: str, project: int = 1, **overrides: Any) -> dict[str, Any]:
    """Create a flag and return the response body (asserting 201)."""
    response = client.post(
        f"/api/projects/{project}/feature_flags/", json=flag_body(key, **overrides)
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def error(response: Any) -> dict[str, Any]:
    """The exceptions-hog body of an error response, checked for its four keys."""
    body = response.json()
    assert set(body) == {"type", "code", "detail", "attr"}, body
    return dict(body)


def define_events(client: TestClient, *names: str, project: int = 1) -> None:
    """Give the project event definitions for `names` (as ingesting the events would)."""
    for name in names:
        response = client.post(f"/api/projects/{project}/event_definitions/", json={"name": name})
        assert response.status_code in (201, 400), response.text
