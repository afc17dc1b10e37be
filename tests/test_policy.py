"""Policy rules on the plan's JSON: for each rule a plan it lets through and one it stops, with
the message a reviewer reads. Every plan used here is checked against the published plan
schema first, so the rules are tested on the format they are documented to read."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reconciler.policy.builtin import BUILTIN_RULES
from reconciler.policy.config import CustomRule, Policy
from reconciler.policy.expressions import compile_problems, custom_violations
from reconciler.policy.violation import Violation

REPO = Path(__file__).resolve().parents[1]
PLAN_SCHEMA = jsonschema.Draft202012Validator(
    json.loads((REPO / "schemas/plan-v1.schema.json").read_text())
)


CHANGE_DEFAULTS = {
    "resource": "flag",
    "environment": None,
    "fields": [],
    "via": "direct",
    "pending_request": None,
}
"""What `plan -o json` writes for a change's fields left at their default."""


def _plan(*changes: dict[str, Any]) -> dict[str, Any]:
    data = {
        "format_version": 1,
        "changes_pending": True,
        "summary": {"create": 0, "update": 0, "delete": 0, "change_request": 0},
        "fingerprint": "0" * 64,
        "provider": "devcycle",
        "project": "demo",
        "environments": ["staging", "production"],
        "changes": [{**CHANGE_DEFAULTS, **change} for change in changes],
        "steps": [],
    }
    PLAN_SCHEMA.validate(data)
    return data


def _violations(
    policy: Policy, plan: dict[str, Any], flags: Mapping[str, dict[str, Any]] | None = None
) -> list[Violation]:
    flags = {} if flags is None else flags  # not `or`: asking a lazy mapping's size reads it
    found = [v for rule in BUILTIN_RULES for v in rule(policy, plan, flags)]
    return found + custom_violations(policy, plan, flags)


NEW_FLAG = {"action": "create", "key": "new-checkout", "fields": []}
NEW_IN_PROD = {"action": "create", "key": "new-checkout", "environment": "production"}
DELETE_FLAG = {"action": "delete", "key": "old-banner"}


def _split(env: str, before: Any, after: Any, via: str = "direct") -> dict[str, Any]:
    return {
        "action": "update",
        "key": "new-checkout",
        "environment": env,
        "via": via,
        "fields": [
            {
                "path": "targets[1].serve",
                "parts": ["targets", 1, "serve"],
                "before": before,
                "after": after,
            }
        ],
    }


# required fields on new flags


REQUIRED = Policy(require_on_new_flags=("owner", "description", "expires"))


def test_a_new_flag_with_owner_description_and_expiry_passes() -> None:
    flags = {"new-checkout": {"owner": "team-pay", "description": "x", "expires": "2027-01-31"}}
    assert _violations(REQUIRED, _plan(NEW_FLAG), flags) == []


def test_permanent_stands_in_for_an_expiry() -> None:
    flags = {"new-checkout": {"owner": "team-pay", "description": "x", "permanent": True}}
    assert _violations(REQUIRED, _plan(NEW_FLAG), flags) == []


def test_a_new_flag_without_owner_or_expiry_is_named_with_what_it_lacks() -> None:
    flags = {"new-checkout": {"description": "x"}}
    [violation] = _violations(REQUIRED, _plan(NEW_FLAG), flags)
    assert violation.rule == "require_on_new_flags"
    assert violation.message == (
        "new flag 'new-checkout' has no owner, expires (or `permanent: true`)"
    )


def test_existing_flags_are_not_held_to_the_fields_required_of_new_ones() -> None:
    assert _violations(REQUIRED, _plan(_split("production", {"a": 100}, {"b": 100}))) == []


# the largest rollout step per apply


STEP = Policy(max_rollout_step={"production": 25})


def test_a_split_moved_within_the_step_passes() -> None:
    plan = _plan(_split("production", {"a": 90, "b": 10}, {"a": 70, "b": 30}))
    assert _violations(STEP, plan) == []


def test_a_split_moved_beyond_the_step_fails() -> None:
    plan = _plan(_split("production", {"a": 90, "b": 10}, {"a": 40, "b": 60}))
    [violation] = _violations(STEP, plan)
    assert violation.rule == "max_rollout_step"
    assert "targets[1].serve moves 50 points; at most 25 per apply in production" in (
        violation.message
    )


def test_the_step_limits_only_its_environment() -> None:
    assert _violations(STEP, _plan(_split("staging", {"a": 100}, {"b": 100}))) == []


def test_a_rollout_percentage_jump_counts_and_none_means_everyone() -> None:
    change = _split("production", None, None)
    change["fields"] = [
        {
            "path": "targets[0].percentage",
            "parts": ["targets", 0, "percentage"],
            "before": 10,
            "after": None,
        }
    ]
    [violation] = _violations(STEP, _plan(change))
    assert "moves 90 points" in violation.message


