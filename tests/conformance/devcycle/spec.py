"""DevCycle's OpenAPI document, read directly (never through the emulator's code): the statuses
each operation declares and the component schemas answers must satisfy."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator

SPEC = (
    Path(__file__).resolve().parents[3]
    / "reconciler/emulator/devcycle/spec/devcycle-management-openapi.json"
)


@cache
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SPEC.read_text())
    return loaded


def declared(method: str, path: str) -> set[int]:
    """The statuses the document declares for one operation (`path` as the document writes it)."""
    responses = document()["paths"][path][method.lower()]["responses"]
    return {int(status) for status in responses}


@cache
def components() -> dict[str, Any]:
    """The component schemas, with two documented fixes: the document types
    `OptInSettings.poweredByAlignment` as an object although the vendor's own request schema
    (`OptInSettingsDTO`) makes it a string enum, and `UserCustomFilter.values` as an object
    although it is an array (the vendor's CLI types it so)."""
    schemas = copy.deepcopy(document()["components"]["schemas"])
    schemas["OptInSettings"]["properties"]["poweredByAlignment"] = {
        "type": "string",
        "enum": ["center", "left", "right", "hidden"],
    }
    schemas["UserCustomFilter"]["properties"]["values"] = {
        "type": "array",
        "items": {"type": ["string", "number", "boolean"]},
    }
    return schemas


def assert_valid(instance: Any, schema_name: str) -> None:
    schema = {
        "$ref": f"#/components/schemas/{schema_name}",
        "components": {"schemas": components()},
    }
    errors = [
        f"{list(e.absolute_path)}: {e.message}"
        for e in Draft7Validator(schema).iter_errors(instance)
    ]
    assert errors == [], f"{schema_name}: {errors}"


def assert_declared(method: str, path: str, status: int) -> None:
    """The emulator answered a status the document declares for this operation."""
    allowed = declared(method, path)
    assert status in allowed, f"{method} {path}: {status} not among {sorted(allowed)}"
