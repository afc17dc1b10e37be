"""The config CDN and events routes over plain HTTP: keys, conditional requests, the body.

These are the parts of the protocol an SDK relies on without showing them in an evaluation:
which keys open which environment's config, `ETag` / `If-None-Match` (a poll of an unchanged
config is a 304), `Last-Modified` never moving backwards (the SDK drops a config older than its
copy), and a body that the vendor's bucketing library accepts.
"""

from __future__ import annotations

import json
import time
from email.utils import parsedate_to_datetime

import httpx
import pytest

from reconciler.emulator import EmulatorServer

from .conftest import (
    Body,
    all_of,
    create_feature,
    one_variable_feature,
    server_key,
    target,
    update_feature,
    user_filter,
)

CONFIG = "/config/v2/server/{}.json"


def dark_mode(configurations: dict[str, Body]) -> Body:
    return one_variable_feature("dark-mode", "Boolean", {"on": True, "off": False}, configurations)


def get_config(server: EmulatorServer, key: str, **headers: str) -> httpx.Response:
    """A GET as the SDK sends it: no credential but the key in the path."""
    return httpx.get(server.url + CONFIG.format(key), headers=headers)


def test_each_environment_has_its_own_config(
    server: EmulatorServer, api: httpx.Client, project: str
) -> None:
    for environment in ("development", "staging", "production"):
        response = get_config(server, server_key(api, project, environment))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert body["project"]["key"] == project
        assert body["environment"]["key"] == environment


def test_keys_other_than_an_environments_server_keys_are_refused(
    server: EmulatorServer, api: httpx.Client, project: str
) -> None:
    env = api.get(f"/v1/projects/{project}/environments/production").json()
    assert env["sdkKeys"]["server"][0]["key"].startswith("dvc_server_")
    for key in (
        "dvc_server_00000000_0000_0000_0000_000000000000_0000000",
        env["sdkKeys"]["client"][0]["key"],
        env["sdkKeys"]["mobile"][0]["key"],
    ):
        response = get_config(server, key)
        assert response.status_code == 403, key


def test_rotated_keys_work_until_invalidated(
    server: EmulatorServer, api: httpx.Client, project: str
) -> None:
    old = server_key(api, project, "production")
    response = api.post(
        f"/v1/projects/{project}/environments/production/sdk-keys", json={"server": True}
    )
    assert response.status_code == 201, response.text
    new = response.json()["sdkKeys"]["server"][-1]["key"]
    assert get_config(server, new).json() == get_config(server, old).json()
    response = api.delete(f"/v1/projects/{project}/environments/production/sdk-keys/{old}")
    assert response.status_code == 200, response.text
    assert get_config(server, old).status_code == 403
    assert get_config(server, new).status_code == 200


