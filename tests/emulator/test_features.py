"""Features: create, read, PATCH semantics, atomicity, semantic checks, delete."""

from __future__ import annotations

import re

import httpx

from .conftest import Project, checkout_feature, config_of, create_feature, environments, target

OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_create_returns_server_fields_and_defaults(api: httpx.Client, project: Project) -> None:
    feature = create_feature(api, project["key"], {"key": "plain", "name": "Plain"})
    assert OBJECT_ID.match(feature["_id"])
    assert feature["_project"] == project["_id"]
    assert feature["source"] == "api"
    assert feature["status"] == "active"
    assert feature["type"] == "release"
    assert feature["readonly"] is False
    assert feature["tags"] == []
    assert TIMESTAMP.match(feature["createdAt"]) and TIMESTAMP.match(feature["updatedAt"])
    assert feature["settings"] == {
        "publicName": "Plain",
        "publicDescription": "",
        "optInEnabled": False,
    }
    assert feature["sdkVisibility"] == {"mobile": True, "client": True, "server": True}
    assert feature["summary"] == {"maintainers": [], "links": [], "markdown": ""}
    assert feature["variations"] == [] and feature["variables"] == []
    assert feature["controlVariation"] == ""


def test_create_with_variables_variations_and_targeting(
    api: httpx.Client, project: Project
) -> None:
    created = create_feature(api, project["key"], checkout_feature())
    feature = api.get(f"/v2/projects/{project['key']}/features/new-checkout").json()
    assert feature == created
    envs = environments(api, project["key"])
    assert sorted(c["_environment"] for c in feature["configurations"]) == sorted(
        env["_id"] for env in envs.values()
    )
    variation_ids = {v["key"]: v["_id"] for v in feature["variations"]}
    assert all(OBJECT_ID.match(i) for i in variation_ids.values())
    assert feature["controlVariation"] == "classic"

    development = config_of(feature, envs["development"])
    assert development["status"] == "inactive" and development["targets"] == []
    assert "startedAt" not in development

    staging = config_of(feature, envs["staging"])
    assert staging["status"] == "active"
    assert staging["_feature"] == feature["_id"]
    assert staging["readonly"] is False and staging["hasStaticConfig"] is False
    assert TIMESTAMP.match(staging["startedAt"])
    [everyone] = staging["targets"]
    assert OBJECT_ID.match(everyone["_id"])
    assert everyone["name"] == "Everyone"
    assert everyone["distribution"] == [
        {"_variation": variation_ids["redesign"], "percentage": 1.0}
    ]

    production = config_of(feature, envs["production"])
    assert production["targets"][0]["distribution"] == [
        {"_variation": variation_ids["classic"], "percentage": 0.9},
        {"_variation": variation_ids["redesign"], "percentage": 0.1},
    ]

    [variable] = feature["variables"]
    assert variable["key"] == "new-checkout-version"
    assert variable["_feature"] == feature["_id"]
    assert variable["type"] == "String" and variable["status"] == "active"


def test_configurations_accept_environment_ids_and_variation_ids_are_kept(
    api: httpx.Client, project: Project
) -> None:
    envs = environments(api, project["key"])
    feature = create_feature(
        api,
        project["key"],
        {
            "key": "by-id",
            "name": "By id",
            "variations": [{"key": "on", "name": "On"}],
            "configurations": {envs["production"]["_id"]: {"targets": [target("on")]}},
        },
    )
    on_id = feature["variations"][0]["_id"]
    production = config_of(feature, envs["production"])
    assert production["status"] == "inactive"  # status not given: targets only
    given_id = production["targets"][0]["_id"]
    patch = {
        "configurations": {
            "production": {
                "status": "active",
                "targets": [{**target(on_id), "_id": given_id, "name": "Kept"}],
            }
        }
    }
    response = api.patch(f"/v2/projects/{project['key']}/features/by-id", json=patch)
    assert response.status_code == 200, response.text
    [kept] = config_of(response.json(), envs["production"])["targets"]
    assert kept["_id"] == given_id
    assert kept["distribution"] == [{"_variation": on_id, "percentage": 1.0}]


def test_path_accepts_key_or_id(api: httpx.Client, project: Project) -> None:
    feature = create_feature(api, project["key"], {"key": "either", "name": "Either"})
    by_ids = api.get(f"/v2/projects/{project['_id']}/features/{feature['_id']}")
    assert by_ids.status_code == 200
    assert by_ids.json()["key"] == "either"
    assert api.get(f"/v1/projects/{project['key']}/features/either").json()["_id"] == feature["_id"]


def test_patch_of_one_environment_leaves_the_others_untouched(
    api: httpx.Client, project: Project
) -> None:
    before = create_feature(api, project["key"], checkout_feature())
    envs = environments(api, project["key"])
    response = api.patch(
        f"/v2/projects/{project['key']}/features/new-checkout",
        json={"configurations": {"staging": {"status": "inactive"}}},
    )
    assert response.status_code == 200, response.text
    after = response.json()
    staging = config_of(after, envs["staging"])
    assert staging["status"] == "inactive"
    assert staging["targets"] == config_of(before, envs["staging"])["targets"]
    for untouched in ("development", "production"):
        assert config_of(after, envs[untouched]) == config_of(before, envs[untouched])
    assert after["updatedAt"] > before["updatedAt"]