# environments that need change requests


REVIEWED = Policy(require_change_requests=("production",))


def test_production_changes_through_a_change_request_pass() -> None:
    plan = _plan(_split("production", {"a": 100}, {"b": 100}, via="change-request"))
    assert _violations(REVIEWED, plan) == []


def test_a_direct_production_change_fails() -> None:
    [violation] = _violations(REVIEWED, _plan(_split("production", {"a": 100}, {"b": 100})))
    assert violation.rule == "require_change_requests"
    assert "'new-checkout' [production] would be written directly" in violation.message


# forbidden actions per environment


FORBID = Policy(forbid={"production": ("delete", "create")})


def test_creating_a_flag_off_in_production_and_updating_it_pass() -> None:
    plan = _plan(NEW_FLAG, _split("production", {"a": 100}, {"b": 100}))
    assert _violations(FORBID, plan) == []


def test_a_new_flag_targeting_production_fails() -> None:
    [violation] = _violations(FORBID, _plan(NEW_FLAG, NEW_IN_PROD))
    assert violation.message == "create of flag 'new-checkout' is forbidden in production"


def test_deleting_a_flag_fails_where_deletes_are_forbidden() -> None:
    [violation] = _violations(FORBID, _plan(DELETE_FLAG))
    assert (violation.rule, violation.environment) == ("forbid", "production")
    assert _violations(Policy(forbid={"staging": ("create",)}), _plan(DELETE_FLAG)) == []


# a team's own rule, in CEL


def _rule(expression: str, message: str = "") -> Policy:
    return Policy(rules=(CustomRule(name="team-rule", expression=expression, message=message),))


NO_EXPERIMENTS = "plan.changes.all(c, c.resource != 'experiment' || c.action != 'delete')"
TAGGED_OWNERS = "flags.all(k, has(flags[k].owner) && flags[k].owner.startsWith('team-'))"


def test_a_custom_rule_that_holds_passes() -> None:
    assert _violations(_rule(NO_EXPERIMENTS), _plan(DELETE_FLAG)) == []
    flags = {"new-checkout": {"owner": "team-pay"}}
    assert _violations(_rule(TAGGED_OWNERS), _plan(NEW_FLAG), flags) == []


def test_a_custom_rule_that_fails_shows_its_name_and_message() -> None:
    policy = _rule(NO_EXPERIMENTS, "experiments are ended, not deleted")
    plan = _plan({"action": "delete", "resource": "experiment", "key": "pricing"})
    assert _violations(policy, plan) == [
        Violation("team-rule", "experiments are ended, not deleted")
    ]
    flags = {"new-checkout": {"owner": "alice"}}
    [violation] = _violations(_rule(TAGGED_OWNERS), _plan(NEW_FLAG), flags)
    assert violation.rule == "team-rule"


def test_a_custom_rule_that_cannot_be_evaluated_stops_the_plan() -> None:
    [violation] = _violations(_rule("plan.no_such_field == 1"), _plan(NEW_FLAG))
    assert "could not be evaluated" in violation.message
    [violation] = _violations(_rule("plan.project"), _plan(NEW_FLAG))
    assert "must evaluate to true or false" in violation.message


@pytest.mark.parametrize("expression", ["plan.changes.all(c, ", "plan.changes.size() >"])
def test_an_expression_that_is_not_cel_is_a_located_problem(expression: str) -> None:
    [problem] = compile_problems(_rule(expression))
    assert "policy rule 'team-rule': not valid CEL" in problem.message


# the manifests' metadata is read again only when a rule looks at it


def test_metadata_is_read_only_for_a_new_flag_or_a_custom_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 10,000 flags a second read of the manifests is seconds added to every plan: rules
    that judge only the plan's changes must not pay it."""
    from reconciler.manifest import metadata

    reads: list[object] = []

    def counted(workspace: object) -> dict[str, dict[str, Any]]:
        reads.append(workspace)
        return {"new-checkout": {"description": "x"}}

    monkeypatch.setattr(metadata, "flag_metadata", counted)
    update = _plan(_split("production", {"a": 100}, {"b": 100}))
    every_builtin = Policy(
        require_on_new_flags=("owner",),
        max_rollout_step={"production": 25},
        forbid={"production": ("delete",)},
    )
    assert _violations(every_builtin, update, metadata.LazyFlagMetadata(tmp_path)) != []
    assert reads == []  # an update: no new flag to judge, no custom rule
    [missing] = _violations(REQUIRED, _plan(NEW_FLAG), metadata.LazyFlagMetadata(tmp_path))
    assert "has no owner, expires" in missing.message and len(reads) == 1
    uses_flags = Policy(
        rules=(CustomRule("described", "flags.all(k, flags[k].description != '')"),)
    )
    assert _violations(uses_flags, update, metadata.LazyFlagMetadata(tmp_path)) == []
    assert len(reads) == 2