def test_unchanged_config_is_a_304_and_a_change_is_not(
    server: EmulatorServer, api: httpx.Client, project: str
) -> None:
    key = server_key(api, project, "production")
    first = get_config(server, key)
    etag = first.headers["etag"]
    assert get_config(server, key, **{"If-None-Match": etag}).status_code == 304
    assert get_config(server, key, **{"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert get_config(server, key, **{"If-None-Match": '"other"'}).status_code == 200

    create_feature(
        api, project, dark_mode({"production": {"status": "active", "targets": [target("on")]}})
    )
    changed = get_config(server, key, **{"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert [f["key"] for f in changed.json()["features"]] == ["dark-mode"]
    # A write to another environment leaves this one's config (and ETag) alone.
    update_feature(
        api,
        project,
        "dark-mode",
        {"configurations": {"staging": {"status": "active", "targets": [target("off")]}}},
    )
    assert get_config(server, key).headers["etag"] == changed.headers["etag"]


@pytest.mark.slow
def test_last_modified_moves_with_the_config_only(
    server: EmulatorServer, api: httpx.Client, project: str
) -> None:
    key = server_key(api, project, "production")
    first = get_config(server, key).headers["last-modified"]
    time.sleep(1.1)
    assert get_config(server, key).headers["last-modified"] == first
    create_feature(
        api, project, dark_mode({"production": {"status": "active", "targets": [target("on")]}})
    )
    later = get_config(server, key).headers["last-modified"]
    assert parsedate_to_datetime(later) > parsedate_to_datetime(first)
    # Without an ETag, If-Modified-Since decides.
    assert get_config(server, key, **{"If-Modified-Since": later}).status_code == 304
    assert get_config(server, key, **{"If-Modified-Since": first}).status_code == 200


def test_config_body_has_the_vendors_shape(
    server: EmulatorServer, api: httpx.Client, project: str
) -> None:
    """Ids, not keys, link variations, variables and audiences; filters keep the API's
    fields; a user filter without values (`exist`) gets `values: []`, as the parser needs."""
    response = api.post(
        f"/v1/projects/{project}/audiences",
        json={
            "key": "canadians",
            "name": "Canadians",
            "filters": all_of(user_filter("country", "=", "CA")),
        },
    )
    assert response.status_code == 201, response.text
    audience_id = response.json()["_id"]
    feature = create_feature(
        api,
        project,
        dark_mode(
            {
                "production": {
                    "status": "active",
                    "targets": [
                        target(
                            "on",
                            all_of(
                                user_filter("email", "exist"),
                                {"type": "audienceMatch", "_audiences": [audience_id]},
                            ),
                            name="Canadians with an email",
                        ),
                        target({"on": 25, "off": 75}),
                    ],
                }
            }
        ),
    )
    body = get_config(server, server_key(api, project, "production")).json()
    assert set(body) >= {"project", "environment", "features", "variables", "variableHashes"}
    assert set(body["project"]) == {"_id", "key", "a0_organization", "settings"}
    variable_id = feature["variables"][0]["_id"]
    assert body["variables"] == [{"_id": variable_id, "key": "dark-mode", "type": "Boolean"}]
    assert set(body["variableHashes"]) == {"dark-mode"}
    [served] = body["features"]
    on, off = (v["_id"] for v in feature["variations"])
    assert served["variations"][0] == {
        "_id": on,
        "key": "on",
        "name": "On",
        "variables": [{"_var": variable_id, "value": True}],
    }
    first, second = served["configuration"]["targets"]
    [stored] = [
        config["targets"]
        for config in feature["configurations"]
        if config["_environment"] == body["environment"]["_id"]
    ]
    assert first["_id"] == stored[0]["_id"]
    assert first["_audience"]["filters"] == {
        "operator": "and",
        "filters": [
            {"type": "user", "subType": "email", "comparator": "exist", "values": []},
            {"type": "audienceMatch", "comparator": "=", "_audiences": [audience_id]},
        ],
    }
    assert "name" not in first
    assert second["distribution"] == [
        {"_variation": on, "percentage": 0.25},
        {"_variation": off, "percentage": 0.75},
    ]
    assert body["audiences"] == {
        audience_id: {
            "filters": {
                "operator": "and",
                "filters": [
                    {"type": "user", "subType": "country", "comparator": "=", "values": ["CA"]}
                ],
            }
        }
    }


def test_bucketing_library_accepts_the_config(
    server: EmulatorServer, api: httpx.Client, project: str
) -> None:
    """The vendor's WASM bucketing library parses the body (it raises on a missing field)."""
    pytest.importorskip("devcycle_python_sdk")
    from devcycle_python_sdk.api.local_bucketing import LocalBucketing

    create_feature(
        api, project, dark_mode({"production": {"status": "active", "targets": [target("on")]}})
    )
    key = server_key(api, project, "production")
    bucketing = LocalBucketing(key)
    bucketing.store_config(get_config(server, key).text)
    metadata = bucketing.get_config_metadata()
    assert metadata is not None
    assert (metadata.project.key, metadata.environment.key) == (project, "production")


def test_events_batch_needs_a_server_key_and_a_batch(
    server: EmulatorServer, api: httpx.Client, project: str
) -> None:
    key = server_key(api, project, "production")
    batch = {"batch": [{"user": {"user_id": "u"}, "events": [{"type": "customEvent"}] * 3}]}
    url = f"{server.url}/v1/events/batch"
    accepted = httpx.post(url, json=batch, headers={"Authorization": key})
    assert accepted.status_code == 201
    assert "3 events" in accepted.json()["message"]
    assert httpx.post(url, json=batch).status_code == 401
    assert httpx.post(url, json=batch, headers={"Authorization": "dvc_server_x"}).status_code == 401
    for bad in ("not json", json.dumps({"events": []}), json.dumps({"batch": [1]})):
        response = httpx.post(url, content=bad, headers={"Authorization": key})
        assert response.status_code == 400, bad
