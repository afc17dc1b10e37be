"""Diffing two models into a plan, and how reviewers read it."""

from __future__ import annotations

import json

from hypothesis import given, settings

from reconciler.model import Flag, FlagSet
from reconciler.plan import ApiCall, Plan, Step, diff_flag, diff_flagsets
from reconciler.render import render_json, render_markdown, render_text
from tests.strategies import flags

BASE = {
    "key": "new-checkout",
    "name": "New checkout",
    "variables": {"version": {"type": "String", "name": "version"}},
    "variations": {
        "classic": {"name": "Classic", "values": {"version": "v1"}},
        "redesign": {"name": "Redesign", "values": {"version": "v2"}},
    },
    "environments": {
        "staging": {"enabled": True, "targets": [{"name": "Everyone", "serve": {"redesign": 100}}]},
        "production": {
            "enabled": True,
            "targets": [
                {
                    "name": "Staff",
                    "audience": {
                        "filters": [
                            {"field": "email", "comparator": "ends_with", "values": ["@acme.com"]}
                        ]
                    },
                    "serve": {"redesign": 100},
                },
                {"name": "Everyone else", "serve": {"classic": 100}},
            ],
        },
    },
}


def flag(**changes: object) -> Flag:
    data = json.loads(json.dumps(BASE))
    data.update(changes)
    return Flag.model_validate(data)


def test_identical_flags_have_no_changes() -> None:
    assert diff_flag(flag(), flag()) == []


@settings(max_examples=60, deadline=None)
@given(flags())
def test_a_flag_never_differs_from_itself(generated: Flag) -> None:
    assert diff_flag(generated, generated.model_copy(deep=True)) == []


def test_split_change_is_one_field_in_one_environment() -> None:
    desired = json.loads(json.dumps(BASE))
    desired["environments"]["production"]["targets"][1]["serve"] = {"classic": 90, "redesign": 10}
    changes = diff_flag(Flag.model_validate(desired), flag())
    assert len(changes) == 1
    change = changes[0]
    assert (change.action, change.environment) == ("update", "production")
    assert [(f.path, f.before, f.after) for f in change.fields] == [
        ("targets[1].serve", {"classic": 100.0}, {"classic": 90.0, "redesign": 10.0})
    ]


def test_new_flag_is_a_creation_with_its_environments() -> None:
    changes = diff_flagsets(FlagSet(flags={"new-checkout": flag()}), FlagSet())
    assert [(c.action, c.environment) for c in changes] == [
        ("create", None),
        ("create", "staging"),
        ("create", "production"),
    ]


def test_flag_level_field_change() -> None:
    changes = diff_flag(flag(name="Checkout v2", tags=["web"]), flag())
    assert [(c.environment, [(f.path, f.before, f.after) for f in c.fields]) for c in changes] == [
        (None, [("name", "New checkout", "Checkout v2"), ("tags", [], ["web"])])
    ]


def _plan_for(desired: Flag, live: Flag) -> Plan:
    return Plan(
        provider="devcycle",
        project="demo",
        environments=["staging", "production"],
        changes=diff_flag(desired, live),
        steps=[
            Step(action="update", key="new-checkout", calls=[ApiCall(method="PATCH", path="/x")])
        ],
    )


def test_text_plan_reads_like_a_review() -> None:
    desired = json.loads(json.dumps(BASE))
    desired["environments"]["production"]["targets"][1]["serve"] = {"classic": 90, "redesign": 10}
    text = render_text(_plan_for(Flag.model_validate(desired), flag()))
    assert "~ new-checkout" in text
    assert "~ [production]" in text
    assert "targets[1].serve: classic -> classic 90% / redesign 10%" in text
    assert "Plan: 0 to create, 1 to update, 0 to delete." in text


def test_markdown_plan_has_a_table_row_per_field() -> None:
    desired = json.loads(json.dumps(BASE))
    desired["environments"]["production"]["targets"][0]["audience"]["filters"][0]["values"] = [
        "@acme.io"
    ]
    markdown = render_markdown(_plan_for(Flag.model_validate(desired), flag()))
    assert (
        '| production | `targets[0].audience` | email ends with "@acme.com" '
        '| email ends with "@acme.io" |' in markdown
    )


def test_json_plan_is_complete_data() -> None:
    plan = _plan_for(flag(description="Now described"), flag())
    data = json.loads(render_json(plan))
    assert data["changes_pending"] is True
    assert data["summary"] == {"create": 0, "update": 1, "delete": 0, "change_request": 0}
    assert data["changes"][0]["fields"] == [
        {"path": "description", "parts": ["description"], "before": "", "after": "Now described"}
    ]
    assert data["steps"][0]["calls"][0]["method"] == "PATCH"
    assert len(data["fingerprint"]) == 64
