"""Feature flags: filters merge and validation, archiving, stale versions, soft delete.

Source: PostHog/posthog `products/feature_flags/backend/api/feature_flag.py`
(`FeatureFlagSerializer`, `FeatureFlagViewSet`) and `products/feature_flags/backend/flag_status.py`.
"""

from __future__ import annotations

import httpx
import pytest

from .conftest import EXPERIMENTS, FLAGS, detail, new_experiment, new_flag, unique

EVERYONE = {"groups": [{"properties": [], "rollout_percentage": 100}]}


def _url(flag: dict[str, object]) -> str:
    return f"{FLAGS}{flag['id']}/"


def test_delete_is_405(http: httpx.Client) -> None:
    """`ForbidDestroyModel` on `FeatureFlagViewSet`: flags are soft-deleted by PATCH."""
    assert http.delete(_url(new_flag(http))).status_code == 405


def test_filters_version_is_reserved(http: httpx.Client) -> None:
    """`FeatureFlagSerializer._validate_filters_inner`: `"version" in filters` is a 400."""
    response = http.post(FLAGS, json={"key": unique("f"), "filters": {**EVERYONE, "version": 2}})
    assert response.status_code == 400
    assert detail(response) == "filters.version is reserved. Remove it from the request."


def test_an_update_merges_filters_into_the_stored_ones(http: httpx.Client) -> None:
    """`_validate_filters_inner`: `merged = {**stored_filters, **filters}` on an update, so a
    key left out (payloads, early_exit) survives."""
    flag = new_flag(http, filters={**EVERYONE, "payloads": {"true": "1"}, "early_exit": True})
    groups = {"groups": [{"properties": [], "rollout_percentage": 20}]}
    merged = http.patch(_url(flag), json={"filters": groups}).json()["filters"]
    assert merged["payloads"] == {"true": "1"}
    assert merged["early_exit"] is True
    assert merged["groups"][0]["rollout_percentage"] == 20


def test_empty_filters_on_update_change_nothing(http: httpx.Client) -> None:
    """`_validate_filters_inner`: an update's empty filters return the stored ones untouched."""
    flag = new_flag(http, filters={**EVERYONE, "payloads": {"true": "1"}})
    assert http.patch(_url(flag), json={"filters": {}}).json()["filters"] == flag["filters"]


def test_a_regex_that_does_not_compile_is_a_400(http: httpx.Client) -> None:
    """`_validate_filters_inner`: `is_valid_regex(pattern)` for `regex`/`not_regex` values not
    already stored on the flag."""
    prop = {"key": "email", "type": "person", "operator": "regex", "value": "(unclosed"}
    body = {"key": unique("f"), "filters": {"groups": [{"properties": [prop]}]}}
    response = http.post(FLAGS, json=body)
    assert response.status_code == 400
    assert detail(response).endswith(".value: invalid regex pattern")


def test_archiving_an_enabled_flag_is_a_400(http: httpx.Client) -> None:
    """`FeatureFlagSerializer._validate_archived_flags_are_disabled`."""
    flag = new_flag(http)
    refused = http.patch(_url(flag), json={"archived": True})
    assert refused.status_code == 400
    assert detail(refused) == (
        "Cannot archive an enabled feature flag. Disable it first, or send active: false in the "
        "same request."
    )
    assert http.patch(_url(flag), json={"archived": True, "active": False}).status_code == 200
    enabling = http.patch(_url(flag), json={"active": True})
    assert detail(enabling) == "Cannot enable an archived feature flag. Unarchive it first."


def test_archived_flags_are_listed_only_when_asked(http: httpx.Client) -> None:
    """`exclude_archived_unless_requested` (flag_status.py): the list filters `archived=False`
    unless the request has an `archived` parameter."""
    flag = new_flag(http, active=False, archived=True)
    listed = http.get(FLAGS, params={"limit": 1000}).json()["results"]
    assert flag["key"] not in [row["key"] for row in listed]
    asked = http.get(FLAGS, params={"limit": 1000, "archived": "true"}).json()["results"]
    assert flag["key"] in [row["key"] for row in asked]


