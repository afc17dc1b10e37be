"""Metrics and metric associations: the vendor's validation, errors and response shapes."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conformance.devcycle.spec import assert_valid as _assert_valid

from .conftest import Project, checkout_feature, create_feature
from .test_change_requests import set_workflow

SIGNUPS = {
    "key": "signups",
    "name": "Sign-ups",
    "event": "signup",
    "dimension": "COUNT_PER_UNIQUE_USER",
    "optimize": "increase",
}


def _metric(api: httpx.Client, project: Project, **fields: Any) -> dict[str, Any]:
    response = api.post(f"/v1/projects/{project['key']}/metrics", json={**SIGNUPS, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_metric_crud_and_shape(api: httpx.Client, project: Project) -> None:
    base = f"/v1/projects/{project['key']}/metrics"
    created = _metric(api, project, description="New accounts")
    _assert_valid(created, "Metric")
    assert created["_project"] == project["_id"] and created["source"] == "api"
    assert api.get(f"{base}/signups").json() == created
    assert api.get(f"{base}/{created['_id']}").json() == created

    patched = api.patch(f"{base}/signups", json={"optimize": "decrease", "name": "Churn"})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["optimize"], patched.json()["name"]) == ("decrease", "Churn")
    assert patched.json()["event"] == "signup"
    _assert_valid(patched.json(), "Metric")

    assert api.delete(f"{base}/signups").status_code == 200
    missing = api.get(f"{base}/signups")
    assert missing.status_code == 404
    assert missing.json() == {
        "statusCode": 404,
        "message": "Item with key 'signups' not found",
        "error": "Not Found",
    }


def test_metric_validation_follows_the_vendor_schema(api: httpx.Client, project: Project) -> None:
    base = f"/v1/projects/{project['key']}/metrics"
    empty = api.post(base, json={})
    assert empty.status_code == 400
    assert set(empty.json()["message"]) == {
        f"{name} should not be empty" for name in ("name", "key", "event", "dimension", "optimize")
    }
    bad = api.post(
        base, json={**SIGNUPS, "key": "Sign Ups", "dimension": "count", "optimize": "up"}
    )
    assert bad.status_code == 400
    messages = bad.json()["message"]
    assert "key must match /^[a-z0-9-_.]+$/ regular expression" in messages
    assert any(
        m.startswith("dimension must be one of the following values: COUNT_PER_UNIQUE_USER")
        for m in messages
    )
    assert "optimize must be one of the following values: increase, decrease" in messages
    unknown = api.post(base, json={**SIGNUPS, "goal": 3})
    assert unknown.json()["message"] == ["property goal should not exist"]
    assert api.patch(f"{base}/nope", json={"name": "X"}).status_code == 404


def test_duplicate_metric_key_is_a_conflict(api: httpx.Client, project: Project) -> None:
    base = f"/v1/projects/{project['key']}/metrics"
    _metric(api, project)
    _metric(api, project, key="revenue", dimension="SUM_PER_UNIQUE_USER")
    again = api.post(base, json=SIGNUPS)
    assert again.status_code == 409
    assert again.json()["message"] == "Duplicate key 'signups'"
    _assert_valid({**again.json(), "message": {}}, "ConflictErrorResponse")
    renamed = api.patch(f"{base}/revenue", json={"key": "signups"})
    assert renamed.status_code == 409


def test_metric_list_pages_and_filters_by_dimension(api: httpx.Client, project: Project) -> None:
    base = f"/v1/projects/{project['key']}/metrics"
    _metric(api, project)
    _metric(api, project, key="revenue", dimension="SUM_PER_UNIQUE_USER")
    _metric(api, project, key="orders", dimension="SUM_PER_UNIQUE_USER")
    everything = api.get(base, params={"sortBy": "key", "sortOrder": "asc"})
    assert everything.headers["count"] == "3"
    assert [m["key"] for m in everything.json()] == ["orders", "revenue", "signups"]
    summed = api.get(base, params={"dimension": "SUM_PER_UNIQUE_USER", "perPage": 1})
    assert summed.headers["count"] == "2" and len(summed.json()) == 1
    wrong = api.get(base, params={"dimension": "SUM"})
    assert wrong.status_code == 400
    assert wrong.json()["message"][0].startswith("dimension must be one of the following values")


def test_associations_link_metrics_and_features(api: httpx.Client, project: Project) -> None:
    key = project["key"]
    base = f"/v1/projects/{key}/metric-associations"
    feature = create_feature(api, key, checkout_feature())
    create_feature(api, key, checkout_feature("other"))
    metric = _metric(api, project)
    _metric(api, project, key="revenue", dimension="TOTAL_SUM")

    created = api.post(base, json={"metric": "signups", "feature": feature["_id"]})
    assert created.status_code == 201, created.text
    _assert_valid(created.json(), "MetricAssociation")
    assert created.json()["metric"] == metric
    assert created.json()["feature"]["key"] == "new-checkout"
    assert api.post(base, json={"metric": "revenue", "feature": "new-checkout"}).status_code == 201
    assert api.post(base, json={"metric": "revenue", "feature": "other"}).status_code == 201

    def listed(**params: str) -> list[tuple[str, str]]:
        response = api.get(base, params=params)
        assert response.status_code == 200, response.text
        return sorted((a["metric"]["key"], a["feature"]["key"]) for a in response.json())

    assert listed(feature="new-checkout") == [
        ("revenue", "new-checkout"),
        ("signups", "new-checkout"),
    ]
    assert listed(metric="revenue") == [("revenue", "new-checkout"), ("revenue", "other")]
    assert len(listed()) == 3

    duplicate = api.post(base, json={"metric": "signups", "feature": "new-checkout"})
    assert duplicate.status_code == 201  # the existing association; the document has no 409
    assert len(listed(feature="new-checkout")) == 2
    removed = api.delete(base, params={"metric": "signups", "feature": "new-checkout"})
    assert removed.status_code == 200
    assert listed(feature="new-checkout") == [("revenue", "new-checkout")]
    again = api.delete(base, params={"metric": "signups", "feature": "new-checkout"})
    assert again.status_code == 404

    # Deleting a metric or a feature takes its associations along.
    assert api.delete(f"/v1/projects/{key}/features/other").status_code == 200
    assert listed(metric="revenue") == [("revenue", "new-checkout")]
    assert api.delete(f"/v1/projects/{key}/metrics/revenue").status_code == 200
    assert listed() == []


def test_association_errors(api: httpx.Client, project: Project) -> None:
    key = project["key"]
    base = f"/v1/projects/{key}/metric-associations"
    create_feature(api, key, checkout_feature())
    _metric(api, project)
    assert api.post(base, json={"metric": "nope", "feature": "new-checkout"}).status_code == 404
    missing_feature = api.post(base, json={"metric": "signups", "feature": "nope"})
    assert missing_feature.status_code == 404
    assert missing_feature.json()["message"] == "Item with key 'nope' not found"
    empty = api.post(base, json={})
    assert empty.status_code == 400
    assert set(empty.json()["message"]) == {
        "metric should not be empty",
        "feature should not be empty",
    }
    no_query = api.delete(base)
    assert no_query.status_code == 400
    assert api.get(base, params={"metric": "nope"}).status_code == 404


def test_associations_are_exempt_from_approval(api: httpx.Client, project: Project) -> None:
    """Adding or removing a metric needs no change request, even where feature changes do."""
    key = project["key"]
    create_feature(api, key, checkout_feature())
    _metric(api, project)
    set_workflow(api, project, enabled=True, bypass=False)
    feature = f"/v2/projects/{key}/features/new-checkout"
    assert api.patch(feature, json={"name": "Direct"}).status_code == 412
    base = f"/v1/projects/{key}/metric-associations"
    pair = {"metric": "signups", "feature": "new-checkout"}
    assert api.post(base, json=pair).status_code == 201
    assert api.delete(base, params=pair).status_code == 200


def test_experiment_control_variation_names_one_of_its_variations(
    api: httpx.Client, project: Project
) -> None:
    base = f"/v2/projects/{project['key']}/features"
    wrong = api.post(base, json=checkout_feature(type="experiment", controlVariation="baseline"))
    assert wrong.status_code == 400
    assert wrong.json()["message"] == [
        "controlVariation 'baseline' is not the key of a variation of this feature"
    ]
    created = create_feature(
        api, project["key"], checkout_feature(type="experiment", controlVariation="redesign")
    )
    assert (created["type"], created["controlVariation"]) == ("experiment", "redesign")
    moved = api.patch(f"{base}/new-checkout", json={"controlVariation": "classic"})
    assert moved.json()["controlVariation"] == "classic"
    assert api.patch(f"{base}/new-checkout", json={"controlVariation": "x"}).status_code == 400
