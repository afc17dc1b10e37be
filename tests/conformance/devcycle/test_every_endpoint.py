"""Every endpoint flagsync calls, against the statuses the OpenAPI document declares for it: an
unknown project is a declared 404, and a request without a token a 401 wherever the document
declares one (`reconciler/emulator/devcycle/spec/devcycle-management-openapi.json`, `paths`)."""

from __future__ import annotations

import httpx
import pytest

from reconciler.emulator import EmulatorServer

from .spec import assert_declared

# (method, path as the document writes it, a body that passes validation)
CALLED = [
    ("GET", "/v1/projects/{key}", None),
    ("GET", "/v1/projects/{key}/staleness", None),
    ("GET", "/v1/projects/{project}/environments", None),
    ("GET", "/v1/projects/{project}/audiences", None),
    ("GET", "/v1/projects/{project}/audiences/{key}", None),
    ("GET", "/v1/projects/{project}/audiences/{key}/usage", None),
    ("PATCH", "/v1/projects/{project}/audiences/{key}", {"name": "x"}),
    ("DELETE", "/v1/projects/{project}/audiences/{key}", None),
    ("GET", "/v1/projects/{project}/customProperties", None),
    ("GET", "/v1/projects/{project}/customProperties/{key}", None),
    ("PATCH", "/v1/projects/{project}/customProperties/{key}", {"name": "x"}),
    ("DELETE", "/v1/projects/{project}/customProperties/{key}", None),
    ("GET", "/v2/projects/{project}/features", None),
    ("GET", "/v2/projects/{project}/features/{feature}", None),
    ("PATCH", "/v2/projects/{project}/features/{feature}", {"name": "x"}),
    ("PATCH", "/v2/projects/{project}/features/{feature}/status", {"status": "active"}),
    ("DELETE", "/v1/projects/{project}/features/{feature}", None),
    ("GET", "/v1/projects/{project}/variables", None),
    ("GET", "/v1/projects/{project}/variables/{key}", None),
    ("DELETE", "/v1/projects/{project}/variables/{key}", None),
    ("GET", "/v1/projects/{project}/metrics", None),
    ("GET", "/v1/projects/{project}/metrics/{key}", None),
    ("DELETE", "/v1/projects/{project}/metrics/{key}", None),
    ("GET", "/v1/projects/{project}/metric-associations", None),
    ("GET", "/v2/projects/{project}/change-requests", None),
    ("GET", "/v2/projects/{project}/features/{feature}/change-requests", None),
]


def _url(path: str) -> str:
    return (
        path.replace("{project}", "no-such-project")
        .replace("{key}", "no-such-key")
        .replace("{feature}", "no-such-feature")
    )


@pytest.mark.parametrize(("method", "path", "body"), CALLED, ids=[f"{m} {p}" for m, p, _ in CALLED])
def test_unknown_project_is_a_declared_404(
    api: httpx.Client, method: str, path: str, body: object
) -> None:
    """Every path above declares 404; the reference (`devcycle-api.md`, errors) says 404 also
    answers a project the token cannot see."""
    headers = {"If-Match": "*"} if method == "DELETE" else None
    response = api.request(method, _url(path), json=body, headers=headers)
    assert response.status_code == 404, response.text
    assert_declared(method, path, 404)
    assert response.json()["statusCode"] == 404


@pytest.mark.parametrize(("method", "path", "body"), CALLED, ids=[f"{m} {p}" for m, p, _ in CALLED])
def test_no_token_is_401_where_declared(
    server: EmulatorServer, method: str, path: str, body: object
) -> None:
    """401 where the document declares it for the operation. Where it does not (the project and
    change-request routes declare none) the emulator answers 401 too rather than serve without
    a token: Vendor behaviour unknown."""
    response = httpx.request(method, f"{server.url}{_url(path)}", json=body)
    assert response.status_code == 401, response.text
    assert response.json()["statusCode"] == 401
