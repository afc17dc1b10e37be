"""The PostHog translation laws, with hypothesis, and the quirks they absorb.

Round trip: a flag written as one project's create body and read back the way PostHog returns it
(payloads as JSON strings, `aggregation_group_type_index` copied into every condition,
`cohort_name` injected, a null operator for exact, tags re-ordered, server fields added) is the
same flag; merging the projects gives the manifest's flag back. The same law against the real
emulator server lives in tests/e2e/test_posthog_laws.py.
"""

from __future__ import annotations

import copy
import itertools
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.errors import FlagsyncError
from reconciler.model import Audience, EnvironmentConfig, Filter, Flag, Target, Variation
from reconciler.plan import diff_flag
from reconciler.providers.posthog.context import ProjectContext, placeholder
from reconciler.providers.posthog.merge import merge_projects
from reconciler.providers.posthog.translate import (
    Unsupported,
    create_body,
    flag_body,
    flag_to_model,
)
from tests.strategies import posthog_flags

_ids = itertools.count(1)
COHORT_IDS = {"staging": {"Beta testers": 11, "Enterprise customers": 12}}
COHORT_IDS["production"] = {"Beta testers": 21, "Enterprise customers": 22}


def context(env: str) -> ProjectContext:
    return ProjectContext(
        environment=env,
        project_id=1 if env == "staging" else 2,
        cohorts=dict(COHORT_IDS[env]),
        known_group_types={"company": 0},
        flags={"parent": 7 if env == "staging" else 8},
    )


def as_server_returns(body: dict[str, Any], ctx: ProjectContext, quirks: bool) -> dict[str, Any]:
    """What PostHog answers for a created flag: the filters normalised as it stores them, read
    fields added, and (with `quirks`) every echo a reconciler must absorb."""
    body = copy.deepcopy(body)
    filters = body["filters"]
    names = {cohort_id: name for name, cohort_id in ctx.cohorts.items()}
    for group in filters["groups"]:
        group.setdefault("properties", [])
        for prop in group["properties"]:
            if prop["type"] == "cohort":
                prop["cohort_name"] = names[prop["value"]]
            if quirks and prop.get("operator") == "exact":
                prop["operator"] = None  # stored before operators were required
            if quirks and prop["type"] == "group":
                prop["group_key_names"] = {}
        if quirks and group.get("description") is None:
            group["sort_key"] = "abc"
    if quirks and filters.get("multivariate"):
        filters["multivariate"]["variants"].reverse()
    levels = {group.get("aggregation_group_type_index") for group in filters["groups"]}
    filters["aggregation_group_type_index"] = levels.pop() if len(levels) == 1 else None
    tags = sorted(tag.lower() for tag in body["tags"])
    return {
        **body,
        "tags": list(reversed(tags)) if quirks else tags,
        "id": next(_ids),
        "version": 1,
        "deleted": False,
        "created_at": "2026-11-24T10:00:00Z",
        "is_simple_flag": False,
        "rollout_percentage": None,
        "experiment_set": [],
        "status": "ACTIVE",
        "evaluation_tags": [],
        "ensure_experience_continuity": body["ensure_experience_continuity"] if quirks else None,
    }


@settings(max_examples=300, deadline=None)
@given(posthog_flags(), st.booleans())
def test_round_trip_per_project_and_merged(flag: Flag, quirks: bool) -> None:
    copies = {}
    for env in flag.environments:
        ctx = context(env)
        raw = as_server_returns(create_body(flag, env, ctx), ctx, quirks)
        if not quirks:
            raw["ensure_experience_continuity"] = flag.settings.get(
                "ensure_experience_continuity", False
            )
        copies[env] = flag_to_model(raw, ctx)
        assert copies[env] == flag.model_copy(
            update={"environments": {env: flag.environments[env]}}
        )
    merged = merge_projects(copies)
    assert merged == flag
    assert diff_flag(flag, merged) == []


@settings(max_examples=100, deadline=None)
@given(posthog_flags())
def test_payloads_are_sent_as_json_strings(flag: Flag) -> None:
    env = next(iter(flag.environments))
    payloads = create_body(flag, env, context(env))["filters"]["payloads"]
    assert all(isinstance(value, str) for value in payloads.values())
    decoded = {key: json.loads(value) for key, value in payloads.items()}
    expected = {k: v.payload for k, v in flag.variations.items() if v.payload is not None}
    if not flag.variations and flag.payload is not None:
        expected = {"true": flag.payload}
    assert decoded == expected