def test_patch_replaces_arrays_and_keeps_unnamed_fields(
    api: httpx.Client, project: Project
) -> None:
    create_feature(api, project["key"], checkout_feature(tags=["a", "b"], description="Old"))
    response = api.patch(
        f"/v2/projects/{project['key']}/features/new-checkout",
        json={"tags": ["c"], "name": "Renamed"},
    )
    feature = response.json()
    assert feature["tags"] == ["c"]
    assert feature["name"] == "Renamed"
    assert feature["description"] == "Old"
    assert [v["key"] for v in feature["variations"]] == ["classic", "redesign"]


def test_failed_patch_changes_nothing(api: httpx.Client, project: Project) -> None:
    create_feature(api, project["key"], checkout_feature())
    path = f"/v2/projects/{project['key']}/features/new-checkout"
    before = api.get(path).json()
    # Removes "classic", which production still serves: refused as a whole, although the name,
    # tags and the staging change in the same request are valid on their own.
    response = api.patch(
        path,
        json={
            "name": "Changed",
            "tags": ["x"],
            "variations": [
                {"key": "redesign", "name": "Redesign", "variables": {"new-checkout-version": "v2"}}
            ],
            "configurations": {"staging": {"status": "inactive"}},
        },
    )
    assert response.status_code == 400
    assert any("_variation" in message for message in response.json()["message"])
    assert api.get(path).json() == before


def test_removing_a_variation_and_its_uses_together_succeeds(
    api: httpx.Client, project: Project
) -> None:
    create_feature(api, project["key"], checkout_feature())
    response = api.patch(
        f"/v2/projects/{project['key']}/features/new-checkout",
        json={
            "variations": [
                {"key": "redesign", "name": "Redesign", "variables": {"new-checkout-version": "v2"}}
            ],
            "configurations": {"production": {"targets": [target("redesign")]}},
        },
    )
    assert response.status_code == 200, response.text
    feature = response.json()
    assert [v["key"] for v in feature["variations"]] == ["redesign"]
    assert feature["controlVariation"] == "redesign"


def test_variations_keep_their_ids_when_resent(api: httpx.Client, project: Project) -> None:
    created = create_feature(api, project["key"], checkout_feature())
    response = api.patch(
        f"/v2/projects/{project['key']}/features/new-checkout",
        json={"variations": [{k: v for k, v in x.items()} for x in created["variations"]]},
    )
    assert response.json()["variations"] == created["variations"]


def test_variation_value_of_wrong_type_is_400(api: httpx.Client, project: Project) -> None:
    body = {
        "key": "typed",
        "name": "Typed",
        "variables": [
            {"key": "typed-flag", "type": "Boolean"},
            {"key": "typed-n", "type": "Number"},
        ],
        "variations": [
            {"key": "on", "name": "On", "variables": {"typed-flag": "true", "typed-n": 1}},
            {"key": "off", "name": "Off", "variables": {"typed-flag": False, "typed-n": "2"}},
        ],
    }
    response = api.post(f"/v2/projects/{project['key']}/features", json=body)
    assert response.status_code == 400
    assert response.json()["message"] == [
        "variations.0.variables.typed-flag must be a boolean value "
        "(variable 'typed-flag' is of type Boolean)",
        "variations.1.variables.typed-n must be a number (variable 'typed-n' is of type Number)",
    ]
    assert api.get(f"/v1/projects/{project['key']}/variables/typed-flag").status_code == 404


def test_variation_naming_a_foreign_variable_is_412(api: httpx.Client, project: Project) -> None:
    response = api.post(
        f"/v2/projects/{project['key']}/features",
        json={
            "key": "foreign",
            "name": "Foreign",
            "variations": [{"key": "on", "name": "On", "variables": {"not-mine": True}}],
        },
    )
    assert response.status_code == 412
    assert response.json()["error"] == "Precondition Failed"


def test_distribution_must_add_up_to_one(api: httpx.Client, project: Project) -> None:
    body = checkout_feature()
    body["configurations"]["production"]["targets"] = [target({"classic": 0.5, "redesign": 0.4})]
    response = api.post(f"/v2/projects/{project['key']}/features", json=body)
    assert response.status_code == 400
    assert response.json()["message"] == [
        "configurations.production.targets.0.distribution percentages must add up to 1 "
        "(they add up to 0.9)"
    ]


def test_unknown_variation_in_distribution_is_400(api: httpx.Client, project: Project) -> None:
    body = checkout_feature()
    body["configurations"]["staging"]["targets"] = [target("nope")]
    response = api.post(f"/v2/projects/{project['key']}/features", json=body)
    assert response.status_code == 400
    assert "distribution.0._variation 'nope'" in response.json()["message"][0]


