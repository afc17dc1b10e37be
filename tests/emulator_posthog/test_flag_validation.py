"""Create-time validation: each rule answers PostHog's exact type, code and attr."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import ContractClient, create_flag, error, flag_body

FLAGS = "/api/projects/1/feature_flags/"

MULTIVARIATE = {
    "variants": [
        {"key": "control", "rollout_percentage": 50},
        {"key": "test", "rollout_percentage": 50},
    ]
}


def _groups(*groups: dict[str, Any]) -> list[dict[str, Any]]:
    return list(groups)


CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "bad key",
        flag_body("has space!"),
        {
            "code": "invalid_key",
            "attr": "key",
            "detail": "Only letters, numbers, hyphens (-) & underscores (_) are allowed.",
        },
    ),
    (
        "variants not summing to 100",
        flag_body(
            "sum",
            filters={
                "groups": [{"properties": [], "rollout_percentage": 100}],
                "multivariate": {
                    "variants": [
                        {"key": "control", "rollout_percentage": 50},
                        {"key": "test", "rollout_percentage": 40},
                    ]
                },
            },
        ),
        {
            "code": "invalid_input",
            "attr": "filters",
            "detail": "Invalid variant definitions: Variant rollout percentages must sum to 100.",
        },
    ),
    (
        "duplicate variant keys",
        flag_body(
            "dupe-variants",
            filters={
                "groups": [{"properties": [], "rollout_percentage": 100}],
                "multivariate": {
                    "variants": [
                        {"key": "a", "rollout_percentage": 50},
                        {"key": "a", "rollout_percentage": 50},
                    ]
                },
            },
        ),
        {"code": "invalid_input", "attr": "filters"},
    ),
    (
        "payload key not a variant",
        flag_body(
            "payload-key",
            filters={
                "groups": [{"properties": [], "rollout_percentage": 100}],
                "multivariate": MULTIVARIATE,
                "payloads": {"other": "1"},
            },
        ),
        {
            "code": "invalid_input",
            "attr": "filters",
            "detail": "Payload keys must match a variant key for multivariate flags",
        },
    ),
    (
        "boolean payload key not true",
        flag_body(
            "payload-bool",
            filters={"groups": [{"properties": []}], "payloads": {"on": "1"}},
        ),
        {
            "code": "invalid_input",
            "attr": "filters",
            "detail": "Payload keys must be 'true' for boolean flags",
        },
    ),
    (
        "payload string that is not JSON",
        flag_body("payload-json", filters={"groups": [{}], "payloads": {"true": "not json"}}),
        {"code": "invalid_input", "attr": "filters", "detail": "Payload value is not valid JSON"},
    ),
    (
        "no groups on create",
        flag_body("no-groups", filters={"groups": []}),
        {
            "code": "invalid_input",
            "attr": "filters",
            "detail": "Feature flags must have at least one condition set (group).",
        },
    ),
    (
        "filters without groups on create",
        flag_body("no-groups-key", filters={}),
        {"code": "invalid_input", "attr": "filters"},
    ),
    (
        "unknown cohort",
        flag_body(
            "cohort",
            filters={
                "groups": [{"properties": [{"key": "id", "type": "cohort", "value": 21}]}],
            },
        ),
        {
            "code": "cohort_does_not_exist",
            "attr": "filters",
            "detail": "Cohort with id 21 does not exist",
        },
    ),
    (
        "unknown variant override",
        flag_body(
            "override",
            filters={
                "groups": [{"properties": [], "rollout_percentage": 100, "variant": "nope"}],
                "multivariate": MULTIVARIATE,
            },
        ),
        {
            "code": "invalid_input",
            "attr": "filters",
            "detail": "Filters are not valid (variant override does not exist)",
        },
    ),
    (
        "group property on a person-aggregated flag",
        flag_body(
            "group-prop",
            filters={
                "groups": [
                    {
                        "properties": [
                            {"key": "name", "type": "group", "group_type_index": 0, "value": "x"}
                        ]
                    }
                ]
            },
        ),
        {
            "code": "invalid_input",
            "attr": "filters",
            "detail": "Filters are not valid (can only use person, cohort, and flag properties)",
        },
    ),
    (
        "icontains with a non-string value",
        flag_body(
            "icontains",
            filters={
                "groups": [
                    {
                        "properties": [
                            {"key": "email", "type": "person", "operator": "icontains", "value": 3}
                        ]
                    }
                ]
            },
        ),
        {"code": "invalid_value", "attr": "filters"},
    ),
    (
        "in operator on a person property",
        flag_body(
            "in-op",
            filters={
                "groups": [
                    {"properties": [{"key": "x", "type": "person", "operator": "in", "value": 1}]}
                ]
            },
        ),
        {"code": "invalid_operator", "attr": "filters"},
    ),
    (
        "flag dependency by key",
        flag_body(
            "dep-by-key",
            filters={
                "groups": [
                    {
                        "properties": [
                            {
                                "key": "some-flag",
                                "type": "flag",
                                "operator": "flag_evaluates_to",
                                "value": True,
                            }
                        ]
                    }
                ]
            },
        ),
        {
            "code": "invalid_input",
            "attr": "filters",
            "detail": "Flag dependencies must reference flag IDs (integers), not flag keys. "
            "Invalid reference: 'some-flag'",
        },
    ),
    (
        "flag dependency on a missing flag",
        flag_body(
            "dep-missing",
            filters={
                "groups": [
                    {
                        "properties": [
                            {
                                "key": "999",
                                "type": "flag",
                                "operator": "flag_evaluates_to",
                                "value": True,
                            }
                        ]
                    }
                ]
            },
        ),
        {
            "code": "invalid_input",
            "attr": "filters",
            "detail": "Flag dependency references non-existent flag with ID 999",
        },
    ),
    (
        "rollout above 100",
        flag_body("too-much", filters={"groups": [{"properties": [], "rollout_percentage": 120}]}),
        {"code": "max_value", "attr": "filters"},
    ),
    (
        "non-boolean active",
        flag_body("active-str", active="sometimes"),
        {"code": "invalid_input", "attr": "active", "detail": "Must be a valid boolean."},
    ),
]


# The cross-field rules PostHog enforces only where its deployment setting lists them
# (`collect_cross_field_violations`, `_filters_rule_is_enforced`): a lenient emulator accepts them.
DEPLOYMENT_GATED = {
    "variants not summing to 100",
    "duplicate variant keys",
    "payload key not a variant",
    "boolean payload key not true",
    "unknown variant override",
    "icontains with a non-string value",
    "in operator on a person property",
}


@pytest.mark.parametrize(("body", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_create_validation_errors(
    client: ContractClient,
    body: dict[str, Any],
    expected: dict[str, Any],
    request: pytest.FixtureRequest,
    posthog_validation: str,
) -> None:
    response = client.post(FLAGS, json=body, schema_violation=body.get("active") == "sometimes")
    case = request.node.callspec.id
    if posthog_validation == "lenient" and case in DEPLOYMENT_GATED:
        assert response.status_code == 201, response.text
        return
    assert response.status_code == 400, response.text
    got = error(response)
    assert got["type"] == "validation_error"
    assert {k: got[k] for k in expected} == expected
    assert client.get(FLAGS).json()["count"] == 0


def test_missing_key_is_required(client: ContractClient) -> None:
    body: dict[str, Any] = {"filters": {"groups": [{"properties": []}]}}
    response = client.post(FLAGS, json=body, schema_violation=True)
    assert response.status_code == 400
    assert error(response) == {
        "type": "validation_error",
        "code": "required",
        "detail": "This field is required.",
        "attr": "key",
    }


def test_duplicate_key_is_unique(client: ContractClient) -> None:
    create_flag(client, "taken")
    response = client.post(FLAGS, json=flag_body("taken"))
    assert response.status_code == 400
    assert error(response) == {
        "type": "validation_error",
        "code": "unique",
        "detail": "There is already a feature flag with this key.",
        "attr": "key",
    }


def test_same_key_in_another_project_is_fine(client: ContractClient) -> None:
    create_flag(client, "shared")
    create_flag(client, "shared", project=2)


def test_first_invalid_field_in_serializer_order_wins(client: ContractClient) -> None:
    body = flag_body("bad key", filters={"groups": []})
    assert error(client.post(FLAGS, json=body))["attr"] == "key"


def test_self_and_circular_dependencies(client: ContractClient) -> None:
    base = create_flag(client, "base")

    def depends_on(flag_id: int) -> dict[str, Any]:
        prop = {"key": str(flag_id), "type": "flag", "operator": "flag_evaluates_to", "value": True}
        return {"groups": [{"properties": [prop], "rollout_percentage": 100}]}

    top = create_flag(client, "top", filters=depends_on(base["id"]))
    own = client.patch(f"{FLAGS}{base['id']}/", json={"filters": depends_on(base["id"])})
    assert error(own)["detail"] == "Feature flag 'base' cannot depend on itself"
    cycle = client.patch(f"{FLAGS}{base['id']}/", json={"filters": depends_on(top["id"])})
    assert error(cycle)["detail"] == "Circular dependency detected: base → top → base"


def test_dependency_on_disabled_flag_is_rejected(client: ContractClient) -> None:
    off = create_flag(client, "off", active=False)
    prop = {"key": str(off["id"]), "type": "flag", "operator": "flag_evaluates_to", "value": True}
    body = flag_body("needs-off", filters={"groups": [{"properties": [prop]}]})
    detail = error(client.post(FLAGS, json=body))["detail"]
    assert detail.startswith("Cannot create dependency on disabled flag 'off'")


def test_behavioural_cohort_is_rejected(client: ContractClient, state: Any) -> None:
    state.cohorts.append(
        {
            "id": 50,
            "team_id": 1,
            "name": "Did a thing",
            "filters": {
                "properties": {
                    "type": "OR",
                    "values": [{"key": "signup", "type": "behavioral", "value": "performed_event"}],
                }
            },
            "deleted": False,
            "is_static": False,
        }
    )
    prop = {"key": "id", "type": "cohort", "value": 50}
    body = flag_body("behavioural", filters={"groups": [{"properties": [prop]}]})
    got = error(client.post(FLAGS, json=body))
    assert got["code"] == "behavioral_cohort_found"
    assert (
        got["detail"]
        == "Cohort 'Did a thing' with filters on events cannot be used in feature flags."
    )
