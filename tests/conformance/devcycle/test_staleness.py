"""The project's stale features: `GET /v1/projects/{key}/staleness`
(`ProjectsController_getStaleness` in
reconciler/emulator/devcycle/spec/devcycle-management-openapi.json, DevCycle's
Management API document): a paged array of
`FeatureStalenessEntity` (key, name, _feature, stale, disabled required; reason one of released,
unused, unmodifiedShort, unmodifiedLong), `includeSilenced` (default false). DevCycle's rules for
deciding staleness are not public: the emulator lists what a test seeded, and nothing otherwise."""

from __future__ import annotations

import httpx

from reconciler.emulator import EmulatorServer
from tests.emulator.conftest import Project, create_feature

from .spec import assert_declared, assert_valid

SPEC_PATH = "/v1/projects/{key}/staleness"


def _seed(server: EmulatorServer, project: Project, features: list[dict[str, object]]) -> None:
    httpx.put(
        f"{server.url}/_emulator/devcycle/staleness",
        json={"project": project["key"], "features": features},
    ).raise_for_status()


def _listed(api: httpx.Client, project: Project, **params: str) -> list[dict[str, object]]:
    response = api.get(f"/v1/projects/{project['key']}/staleness", params=params)
    assert response.status_code == 200, response.text
    assert_declared("GET", SPEC_PATH, 200)
    body: list[dict[str, object]] = response.json()
    assert isinstance(body, list)
    for item in body:
        assert_valid(item, "FeatureStalenessEntity")
    assert response.headers["count"] == str(len(body))
    return body


def test_nothing_is_stale_unless_seeded(api: httpx.Client, project: Project) -> None:
    """An empty array (the rules that would make a feature stale are unknown)."""
    create_feature(api, project["key"], {"key": "old", "name": "Old"})
    assert _listed(api, project) == []


def test_seeded_stale_features_are_listed_in_the_documented_shape(
    server: EmulatorServer, api: httpx.Client, project: Project
) -> None:
    """Each entry is a `FeatureStalenessEntity`; a silenced one (`disabled`) is listed only
    with `includeSilenced=true` (query parameter of the same operation)."""
    old = create_feature(api, project["key"], {"key": "old", "name": "Old"})
    create_feature(api, project["key"], {"key": "quiet", "name": "Quiet"})
    _seed(
        server,
        project,
        [
            {"feature": "old", "reason": "released", "updatedAt": "2026-01-02T03:04:05.000Z"},
            {"feature": "quiet", "reason": "unused", "disabled": True},
        ],
    )
    listed = _listed(api, project)
    assert [(e["key"], e["_feature"], e["stale"], e["reason"]) for e in listed] == [
        ("old", old["_id"], True, "released")
    ]
    everything = _listed(api, project, includeSilenced="true")
    assert sorted(str(e["key"]) for e in everything) == ["old", "quiet"]


def test_unknown_project_is_a_declared_404(api: httpx.Client) -> None:
    """404 `NotFoundErrorResponse`, declared for the operation."""
    response = api.get("/v1/projects/no-such-project/staleness")
    assert response.status_code == 404
    assert_declared("GET", SPEC_PATH, 404)
