"""Validation of `audiences:` and `custom_properties:`: the exact `file:line:col: message`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.errors import ValidationFailed
from reconciler.manifest.loader import load_flags
from reconciler.model import Filter
from reconciler.workspace import load_workspace
from tests.test_posthog_validation import POSTHOG as POSTHOG_WORKSPACE
from tests.test_validation import problems

DECLARED = """\
custom_properties:
  - {key: plan, type: String}
  - {key: seat-count, property_key: seats, type: Number}
audiences:
  - key: pro
    name: Pro prospects
    filters:
      all:
        - custom: {key: plan, is: [free, trial]}
        - any:
            - custom: {key: seats, exists: true}
            - email: {ends_with: "@acme.com"}
"""

FLAG = """\
flags:
  - key: pricing
    variables: {discount: {type: Number}}
    variations:
      - {key: off, values: {discount: 0}}
      - {key: on, values: {discount: 15}}
    environments:
      production:
        targets:
          - audience: {all: [{audience: pro}]}
            serve: on
          - audience: {all: [{custom: %s}]}
            serve: off
"""


def test_declared_objects_build_with_their_defaults(make_workspace: Callable[..., Path]) -> None:
    flags = load_flags(
        load_workspace(
            make_workspace({"a.yaml": DECLARED, "b.yaml": FLAG % "{key: seats, gte: 5}"})
        )
    )
    assert flags.custom_properties["plan"].name == "plan"
    assert flags.custom_properties["plan"].property_key == "plan"
    assert flags.custom_properties["seat-count"].property_key == "seats"
    audience = flags.audiences["pro"]
    assert audience.name == "Pro prospects" and audience.audience.match == "all"
    group = audience.audience.filters[1]
    assert group.field == "any" and group.filters is not None
    # `exists` has no value to infer a type from: the declared type is used.
    assert group.filters[0] == Filter(
        field="custom", comparator="exists", data_key="seats", data_key_type="Number"
    )


def test_custom_filters_must_name_declared_properties_with_their_type(
    make_workspace: Callable[..., Path],
) -> None:
    found = problems(
        make_workspace,
        {
            "a.yaml": DECLARED.replace("{key: seats, exists: true}", "{key: seats, is: five}"),
            "b.yaml": FLAG % "{key: plna, is: pro}",
        },
    )
    assert found == [
        "a.yaml:11:40: custom property 'seats' is Number, but 'five' is a String",
        "b.yaml:12:45: custom property 'plna' is not declared; custom_properties declares "
        "plan, seats (did you mean 'plan'?)",
    ]


def test_duplicates_and_audience_references_inside_audiences(
    make_workspace: Callable[..., Path],
) -> None:
    manifest = DECLARED + "  - key: pro\n    filters: {all: [{audience: other}]}\n"
    manifest = manifest.replace(
        "- {key: seat-count, property_key: seats", "- {key: plan2, property_key: plan"
    )
    found = problems(make_workspace, {"a.yaml": manifest})
    assert found[0] == (
        "a.yaml:3:32: custom property property_key 'plan' is already declared at flags/a.yaml:2:11"
    )
    assert "a.yaml:13:10: audience key 'pro' is already declared at flags/a.yaml:5:10" in found
    assert found[-1].startswith("a.yaml:14:22: a reusable audience cannot use another audience")


def test_audiences_and_nested_groups_are_devcycle_only(
    make_workspace: Callable[..., Path],
) -> None:
    posthog_flag = """\
flags:
  - key: beta
    environments:
      production:
        targets:
          - audience: {all: [{any: [{person: {key: email, is: a@b.c}}]}]}
"""
    file = make_workspace(
        {"a.yaml": "custom_properties:\n  - {key: plan, type: String}\n", "b.yaml": posthog_flag},
        POSTHOG_WORKSPACE,
    )
    with pytest.raises(ValidationFailed) as caught:
        load_flags(load_workspace(file))
    found = [str(problem).removeprefix("flags/") for problem in caught.value.problems]
    assert found[0].startswith("a.yaml:2:5: `custom_properties` are DevCycle's")
    assert found[1].startswith("b.yaml:6:31: nested filter groups are DevCycle's")
