"""Project custom properties: CRUD, the vendor's field rules, and refusal to delete one in use.
Also nested operators in audience filters, which reusable audiences are built from."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conformance.devcycle.spec import assert_valid as _assert_valid

from .conftest import Project, create_feature

PLAN = {"key": "plan", "name": "Plan", "type": "String", "propertyKey": "plan"}


def _base(project: Project) -> str:
    return f"/v1/projects/{project['key']}/customProperties"


def _custom(data_key: str, comparator: str, values: list[Any], kind: str) -> dict[str, Any]:
    return {
        "type": "user",
        "subType": "customData",
        "dataKey": data_key,
        "dataKeyType": kind,
        "comparator": comparator,
        "values": values,
    }


def test_custom_property_crud(api: httpx.Client, project: Project) -> None:
    base = _base(project)
    created = api.post(base, json=PLAN)
    assert created.status_code == 201, created.text
    prop = created.json()
    assert {k: prop[k] for k in PLAN} == PLAN
    assert prop["_project"] == project["_id"]
    _assert_valid(prop, "CustomProperty")
    assert api.get(f"{base}/plan").json() == prop
    assert api.get(f"{base}/{prop['_id']}").json() == prop

    patched = api.patch(f"{base}/plan", json={"name": "Billing plan"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "Billing plan" and patched.json()["type"] == "String"
    assert patched.json()["updatedAt"] > prop["updatedAt"]

    listed = api.get(base)
    assert listed.headers["count"] == "1" and listed.json()[0]["key"] == "plan"
    assert api.delete(f"{base}/plan").status_code == 200
    assert api.get(f"{base}/plan").status_code == 404


def test_create_needs_name_key_type_and_property_key(api: httpx.Client, project: Project) -> None:
    response = api.post(_base(project), json={})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Bad Request" and body["statusCode"] == 400
    for field in ("name", "key", "type", "propertyKey"):
        assert any(message.startswith(field) for message in body["message"]), body


def test_field_rules_are_the_vendors(api: httpx.Client, project: Project) -> None:
    base = _base(project)
    bad_key = api.post(base, json={**PLAN, "key": "Plan Tier"})
    assert bad_key.status_code == 400
    assert bad_key.json()["message"] == ["key must match /^[a-z0-9-_.]+$/ regular expression"]
    bad_type = api.post(base, json={**PLAN, "type": "JSON"})
    assert bad_type.status_code == 400
    assert bad_type.json()["message"] == [
        "type must be one of the following values: String, Boolean, Number"
    ]
    long_name = api.post(base, json={**PLAN, "name": "x" * 101})
    assert long_name.status_code == 400
    unknown = api.post(base, json={**PLAN, "description": "not a field"})
    assert unknown.status_code == 400
    assert unknown.json()["message"] == ["property description should not exist"]
    assert api.patch(f"{base}/missing", json={"name": "X"}).status_code == 404


def test_duplicate_keys_are_409(api: httpx.Client, project: Project) -> None:
    base = _base(project)
    assert api.post(base, json=PLAN).status_code == 201
    again = api.post(base, json={**PLAN, "propertyKey": "other"})
    assert again.status_code == 409
    assert again.json()["message"] == "Duplicate key 'plan'"
    assert again.json()["error"] == "Conflict"
    same_property = api.post(base, json={**PLAN, "key": "plan-2"})
    assert same_property.status_code == 409
    assert api.post(base, json={**PLAN, "key": "seats", "propertyKey": "seats"}).status_code == 201
    renamed = api.patch(f"{base}/seats", json={"key": "plan"})
    assert renamed.status_code == 409
    assert api.get(f"{base}/seats").status_code == 200


def test_list_filters_by_type_and_reports_usage(api: httpx.Client, project: Project) -> None:
    base = _base(project)
    api.post(base, json=PLAN)
    api.post(base, json={"key": "seats", "name": "Seats", "type": "Number", "propertyKey": "seats"})
    numbers = api.get(base, params={"type": "Number"})
    assert [p["key"] for p in numbers.json()] == ["seats"] and numbers.headers["count"] == "1"
    assert api.get(base, params={"type": "JSON"}).status_code == 400
    audiences = f"/v1/projects/{project['key']}/audiences"
    filters = {"operator": "and", "filters": [_custom("seats", ">=", [5], "Number")]}
    api.post(audiences, json={"key": "big", "name": "Big", "filters": filters})
    usage = {p["key"]: p["hasUsage"] for p in api.get(base, params={"includeUsage": "true"}).json()}
    assert usage == {"plan": False, "seats": True}
    assert "hasUsage" not in api.get(base).json()[0]


def test_deleting_a_property_in_use_is_allowed(api: httpx.Client, project: Project) -> None:
    base = _base(project)
    api.post(base, json=PLAN)
    api.post(base, json={"key": "seats", "name": "Seats", "type": "Number", "propertyKey": "seats"})
    audiences = f"/v1/projects/{project['key']}/audiences"
    nested = {
        "operator": "or",
        "filters": [
            {"operator": "and", "filters": [_custom("seats", ">=", [5], "Number")]},
        ],
    }
    assert api.post(audiences, json={"key": "a", "name": "A", "filters": nested}).status_code == 201
    create_feature(
        api,
        project["key"],
        {
            "key": "pricing",
            "name": "Pricing",
            "variations": [{"key": "on", "name": "On"}],
            "configurations": {
                "production": {
                    "targets": [
                        {
                            "audience": {
                                "filters": {
                                    "operator": "and",
                                    "filters": [_custom("plan", "=", ["pro"], "String")],
                                }
                            },
                            "distribution": [{"_variation": "on", "percentage": 1}],
                        }
                    ]
                }
            },
        },
    )
    # The document declares no refusal for a property in use: filters read it by `dataKey`.
    assert api.delete(f"{base}/seats").status_code == 200
    assert api.delete(f"{base}/plan").status_code == 200
    assert api.get(f"{audiences}/a").json()["filters"] == nested


def test_audience_filters_nest_operators(api: httpx.Client, project: Project) -> None:
    audiences = f"/v1/projects/{project['key']}/audiences"
    email = {"type": "user", "subType": "email", "comparator": "endWith", "values": ["@a.com"]}
    nested = {
        "operator": "and",
        "filters": [
            email,
            {
                "operator": "or",
                "filters": [
                    _custom("plan", "=", ["pro"], "String"),
                    {"operator": "and", "filters": [_custom("seats", ">", [10], "Number")]},
                ],
            },
        ],
    }
    created = api.post(audiences, json={"key": "n", "name": "N", "filters": nested})
    assert created.status_code == 201, created.text
    assert api.get(f"{audiences}/n").json()["filters"] == nested
    missing_values = {
        "operator": "and",
        "filters": [{"operator": "or", "filters": [{**email, "values": None}]}],
    }
    del missing_values["filters"][0]["filters"][0]["values"]
    refused = api.post(audiences, json={"key": "m", "name": "M", "filters": missing_values})
    assert refused.status_code == 400
    assert refused.json()["message"] == ["filters.filters.0.filters.0.values should not be empty"]
    bad_operator = {"operator": "xor", "filters": [email]}
    wrong = api.post(
        audiences,
        json={"key": "x", "name": "X", "filters": {"operator": "and", "filters": [bad_operator]}},
    )
    assert wrong.status_code == 400
