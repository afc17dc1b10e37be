"""The DevCycle translation laws, with hypothesis.

Round trip: a flag written as a create body and read back the way DevCycle returns it (ids
instead of keys, fractions, server-added fields, lists in another order) is the same flag, so a
plan right after an apply is empty. The same law against the real emulator server lives in
tests/e2e.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.model import Flag
from reconciler.plan import diff_flag
from reconciler.providers.devcycle.feature_status import status_body
from reconciler.providers.devcycle.translate import (
    Unsupported,
    feature_to_flag,
    flag_to_create_body,
)
from tests.strategies import ENVIRONMENTS, flags

ENV_IDS = {env: f"{index:024x}" for index, env in enumerate(ENVIRONMENTS, start=1)}
_ids = itertools.count(1000)


def _new_id() -> str:
    return f"{next(_ids):024x}"


def as_server_returns(body: dict[str, Any], reverse: bool) -> dict[str, Any]:
    """What DevCycle answers for a created feature: `_id`s everywhere, distributions and
    configurations by id, server-owned fields added, arrays possibly in another order."""
    body = copy.deepcopy(body)
    variation_ids = {v["key"]: _new_id() for v in body["variations"]}
    variations = [{**v, "_id": variation_ids[v["key"]]} for v in body["variations"]]
    variables = [
        {
            **v,
            "_id": _new_id(),
            "_project": "p",
            "_feature": "f",
            "status": "active",
            "source": "api",
            "createdAt": "2026-11-24T10:00:00.000Z",
            "updatedAt": "2026-11-24T10:00:00.000Z",
            "persistent": False,
            "tags": [],
        }
        for v in body["variables"]
    ]
    configurations = []
    for env, config in body["configurations"].items():
        targets = []
        for target in config["targets"]:
            target = {**target, "_id": _new_id()}
            target["distribution"] = [
                {**share, "_variation": variation_ids[share["_variation"]]}
                for share in target["distribution"]
            ]
            targets.append(target)
        configurations.append(
            {
                "_feature": "f",
                "_environment": ENV_IDS[env],
                "status": config["status"],
                "targets": targets,
                "updatedAt": "2026-11-24T10:00:00.000Z",
                "readonly": False,
                "hasStaticConfig": False,
            }
        )
    if reverse:
        variations.reverse()
        variables.reverse()
        configurations.reverse()
        body["tags"] = list(reversed(body["tags"]))
    return {
        **body,
        "_id": _new_id(),
        "_project": "p",
        "source": "api",
        "status": "active",
        "_createdBy": "u",
        "createdAt": "2026-11-24T10:00:00.000Z",
        "updatedAt": "2026-11-24T10:00:00.000Z",
        "readonly": False,
        "controlVariation": body.get("controlVariation", body["variations"][0]["key"]),
        "settings": {"publicName": body["name"], "publicDescription": "", "optInEnabled": False},
        "sdkVisibility": {"mobile": True, "client": True, "server": True},
        "summary": {"maintainers": [], "links": [], "markdown": ""},
        "variations": variations,
        "variables": variables,
        "configurations": configurations,
    }


def read_back(flag: Flag, reverse: bool = False) -> Flag:
    feature = as_server_returns(flag_to_create_body(flag, {}), reverse)
    feature.update(status_body(flag))  # the status PATCH that follows the create
    environment_keys = {env_id: env for env, env_id in ENV_IDS.items()}
    return feature_to_flag(feature, environment_keys, {}, ENVIRONMENTS)


@settings(max_examples=150, deadline=None)
@given(flags(lifecycle=True), st.booleans())
def test_round_trip_is_identity(flag: Flag, reverse: bool) -> None:
    assert read_back(flag, reverse) == flag


@settings(max_examples=100, deadline=None)
@given(flags(), st.booleans())
def test_no_phantom_diff_from_server_shape(flag: Flag, reverse: bool) -> None:
    assert diff_flag(flag, read_back(flag, reverse)) == []


def test_distribution_is_sent_as_fractions_by_variation_key() -> None:
    flag = Flag.model_validate(
        {
            "key": "split",
            "name": "Split",
            "variations": {"a": {"name": "A"}, "b": {"name": "B"}},
            "environments": {
                "production": {
                    "enabled": True,
                    "targets": [{"serve": {"a": 90, "b": 10}}],
                }
            },
        }
    )
    body = flag_to_create_body(flag, {})
    target = body["configurations"]["production"]["targets"][0]
    assert target["distribution"] == [
        {"_variation": "a", "percentage": 0.9},
        {"_variation": "b", "percentage": 0.1},
    ]
    assert target["audience"] == {"filters": {"operator": "and", "filters": [{"type": "all"}]}}
    assert body["configurations"]["production"]["status"] == "active"


def test_everyone_and_filter_is_read_as_the_filter() -> None:
    """DevCycle's dashboard can store `all users AND email ...`: that is just `email ...`."""
    from reconciler.providers.devcycle.translate import _audience_to_model

    audience = _audience_to_model(
        {
            "filters": {
                "operator": "and",
                "filters": [
                    {"type": "all"},
                    {
                        "type": "user",
                        "subType": "email",
                        "comparator": "endWith",
                        "values": ["@a.com"],
                    },
                ],
            }
        },
        {},
        "here",
    )
    assert audience.match == "all"
    assert [(f.field, f.comparator, f.values) for f in audience.filters] == [
        ("email", "ends_with", ("@a.com",))
    ]


def test_a_live_feature_the_model_cannot_hold_is_named_not_a_traceback() -> None:
    """A value the vendor may add later (a new variable type, say) stops the read with the
    feature and the field, instead of a validation traceback or a guess."""
    feature = {
        "_id": "f1",
        "key": "checkout",
        "name": "Checkout",
        "type": "release",
        "variables": [{"_id": "v1", "key": "checkout-on", "type": "Date"}],
        "variations": [],
        "configurations": [],
    }
    with pytest.raises(Unsupported) as raised:
        feature_to_flag(feature, {}, {}, list(ENVIRONMENTS))
    message = str(raised.value)
    assert message.startswith("feature 'checkout': DevCycle's answer does not fit")
    assert "variables.checkout-on.type" in message
