"""Project variables: create (optionally attached), filters, PATCH, status, delete rules."""

from __future__ import annotations

import httpx

from .conftest import Project, checkout_feature, create_feature


def test_create_standalone_and_attached_variables(api: httpx.Client, project: Project) -> None:
    feature = create_feature(api, project["key"], {"key": "host", "name": "Host"})
    base = f"/v1/projects/{project['key']}/variables"
    loose = api.post(base, json={"key": "loose", "type": "JSON", "description": "d"})
    assert loose.status_code == 201, loose.text
    assert "_feature" not in loose.json()
    attached = api.post(base, json={"key": "attached", "type": "Boolean", "_feature": "host"})
    assert attached.status_code == 201
    assert attached.json()["_feature"] == feature["_id"]
    by_id = api.post(base, json={"key": "by-id", "type": "Number", "_feature": feature["_id"]})
    assert by_id.json()["_feature"] == feature["_id"]
    host = api.get(f"/v2/projects/{project['key']}/features/host").json()
    assert [v["key"] for v in host["variables"]] == ["attached", "by-id"]
    missing = api.post(base, json={"key": "orphan", "type": "String", "_feature": "nope"})
    assert missing.status_code == 404


def test_variable_list_filters(api: httpx.Client, project: Project) -> None:
    create_feature(api, project["key"], checkout_feature())
    base = f"/v1/projects/{project['key']}/variables"
    api.post(base, json={"key": "flag-a", "type": "Boolean"})
    assert {v["key"] for v in api.get(base).json()} == {"new-checkout-version", "flag-a"}
    by_feature = api.get(base, params={"feature": "new-checkout"})
    assert [v["key"] for v in by_feature.json()] == ["new-checkout-version"]
    assert by_feature.headers["count"] == "1"
    assert [v["key"] for v in api.get(base, params={"type": "Boolean"}).json()] == ["flag-a"]
    assert api.get(base, params={"type": "Bool"}).status_code == 400


def test_variable_patch_and_type_change_checked_against_values(
    api: httpx.Client, project: Project
) -> None:
    create_feature(api, project["key"], checkout_feature())
    path = f"/v1/projects/{project['key']}/variables/new-checkout-version"
    renamed = api.patch(path, json={"name": "Checkout version", "description": "which one"})
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Checkout version"
    retyped = api.patch(path, json={"type": "Boolean"})
    assert retyped.status_code == 400
    assert api.get(path).json()["type"] == "String"


def test_attached_variable_cannot_be_deleted_or_archived(
    api: httpx.Client, project: Project
) -> None:
    create_feature(api, project["key"], checkout_feature())
    base = f"/v1/projects/{project['key']}/variables"
    response = api.delete(f"{base}/new-checkout-version", headers={"If-Match": "*"})
    assert response.status_code == 412
    assert response.json()["statusCode"] == 412
    archived = api.patch(f"{base}/new-checkout-version/status", json={"status": "archived"})
    assert archived.status_code == 412

    api.post(base, json={"key": "free", "type": "String"})
    status = api.patch(f"{base}/free/status", json={"status": "archived"})
    assert status.status_code == 200 and status.json()["status"] == "archived"
    assert api.get(base, params={"status": "archived"}).json()[0]["key"] == "free"
    assert api.delete(f"{base}/free", headers={"If-Match": "*"}).status_code == 200
    assert api.get(f"{base}/free").status_code == 404
