"""JSON Schema validation of manifests and workspaces, with messages for people.

The schemas in `schemas/` are the contract editors use too (yaml-language-server). jsonschema's
own messages quote whole Python objects; here each error is rewritten to name the field, say what
is expected, and suggest the closest valid name for a typo.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from reconciler.errors import Problem
from reconciler.manifest.bounds import MAX_PROBLEMS_PER_FILE
from reconciler.manifest.source import Document
from reconciler.manifest.suggest import did_you_mean

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

KEY_RULE = "use only lower-case letters, digits, '-', '_' and '.'"
_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "null": "empty",
}


@cache
def schema(name: str) -> dict[str, Any]:
    """A schema shipped with flagsync: `manifest` or `workspace`."""
    text = resources.files("reconciler").joinpath("schemas", f"{name}.schema.json").read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _validator(name: str) -> Draft202012Validator:
    """The Python validator, imported when first needed: with jsonschema-rs installed, only to
    word the errors of an invalid document."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema(name))


@cache
def _fast_validator(name: str) -> Any:
    """jsonschema-rs, when installed: it answers "valid?" about 100x faster than the pure
    Python validator, which then only runs to word the errors of an invalid document."""
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - a platform without the compiled wheel
        return None
    return jsonschema_rs.validator_for(schema(name))


def check(document: Document, schema_name: str) -> list[Problem]:
    """Every schema violation in `document`, located and worded for a person."""
    return [problem for _, problem in located_errors(document, schema_name)]


def located_errors(document: Document, schema_name: str) -> list[tuple[list[Any], Problem]]:
    """Every schema violation with the data path it concerns, so callers can tell which parts
    of a document are still sound enough for further checks."""
    fast = _fast_validator(schema_name)
    if fast is not None and fast.is_valid(document.data):
        return []  # the common case, answered by the compiled validator
    data, indices = document.data, None
    if fast is not None:
        data, indices = _failing_items(fast, document.data)
    found: list[tuple[list[Any], Problem]] = []
    for error in _validator(schema_name).iter_errors(data):
        if indices is not None and len(error.path) >= 2 and error.path[0] in indices:
            error.path[1] = indices[error.path[0]][error.path[1]]  # the item's place in the file
        if len(found) >= MAX_PROBLEMS_PER_FILE:
            # A generated file can hold millions of broken entries: list the first ones, and
            # check nothing further in it (an empty path marks the whole file unsound).
            message = f"more problems in this file are not listed (the first {len(found)} are)"
            found.append(([], Problem(document.name, 1, 1, message)))
            break
        path = list(error.absolute_path)
        found.extend((path, problem) for problem in _explain(document, error))
    return found


def _failing_items(fast: Any, data: Any) -> tuple[Any, dict[str, list[int]] | None]:
    """The document cut down to the list items the compiled validator finds wrong, with each
    kept item's index in the file: the Python validator, which words the errors, then reads a
    few items instead of thousands (one typo in a 1 MB file cost ten seconds). A problem
    outside a section's items (a wrong section, a misspelt top-level key) keeps everything."""
    failing: dict[str, set[int]] = {}
    for error in fast.iter_errors(data):
        path = list(error.instance_path)
        if len(path) < 2 or not isinstance(path[1], int) or not isinstance(path[0], str):
            return data, None
        failing.setdefault(path[0], set()).add(path[1])
        if sum(map(len, failing.values())) > MAX_PROBLEMS_PER_FILE:
            break
    indices = {section: sorted(items) for section, items in failing.items()}
    reduced = dict(data)
    for section, kept in indices.items():
        reduced[section] = [data[section][index] for index in kept]
    return reduced, indices


def _explain(document: Document, error: ValidationError) -> Iterator[Problem]:
    path = list(error.absolute_path)
    field = _field_name(path)
    validator: Any = error.validator
    value: Any = error.instance
    error_schema: Any = error.schema
    if validator == "additionalProperties" and isinstance(value, dict):
        allowed = sorted(error_schema.get("properties", {}))
        for unknown in sorted(set(value) - set(allowed)):
            yield document.problem(path + [unknown], _unknown_field(unknown, allowed), at_key=True)
        return
    if validator == "propertyNames":
        # The offending name is the value jsonschema checked against the name schema.
        bad = _first_bad_name(error)
        message = f"'{bad}' is not a valid key: {KEY_RULE}, at most 100 characters"
        yield document.problem(path + [bad] if bad is not None else path, message, at_key=True)
        return
    if validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "a field"
        where = f" in {field}" if field else ""
        yield document.problem(path, f"missing required field '{missing}'{where}")
        return
    yield document.problem(path, f"{field or 'document'}: {_describe(error)}")


def _describe(error: ValidationError) -> str:
    # jsonschema's typing marks these as possibly unset; for a reported error they are set.
    validator: Any = error.validator
    expected: Any = error.validator_value
    value: Any = error.instance
    if validator == "type":
        kinds = expected if isinstance(expected, list) else [expected]
        wanted = " or ".join(_TYPE_NAMES.get(str(kind), str(kind)) for kind in kinds)
        return f"expected {wanted}, got {_show(value)}"
    if validator == "enum":
        options = ", ".join(str(option) for option in expected)
        hint = did_you_mean(str(value), [str(option) for option in expected])
        return f"{_show(value)} is not one of: {options}{hint}"
    if validator == "pattern":
        if expected == "^everyone$":
            return (
                f"{_show(value)} is not valid: write `everyone`, or a mapping with `all` or `any`"
            )
        if str(expected).startswith("^https?://"):
            return f"{_show(value)} is not a URL (expected https://host or http://host)"
        return f"{_show(value)} is not a valid key: {KEY_RULE}"
    if validator == "maxLength":
        return f"is {len(value)} characters long, the limit is {expected}"
    if validator == "minLength":
        return "must not be empty"
    if validator == "minimum":
        return f"{_show(value)} is below the minimum {expected}"
    if validator == "maximum":
        return f"{_show(value)} is above the maximum {expected}"
    if validator == "minItems":
        if isinstance(expected, int) and expected > 1:
            return f"needs at least {expected} items, got {len(value)}"
        return "must not be an empty list"
    if validator == "maxItems":
        return f"takes at most {expected} items, got {len(value)}"
    if validator == "maxProperties":
        names = ", ".join(sorted(value)) if isinstance(value, dict) else ""
        return f"takes exactly one condition, got {len(value)} ({names})"
    if validator == "minProperties":
        return "must not be empty"
    return error.message


def _field_name(path: list[Any]) -> str:
    """A readable field path: flags[0].environments.production.targets[1].serve."""
    text = ""
    for item in path:
        text += f"[{item}]" if isinstance(item, int) else (f".{item}" if text else str(item))
    return text


def _unknown_field(unknown: str, allowed: list[str]) -> str:
    message = f"unknown field '{unknown}'"
    hint = did_you_mean(unknown, allowed)
    if not hint and allowed:
        message += f" (valid fields: {', '.join(allowed)})"
    return message + hint


def _first_bad_name(error: ValidationError) -> str | None:
    for sub in error.context or []:
        if isinstance(sub.instance, str):
            return sub.instance
    return error.instance if isinstance(error.instance, str) else None


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return str(value)
