"""DevCycle's own OpenAPI document, and the overlay that makes it usable for validation.

The emulator validates request bodies against the vendor's component schemas rather than a
hand-written copy, so a field rule the vendor documents is enforced without anyone retyping it.
The document has known defects (reference §10); `request_schemas()` returns a corrected copy:

- `UserPlatformVersionFilter.subType` is `platformVersion`, not `appVersion`;
- targets accept an `optIn` filter (the vendor's CLI adds it by hand);
- an operator's filters may be operators themselves (nested `and` / `or` groups);
- a target's `rollout` may be `null` (the CLI sends `null` to clear it);
- `UserCustomFilter.values` is an array of string/number/boolean (the document says `object`);
- `VariableValidationEntity` is typed as the vendor's CLI types it (`schemaType` is a string);
- `CreateFeatureDto.configurations` is optional (the vendor's CLI creates features without it);
- every request object rejects unknown properties (NestJS `forbidNonWhitelisted`; inferred).

`response_schemas()` only fixes what makes the document reject the vendor's own responses
(`message` is a string or a list of strings; `OptInSettings.poweredByAlignment` is a string).
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

SPEC_FILE = "devcycle-management-openapi.json"

# Request bodies the emulator validates; everything reachable from them gets the strict overlay.
REQUEST_DTOS = (
    "CreateProjectDto",
    "UpdateProjectDto",
    "UpdateProtectedProjectSettingsDto",
    "CreateEnvironmentDto",
    "UpdateEnvironmentDto",
    "GenerateSdkTokensDto",
    "CreateFeatureDto",
    "UpdateFeatureDto",
    "UpdateFeatureStatusDto",
    "UpdateStaticConfigurationDto",
    "UpdateFeatureConfigDto",
    "FeatureVariationDto",
    "UpdateFeatureVariationDto",
    "CreateVariableDto",
    "UpdateVariableDto",
    "UpdateVariableStatusDto",
    "CreateAudienceDto",
    "UpdateAudienceDto",
    "CreateCustomPropertyDto",
    "UpdateCustomPropertyDto",
    "CreateMetricDto",
    "UpdateMetricDto",
    "CreateMetricAssociationDto",
    "CreateFeatureChangeRequestDto",
    "SubmitFeatureChangeRequestDto",
    "ReviewFeatureChangeRequestDto",
    "ApplyFeatureChangeRequestDto",
)

OPT_IN_FILTER: dict[str, Any] = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "default": "optIn", "enum": ["optIn"]},
        "values": {"type": "array", "items": {"type": "string"}},
        "_audiences": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["type"],
}


@cache
def openapi_document() -> dict[str, Any]:
    """The vendor's OpenAPI document exactly as shipped (read once)."""
    text = resources.files(__package__).joinpath("spec", SPEC_FILE).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def _raw_schemas() -> dict[str, Any]:
    return copy.deepcopy(openapi_document()["components"]["schemas"])


@cache
def request_schemas() -> dict[str, Any]:
    """Component schemas with the request-side overlay applied (see the module docstring)."""
    schemas = _raw_schemas()
    platform = schemas["UserPlatformVersionFilter"]["properties"]["subType"]
    platform.update({"enum": ["platformVersion"], "default": "platformVersion"})
    platform["example"] = "platformVersion"

    schemas["OptInFilter"] = copy.deepcopy(OPT_IN_FILTER)
    target_filters = schemas["AudienceOperatorWithAudienceMatchFilter"]["properties"]["filters"]
    target_filters["items"]["anyOf"].append({"$ref": "#/components/schemas/OptInFilter"})

    # Operators nest: the vendor's importer types a filter as `Filter | Operator` in project
    # audiences and targets alike (DevCycleHQ/feature-importer `types/DevCycle/audience.ts`),
    # and the vendor's bucketing evaluates nested operators; the document lists leaves only.
    for operator in ("AudienceOperator", "AudienceOperatorWithAudienceMatchFilter"):
        items = schemas[operator]["properties"]["filters"]["items"]["anyOf"]
        items.append({"$ref": f"#/components/schemas/{operator}"})

    rollout = schemas["UpdateTargetDto"]["properties"]["rollout"]
    schemas["UpdateTargetDto"]["properties"]["rollout"] = {
        "description": rollout.get("description", ""),
        "anyOf": [{"$ref": "#/components/schemas/Rollout"}, {"type": "null"}],
    }

    custom_values = schemas["UserCustomFilter"]["properties"]["values"]
    custom_values.pop("type", None)
    custom_values.update({"type": "array", "items": {"type": ["string", "number", "boolean"]}})

    validation = schemas["VariableValidationEntity"]["properties"]
    validation["schemaType"] = {"type": "string", "enum": ["enum", "regex", "jsonSchema"]}
    validation["enumValues"] = {"type": "array", "items": {"type": ["string", "number"]}}
    validation["exampleValue"] = {}

    # The document requires `configurations`; the vendor's CLI creates features without it.
    schemas["CreateFeatureDto"]["required"] = ["key", "name"]

    # Vendor behaviour unknown: that unknown properties are refused (NestJS's
    # forbidNonWhitelisted, "property foo should not exist"); the vendor's CLI strips
    # `defaultValue` from v2 variable bodies, which suggests they are.
    reachable = _reachable(schemas, REQUEST_DTOS)
    for name in reachable:
        _forbid_unknown_properties(schemas[name])
    return schemas


@cache
def response_schemas() -> dict[str, Any]:
    """Component schemas with only the fixes the vendor's own responses need."""
    schemas = _raw_schemas()
    message = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
    for name in (
        "BadRequestErrorResponse",
        "ConflictErrorResponse",
        "NotFoundErrorResponse",
        "CannotDeleteLastItemErrorResponse",
        "PreconditionFailedErrorResponse",
    ):
        schemas[name]["properties"]["message"] = copy.deepcopy(message)
    schemas["OptInSettings"]["properties"]["poweredByAlignment"] = {
        "type": "string",
        "enum": ["center", "left", "right", "hidden"],
    }
    return schemas


def _reachable(schemas: dict[str, Any], roots: tuple[str, ...]) -> set[str]:
    """Names of the component schemas a set of root schemas refers to, transitively."""
    seen: set[str] = set()
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        pending.extend(_refs(schemas[name]))
    return seen


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = []
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.append(ref.rsplit("/", 1)[1])
        for value in node.values():
            found.extend(_refs(value))
        return found
    if isinstance(node, list):
        return [name for item in node for name in _refs(item)]
    return []


def _forbid_unknown_properties(node: Any) -> None:
    """Close every object schema that lists its properties (class-validator's whitelist)."""
    if isinstance(node, dict):
        if node.get("properties") and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _forbid_unknown_properties(value)
    elif isinstance(node, list):
        for item in node:
            _forbid_unknown_properties(item)