def _flag(**overrides: Any) -> Flag:
    target = Target(
        audience=Audience(
            filters=(Filter(field="cohort", comparator="is", values=("Beta testers",)),)
        )
    )
    data: dict[str, Any] = {
        "key": "beta",
        "name": "beta",
        "environments": {
            "staging": EnvironmentConfig(enabled=True, targets=(target,)),
            "production": EnvironmentConfig(enabled=True, targets=(target,)),
        },
    }
    data.update(overrides)
    return Flag(**data)


def test_cohorts_are_resolved_by_name_in_each_project() -> None:
    flag = _flag()
    staging = create_body(flag, "staging", context("staging"))["filters"]["groups"][0]
    production = create_body(flag, "production", context("production"))["filters"]["groups"][0]
    assert staging["properties"][0]["value"] == 11
    assert production["properties"][0]["value"] == 21


def test_an_unknown_cohort_is_a_plan_error_naming_the_project() -> None:
    ctx = context("staging")
    ctx.cohorts.pop("Beta testers")
    with pytest.raises(
        FlagsyncError, match=r"cohort 'Beta testers' does not exist in PostHog project 1"
    ):
        create_body(_flag(), "staging", ctx)


def test_dependencies_use_the_id_or_a_placeholder() -> None:
    dependency = Filter(field="flag", comparator="is", values=(True,), data_key="parent")
    other = Filter(field="flag", comparator="is", values=("blue",), data_key="new-parent")
    target = Target(audience=Audience(filters=(dependency, other)))
    flag = _flag(environments={"staging": EnvironmentConfig(targets=(target,))})
    properties = flag_body(flag, "staging", context("staging"))["filters"]["groups"][0][
        "properties"
    ]
    assert [(p["key"], p["value"]) for p in properties] == [
        ("7", True),
        (placeholder("new-parent"), "blue"),
    ]


def test_flag_level_fields_that_differ_between_projects_show_as_a_change() -> None:
    flag = _flag(description="Beta dashboard", variations={})
    copies = {}
    for env, text in (("staging", "Beta dashboard"), ("production", "edited in the UI")):
        ctx = context(env)
        raw = as_server_returns(create_body(flag, env, ctx), ctx, quirks=True)
        raw["name"] = text
        copies[env] = flag_to_model(raw, ctx)
    merged = merge_projects(copies)
    changes = diff_flag(flag, merged)
    assert [(c.environment, [f.path for f in c.fields]) for c in changes] == [
        (None, ["description"])
    ]
    assert "edited in the UI" in str(changes[0].fields[0].before)


def test_variants_differing_between_projects_show_as_a_change() -> None:
    variations = {"a": Variation(name="a", payload=1), "b": Variation(name="b")}
    split = Target(serve={"a": 50, "b": 50})
    flag = _flag(
        variations=variations,
        environments={
            env: EnvironmentConfig(enabled=True, targets=(split,))
            for env in ("staging", "production")
        },
    )
    copies = {}
    for env in flag.environments:
        ctx = context(env)
        raw = as_server_returns(create_body(flag, env, ctx), ctx, quirks=False)
        if env == "production":
            raw["filters"]["payloads"]["a"] = "2"
        copies[env] = flag_to_model(raw, ctx)
    changes = diff_flag(flag, merge_projects(copies))
    assert [f.path for c in changes for f in c.fields] == ["variations.a.payload"]


def test_operators_flagsync_cannot_read_stop_the_plan_instead_of_being_dropped() -> None:
    ctx = context("staging")
    raw = as_server_returns(create_body(_flag(), "staging", ctx), ctx, quirks=False)
    raw["filters"]["groups"][0]["properties"] = [
        {"key": "signed_up", "type": "person", "operator": "is_date_exact", "value": "2025-01-01"}
    ]
    with pytest.raises(Unsupported, match="operator 'is_date_exact'"):
        flag_to_model(raw, ctx)


def test_semver_and_date_operators_are_read() -> None:
    ctx = context("staging")
    raw = as_server_returns(create_body(_flag(), "staging", ctx), ctx, quirks=False)
    raw["filters"]["groups"][0]["properties"] = [
        {"key": "app_version", "type": "person", "operator": "semver_gt", "value": "1.2.0"},
        {"key": "signed_up", "type": "person", "operator": "is_date_after", "value": "-7d"},
    ]
    read = flag_to_model(raw, ctx).environments["staging"].targets[0].audience.filters
    assert [(f.comparator, f.values) for f in read] == [
        ("semver_gt", ("1.2.0",)),
        ("date_after", ("-7d",)),
    ]


def test_default_settings_equal_leaving_them_out() -> None:
    assert _flag(settings={"evaluation_runtime": "all"}) == _flag()
    assert _flag(settings={"evaluation_runtime": "server"}) != _flag()
