"""The flag definitions served to server SDKs: body shape, cohorts, dependencies, ETag/304."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.emulator.posthog import PRODUCTION_PROJECT_API_KEY, STAGING_PROJECT_API_KEY

from .conftest import ContractClient, create_flag, error

DEFINITIONS = f"/flags/definitions?token={STAGING_PROJECT_API_KEY}&send_cohorts"
URLS = [
    DEFINITIONS,
    f"/api/feature_flag/local_evaluation/?token={STAGING_PROJECT_API_KEY}&send_cohorts",
    "/api/projects/1/feature_flags/local_evaluation/?send_cohorts",
    "/api/projects/1/feature_flags/local_evaluation?send_cohorts=true",
]


def _cohort_condition(cohort_id: int) -> dict[str, Any]:
    return {"properties": [{"key": "id", "type": "cohort", "value": cohort_id}]}


@pytest.mark.parametrize("url", URLS)
def test_body_shape(client: ContractClient, url: str) -> None:
    create_flag(client, "on")
    create_flag(client, "off", active=False)
    gone = create_flag(client, "gone")
    client.patch(f"/api/projects/1/feature_flags/{gone['id']}/", json={"deleted": True})
    create_flag(client, "beta", filters={"groups": [_cohort_condition(11)]})
    body = client.get(url).json()
    assert set(body) == {"flags", "group_type_mapping", "cohorts"}
    assert body["group_type_mapping"] == {"0": "company"}
    assert {f["key"]: f["active"] for f in body["flags"]} == {
        "on": True,
        "off": False,
        "beta": True,
    }
    assert set(body["flags"][0]) == {
        "id", "team_id", "name", "key", "filters", "deleted", "active",
        "ensure_experience_continuity", "has_encrypted_payloads", "version",
        "evaluation_runtime", "evaluation_tags",
    }  # fmt: skip
    assert body["cohorts"] == {
        "11": {
            "type": "OR",
            "values": [
                {
                    "type": "AND",
                    "values": [
                        {
                            "key": "email",
                            "type": "person",
                            "value": "@beta.",
                            "negation": False,
                            "operator": "icontains",
                        }
                    ],
                }
            ],
        }
    }
    beta = next(f for f in body["flags"] if f["key"] == "beta")
    assert "cohort_name" not in beta["filters"]["groups"][0]["properties"][0]


def test_token_selects_the_project(client: ContractClient) -> None:
    create_flag(client, "staging-only")
    create_flag(client, "production-only", project=2)
    production = client.get(f"/flags/definitions?token={PRODUCTION_PROJECT_API_KEY}").json()
    assert [f["key"] for f in production["flags"]] == ["production-only"]
    overridden = client.get(
        f"/api/projects/1/feature_flags/local_evaluation/?token={PRODUCTION_PROJECT_API_KEY}"
    ).json()
    assert [f["key"] for f in overridden["flags"]] == ["production-only"]
    bad = client.get("/flags/definitions?token=phc_unknown")
    assert bad.status_code == 401
    assert error(bad)["code"] == "authentication_failed"


def test_etag_and_304(client: ContractClient) -> None:
    create_flag(client, "cached")
    first = client.get(DEFINITIONS)
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    same = client.get(DEFINITIONS, headers={"If-None-Match": etag})
    assert same.status_code == 304
    assert same.content == b""
    assert same.headers["etag"] == etag
    create_flag(client, "changed")
    changed = client.get(DEFINITIONS, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag


def test_flag_dependencies_get_keys_and_chains(client: ContractClient) -> None:
    a = create_flag(client, "flag-a")

    def on(flag: dict[str, Any]) -> dict[str, Any]:
        prop = {
            "key": str(flag["id"]),
            "type": "flag",
            "operator": "flag_evaluates_to",
            "value": True,
        }
        return {"groups": [{"properties": [prop], "rollout_percentage": 100}]}

    b = create_flag(client, "flag-b", filters=on(a))
    create_flag(client, "flag-c", filters=on(b))
    flags = {f["key"]: f for f in client.get(DEFINITIONS).json()["flags"]}
    c_prop = flags["flag-c"]["filters"]["groups"][0]["properties"][0]
    assert c_prop["key"] == "flag-b"
    assert c_prop["dependency_chain"] == ["flag-a", "flag-b"]
    b_prop = flags["flag-b"]["filters"]["groups"][0]["properties"][0]
    assert b_prop["dependency_chain"] == ["flag-a"]
    # The management API keeps the id.
    stored = client.get(f"/api/projects/1/feature_flags/{b['id']}/").json()
    assert stored["filters"]["groups"][0]["properties"][0]["key"] == str(a["id"])


def test_without_send_cohorts_a_single_cohort_is_expanded(client: ContractClient) -> None:
    create_flag(
        client, "beta", filters={"groups": [{**_cohort_condition(11), "rollout_percentage": 60}]}
    )
    body = client.get(f"/flags/definitions?token={STAGING_PROJECT_API_KEY}").json()
    assert body["cohorts"] == {}
    groups = body["flags"][0]["filters"]["groups"]
    assert groups == [
        {
            "properties": [
                {
                    "key": "email",
                    "type": "person",
                    "value": "@beta.",
                    "negation": False,
                    "operator": "icontains",
                }
            ],
            "rollout_percentage": 60,
        }
    ]


def test_definitions_need_the_personal_key(client: ContractClient) -> None:
    response = client.get(
        DEFINITIONS, headers={"Authorization": "Bearer phc_emulator_staging_project_key"}
    )
    assert response.status_code == 401