def test_a_stale_write_keeps_a_concurrent_edit_of_another_field(http: httpx.Client) -> None:
    """`FeatureFlagSerializer.update`: a stale `version` with no conflicting field goes through
    `_discard_unchanged_stale_fields`, which drops the fields equal to `original_flag`."""
    flag = new_flag(http, name="before")
    original = {"name": "before", "active": True}
    assert http.patch(_url(flag), json={"name": "someone else's"}).status_code == 200
    stale = {"version": flag["version"], "original_flag": original}
    answer = http.patch(_url(flag), json={**stale, "name": "before", "active": False})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["name"], answer.json()["active"]) == ("someone else's", False)


def test_a_stale_write_of_the_same_field_is_a_409(http: httpx.Client) -> None:
    """`FeatureFlagSerializer._get_conflicting_changes` -> `Conflict` (409)."""
    flag = new_flag(http, name="before")
    assert http.patch(_url(flag), json={"name": "theirs"}).status_code == 200
    body = {"version": flag["version"], "original_flag": {"name": "before"}, "name": "mine"}
    answer = http.patch(_url(flag), json=body)
    assert answer.status_code == 409
    assert "since you started editing it" in detail(answer)


def test_only_a_running_experiment_blocks_deleting_its_flag(http: httpx.Client) -> None:
    """`FeatureFlagSerializer.update`: `running_experiments = [... if exp.is_running]`; draft,
    stopped and completed experiments keep the flag for their history."""
    draft = new_experiment(http)
    draft_flag = f"{FLAGS}{draft['feature_flag']['id']}/"
    assert http.patch(draft_flag, json={"deleted": True}).status_code == 200
    running = new_experiment(http)
    assert http.post(f"{EXPERIMENTS}{running['id']}/launch/").status_code == 200
    blocked = http.patch(f"{FLAGS}{running['feature_flag']['id']}/", json={"deleted": True})
    assert blocked.status_code == 400
    assert detail(blocked).startswith(
        "Cannot delete a feature flag that is linked to running experiment(s):"
    )


def test_multivariate_without_variants_is_a_400(
    http: httpx.Client, posthog_validation: str
) -> None:
    """The structural tier (`FeatureFlagFiltersSerializer`, filters_schema.py): `multivariate`
    needs `variants`. Enforced per rule by deployment setting (`_filters_rule_is_enforced`)."""
    response = http.post(
        FLAGS, json={"key": unique("f"), "filters": {**EVERYONE, "multivariate": {}}}
    )
    assert response.status_code == (400 if posthog_validation == "strict" else 201)


@pytest.mark.parametrize(
    "filters",
    [
        {"groups": [{"properties": []}], "multivariate": {"variants": [
            {"key": "a", "rollout_percentage": 60}, {"key": "b", "rollout_percentage": 60}]}},
        {"groups": [{"properties": [], "variant": "nope"}]},
        {**EVERYONE, "payloads": {"blue": "1"}},
        {"groups": [{"properties": [
            {"key": "n", "type": "person", "operator": "icontains", "value": 5}]}]},
    ],
    ids=["variant sum", "variant override", "payload key", "operator value type"],
)  # fmt: skip
def test_cross_field_rules_depend_on_the_deployment(
    http: httpx.Client, filters: dict[str, object], posthog_validation: str
) -> None:
    """`collect_cross_field_violations` (filters_validation.py) runs in
    `_validate_filters_inner`, and only rules `_filters_rule_is_enforced` lists reject: strict
    emulates a deployment enforcing them all, lenient one enforcing none."""
    response = http.post(FLAGS, json={"key": unique("f"), "filters": filters})
    assert response.status_code == (400 if posthog_validation == "strict" else 201), response.text
