"""The contract itself: PostHog's OpenAPI document loads, rejects what it should, and every
flag/experiment call the suite makes is checked against it (see `ContractClient`)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import ContractClient, create_flag
from .openapi import KNOWN_SPEC_DEVIATIONS, SPEC_PATH, Contract

pytestmark = pytest.mark.skipif(not SPEC_PATH.exists(), reason="shared/vendor not checked out")


def test_validators_reject_what_the_schema_forbids(contract: Contract) -> None:
    assert contract.errors("request", "PatchedFeatureFlag", {"key": 5, "active": "yes"})
    assert contract.errors("request", "FeatureFlag", {"name": "no key"})
    assert not contract.errors("request", "FeatureFlag", {"key": "k"})
    assert contract.errors("response", "FeatureFlag", {"key": "k"})  # read-only fields missing
    assert contract.errors("request", "Experiment", {"name": "x"})
    nullable = {"name": "x", "feature_flag_key": "k", "description": None, "start_date": None}
    assert not contract.errors("request", "Experiment", nullable)


def test_every_flag_and_experiment_call_is_checked(client: ContractClient) -> None:
    flag = create_flag(client, "checked")
    client.patch(f"/api/projects/1/feature_flags/{flag['id']}/", json={"active": False})
    client.get("/api/projects/1/feature_flags/")
    experiment = client.post(
        "/api/projects/1/experiments/", json={"name": "e", "feature_flag_key": "exp"}
    ).json()
    url = f"/api/projects/1/experiments/{experiment['id']}/"
    client.patch(url, json={"description": "d"})
    client.post(f"{url}launch/")
    client.get("/api/projects/1/experiments/")
    assert set(client.checked) == {
        ("request", "FeatureFlag"),
        ("response", "FeatureFlag"),
        ("request", "PatchedFeatureFlag"),
        ("response", "PaginatedFeatureFlagList"),
        ("request", "Experiment"),
        ("response", "Experiment"),
        ("request", "PatchedExperiment"),
        ("response", "PaginatedExperimentList"),
    }


def test_schema_patches_are_exactly_where_the_server_disagrees_with_its_spec(
    openapi_document: dict[str, Any], client: ContractClient
) -> None:
    """Against the unpatched document, the emulator's responses fail precisely on the patched
    fields (so every patch is needed, and nothing else is excused)."""
    unpatched = Contract(openapi_document, patched=False)
    flag = create_flag(client, "raw", _should_create_usage_dashboard=False)
    experiment = client.post(
        "/api/projects/1/experiments/", json={"name": "e", "feature_flag_key": "raw-exp"}
    ).json()
    expected = {
        name: {field for schema, field in KNOWN_SPEC_DEVIATIONS if schema == name}
        for name in ("FeatureFlag", "Experiment")
    }
    assert unpatched.failing_fields("response", "FeatureFlag", flag) == expected["FeatureFlag"]
    assert unpatched.failing_fields("response", "Experiment", experiment) == expected["Experiment"]