def test_active_without_targets_is_refused(api: httpx.Client, project: Project) -> None:
    create_feature(api, project["key"], {"key": "lonely", "name": "Lonely"})
    response = api.patch(
        f"/v2/projects/{project['key']}/features/lonely",
        json={"configurations": {"development": {"status": "active"}}},
    )
    assert response.status_code == 400
    assert response.json()["message"] == [
        "configurations.development.status cannot be active in environment 'development' "
        "without targets"
    ]


def test_unknown_environment_in_configurations_is_404(api: httpx.Client, project: Project) -> None:
    response = api.post(
        f"/v2/projects/{project['key']}/features",
        json={"key": "where", "name": "Where", "configurations": {"qa": {"status": "inactive"}}},
    )
    assert response.status_code == 404
    assert response.json()["message"] == "Item with key 'qa' not found"


def test_renaming_to_a_taken_key_is_409(api: httpx.Client, project: Project) -> None:
    create_feature(api, project["key"], {"key": "first", "name": "First"})
    create_feature(api, project["key"], {"key": "second", "name": "Second"})
    response = api.patch(f"/v2/projects/{project['key']}/features/second", json={"key": "first"})
    assert response.status_code == 409
    assert response.json()["errorType"] == "ERR_DUPE_FEATURE_KEY"


def test_patch_variables_detaches_the_ones_left_out(api: httpx.Client, project: Project) -> None:
    create_feature(
        api,
        project["key"],
        {
            "key": "vars",
            "name": "Vars",
            "variables": [{"key": "keep", "type": "String"}, {"key": "drop", "type": "String"}],
        },
    )
    response = api.patch(
        f"/v2/projects/{project['key']}/features/vars",
        json={"variables": [{"key": "keep", "type": "String"}, {"key": "fresh", "type": "Number"}]},
    )
    assert response.status_code == 200, response.text
    assert [v["key"] for v in response.json()["variables"]] == ["keep", "fresh"]
    dropped = api.get(f"/v1/projects/{project['key']}/variables/drop").json()
    assert "_feature" not in dropped
    # A detached variable can be attached again by key.
    again = api.patch(
        f"/v2/projects/{project['key']}/features/vars",
        json={"variables": [{"key": "drop", "type": "String"}]},
    )
    assert [v["key"] for v in again.json()["variables"]] == ["drop"]


def test_patch_cannot_take_a_variable_of_another_feature(
    api: httpx.Client, project: Project
) -> None:
    create_feature(
        api,
        project["key"],
        {"key": "owner", "name": "Owner", "variables": [{"key": "owned", "type": "String"}]},
    )
    create_feature(api, project["key"], {"key": "thief", "name": "Thief"})
    response = api.patch(
        f"/v2/projects/{project['key']}/features/thief",
        json={"variables": [{"key": "owned", "type": "String"}]},
    )
    assert response.status_code == 409
    owned = api.get(f"/v1/projects/{project['key']}/variables/owned").json()
    assert (
        owned["_feature"] == api.get(f"/v2/projects/{project['key']}/features/owner").json()["_id"]
    )


def test_removing_a_variable_still_used_by_a_variation_is_412(
    api: httpx.Client, project: Project
) -> None:
    create_feature(api, project["key"], checkout_feature())
    response = api.patch(
        f"/v2/projects/{project['key']}/features/new-checkout", json={"variables": []}
    )
    assert response.status_code == 412
    variable = api.get(f"/v1/projects/{project['key']}/variables/new-checkout-version").json()
    assert "_feature" in variable


def test_delete_with_and_without_deleting_variables(api: httpx.Client, project: Project) -> None:
    keep = checkout_feature("keep-vars")
    drop = checkout_feature("drop-vars")
    create_feature(api, project["key"], keep)
    create_feature(api, project["key"], drop)
    base = f"/v1/projects/{project['key']}"

    response = api.delete(f"{base}/features/keep-vars", params={"deleteVariables": "false"})
    assert response.status_code == 200 and response.content == b""
    assert api.get(f"/v2/projects/{project['key']}/features/keep-vars").status_code == 404
    detached = api.get(f"{base}/variables/keep-vars-version")
    assert detached.status_code == 200 and "_feature" not in detached.json()

    response = api.delete(f"{base}/features/drop-vars", params={"deleteVariables": "true"})
    assert response.status_code == 200
    assert api.get(f"{base}/variables/drop-vars-version").status_code == 404
    assert api.delete(f"{base}/features/drop-vars").status_code == 404


def test_v1_patch_and_list_work_like_v2(api: httpx.Client, project: Project) -> None:
    create_feature(api, project["key"], {"key": "legacy", "name": "Legacy"})
    response = api.patch(
        f"/v1/projects/{project['key']}/features/legacy", json={"description": "via v1"}
    )
    assert response.status_code == 200
    listed = api.get(f"/v1/projects/{project['key']}/features").json()
    assert [f["description"] for f in listed] == ["via v1"]
