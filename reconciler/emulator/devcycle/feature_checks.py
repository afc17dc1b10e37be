"""Whole-feature checks: the rules a feature must satisfy after any write.

Every write that touches a feature (create, PATCH, a variation, a configuration, a variable's
type) builds the feature as it would be and runs `check_feature` on all of it, not only on the
part the request named: a PATCH that removes a variation still served in an environment it does
not mention is refused, and then nothing changes.
"""

from __future__ import annotations

from typing import Any

from .errors import BadRequest, PreconditionFailed
from .store import DevCycleStore, Doc
from .targeting import config_problems
from .validation import is_number

VALUE_RULES = {
    "Boolean": (lambda v: isinstance(v, bool), "a boolean value"),
    "Number": (is_number, "a number"),
    "String": (lambda v: isinstance(v, str), "a string"),
    "JSON": (lambda v: isinstance(v, dict), "a JSON object"),
}


def check_feature(
    store: DevCycleStore, feature: Doc, variables: list[Doc], environments: list[Doc]
) -> None:
    """Raise 412 or 400 if the feature, as it would be stored, breaks a rule."""
    by_key = {variable["key"]: variable for variable in variables}
    for variation in feature["variations"]:
        for key in variation.get("variables", {}):
            if key not in by_key:
                # The vendor's 412 example message, with the names added.
                raise PreconditionFailed(
                    f"Variable '{key}' does not belong to Feature '{feature['key']}'"
                )
    # Vendor behaviour unknown: whether every variation must give a value for every variable;
    # not required here (a variable added with POST /variables has no values yet).
    problems = _value_problems(feature, by_key)
    keys = [variation["key"] for variation in feature["variations"]]
    control = feature.get("controlVariation")
    if control and control not in keys:
        problems.append(
            f"controlVariation '{control}' is not the key of a variation of this feature"
        )
    static = feature.get("staticVariation")
    if feature["status"] == "complete" and static not in keys:
        # A completed feature serves its static variation; it must stay one of its variations.
        problems.append(f"staticVariation '{static}' is not the key of a variation of this feature")
    env_keys = {env["_id"]: env["key"] for env in environments}
    for env_id, config in feature["configurations"].items():
        if env_id in env_keys:
            path = f"configurations.{env_keys[env_id]}"
            problems += config_problems(config, feature["variations"], path, env_keys[env_id])
    if problems:
        raise BadRequest(problems)


def _value_problems(feature: Doc, by_key: dict[str, Doc]) -> list[str]:
    problems = []
    for index, variation in enumerate(feature["variations"]):
        values: dict[str, Any] = variation.get("variables", {})
        for key, value in values.items():
            kind = by_key[key]["type"]
            accepts, words = VALUE_RULES[kind]
            if not accepts(value):
                problems.append(
                    f"variations.{index}.variables.{key} must be {words} "
                    f"(variable '{key}' is of type {kind})"
                )
    return problems
