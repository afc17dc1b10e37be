"""Request validation: the vendor's schemas via jsonschema, reported the way NestJS reports.

DevCycle validates bodies with class-validator, whose messages are what a client shows its user
(`"key must match /^[a-z0-9-_.]+$/ regular expression"`). jsonschema finds the same violations
from the vendor's OpenAPI schemas; `_messages` rewrites each one in class-validator's words,
prefixed with the property path (`variations.0.name should not be empty`), as NestJS does for
nested objects.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import cache
from typing import Any

from jsonschema import Draft7Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from .errors import BadRequest
from .spec import request_schemas

FORMATS = FormatChecker(formats=())

TYPE_WORDS = {
    "string": "a string",
    "number": "a number conforming to the specified constraints",
    "integer": "an integer number",
    "boolean": "a boolean value",
    "array": "an array",
    "object": "an object",
    "null": "null",
}


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    """ISO 8601 date-time, as class-validator's IsDateString accepts it."""
    if not isinstance(value, str):
        return True
    datetime.fromisoformat(value)
    return True


@cache
def _validator(schema_name: str) -> Draft7Validator:
    root = {
        "$ref": f"#/components/schemas/{schema_name}",
        "components": {"schemas": request_schemas()},
    }
    return Draft7Validator(root, format_checker=FORMATS)


def validate_body(body: Any, schema_name: str) -> dict[str, Any]:
    """Check a request body against a vendor DTO; raise 400 with every violation found."""
    if not isinstance(body, dict):
        raise BadRequest(["request body must be a JSON object"])
    errors = sorted(_validator(schema_name).iter_errors(body), key=_error_order)
    messages = _unique(message for error in errors for message in _messages(error))
    if messages:
        raise BadRequest(messages)
    return body


def _error_order(error: ValidationError) -> tuple[str, ...]:
    return tuple(str(part) for part in error.absolute_path)


def _unique(messages: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(messages))


def _path(error: ValidationError, extra: str | None = None) -> str:
    parts = [str(part) for part in error.absolute_path]
    if extra is not None:
        parts.append(extra)
    return ".".join(parts)


def _messages(error: ValidationError) -> list[str]:
    """class-validator's message(s) for one jsonschema error."""
    kind = error.validator
    value: Any = error.validator_value
    schema: Any = error.schema
    instance: Any = error.instance
    path = _path(error)
    if kind == "required":
        missing = ast.literal_eval(error.message.split(" is a required property")[0])
        return [f"{_path(error, str(missing))} should not be empty"]
    if kind == "additionalProperties" and value is False:
        allowed = set(schema.get("properties", {}))
        prefix = f"{path}." if path else ""
        extras = [name for name in instance if name not in allowed]
        return [f"{prefix}property {name} should not exist" for name in extras]
    if kind == "type":
        return [f"{path} must be {_type_words(value)}"]
    if kind == "enum":
        listed = ", ".join(str(item) for item in value)
        return [f"{path} must be one of the following values: {listed}"]
    if kind == "pattern":
        return [f"{path} must match /{value}/ regular expression"]
    if kind == "maxLength":
        return [f"{path} must be shorter than or equal to {value} characters"]
    if kind == "minLength":
        if value == 1:
            return [f"{path} should not be empty"]
        return [f"{path} must be longer than or equal to {value} characters"]
    if kind == "minimum":
        return [f"{path} must not be less than {_number(value)}"]
    if kind == "maximum":
        return [f"{path} must not be greater than {_number(value)}"]
    if kind == "format":
        return [f"{path} must be a valid ISO 8601 date string"]
    if kind == "anyOf":
        return _any_of_messages(error)
    return [f"{path} {error.message}".strip()]


def _type_words(value: str | list[str]) -> str:
    if isinstance(value, str):
        return TYPE_WORDS.get(value, value)
    words = [TYPE_WORDS.get(item, item) for item in value]
    return ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else words[0]


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _any_of_messages(error: ValidationError) -> list[str]:
    """Report the alternative the caller evidently meant (a filter's `type`/`subType`)."""
    alternatives: Any = error.validator_value
    branches = [_resolve(branch) for branch in alternatives]
    instance: Any = error.instance
    chosen = _discriminate(branches, instance)
    path = _path(error)
    if isinstance(chosen, int):
        sub = [e for e in error.context or [] if e.relative_schema_path[0] == chosen]
        return _unique(m for e in sorted(sub, key=_error_order) for m in _messages(e))
    if chosen is not None:
        return [f"{path}.{chosen}" if path else chosen]
    described = ", ".join(_describe(branch) for branch in branches)
    return [f"{path} must be one of: {described}"]


def _resolve(schema: Mapping[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return dict(request_schemas()[ref.rsplit("/", 1)[1]])
    return dict(schema)


def _discriminate(branches: list[dict[str, Any]], instance: Any) -> int | str | None:
    """Index of the branch meant, or a message when the discriminator itself is wrong."""
    typed = [i for i, b in enumerate(branches) if _json_type_matches(b.get("type"), instance)]
    # A nested operator is told from a filter by its `operator` property.
    operators = [i for i in typed if "operator" in branches[i].get("properties", {})]
    if isinstance(instance, dict) and operators:
        if "operator" in instance:
            return operators[0]
        typed = [i for i in typed if i not in operators]
    if not isinstance(instance, dict) or not all("properties" in branches[i] for i in typed):
        return typed[0] if len(typed) == 1 else None
    by_type = [i for i in typed if _enum_allows(branches[i], "type", instance.get("type"))]
    if not by_type:
        values = _unique(v for i in typed for v in _enum_of(branches[i], "type"))
        return f"type must be one of the following values: {', '.join(values)}"
    with_sub = [i for i in by_type if "subType" in branches[i]["properties"]]
    if not with_sub:
        return by_type[0]
    by_sub = [i for i in with_sub if _enum_allows(branches[i], "subType", instance.get("subType"))]
    if len(by_sub) == 1:
        return by_sub[0]
    values = _unique(v for i in with_sub for v in _enum_of(branches[i], "subType"))
    return f"subType must be one of the following values: {', '.join(values)}"


def _json_type_matches(declared: Any, instance: Any) -> bool:
    if declared is None:
        return True
    kinds = declared if isinstance(declared, list) else [declared]
    checks = {
        "object": isinstance(instance, dict),
        "array": isinstance(instance, list),
        "string": isinstance(instance, str),
        "boolean": isinstance(instance, bool),
        "null": instance is None,
        "number": isinstance(instance, int | float) and not isinstance(instance, bool),
    }
    return any(checks.get(kind, False) for kind in kinds)


def _enum_of(branch: dict[str, Any], prop: str) -> list[str]:
    return [str(v) for v in branch["properties"].get(prop, {}).get("enum", [])]


def _enum_allows(branch: dict[str, Any], prop: str, value: Any) -> bool:
    allowed = branch["properties"].get(prop, {}).get("enum")
    return allowed is None or value in allowed


def _describe(branch: dict[str, Any]) -> str:
    declared = branch.get("type", "value")
    return _type_words(declared) if isinstance(declared, str | list) else "value"


def is_number(value: Any) -> bool:
    """A JSON number (bool is not a number, nor are NaN and infinities)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
