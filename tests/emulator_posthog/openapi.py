"""PostHog's OpenAPI document as JSON Schema validators, for contract checks.

The document (shared/vendor/posthog/openapi.yaml, OpenAPI 3.0.3) is converted once per session:
`nullable` becomes a `null` type (or an `anyOf` with null around a `$ref`), and `required` is
split by direction (readOnly properties are not required in requests, writeOnly ones not in
responses). `$ref`s resolve inside the converted document.

Where the server demonstrably sends something its own schema does not allow, the schema is
patched, never the emulator; each patch names the server code that shows the real shape.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import jsonschema

_SPEC_RELATIVE = Path("shared") / "vendor" / "posthog" / "openapi.yaml"


def _find_spec() -> Path:
    """The document in the nearest `shared/` above this checkout (a main checkout and a git
    worktree sit at different depths); `FLAGSYNC_POSTHOG_OPENAPI` names it explicitly."""
    explicit = os.environ.get("FLAGSYNC_POSTHOG_OPENAPI")
    if explicit:
        return Path(explicit)
    here = Path(__file__).resolve()
    for folder in here.parents:
        candidate = folder / _SPEC_RELATIVE
        if candidate.exists():
            return candidate
    return here.parents[3] / _SPEC_RELATIVE


SPEC_PATH = _find_spec()

# drf-spectacular typing artifacts, checked against PostHog's serializers:
KNOWN_SPEC_DEVIATIONS: dict[tuple[str, str], dict[str, Any]] = {
    # `get_experiment_set` returns a list of experiment ids; the method has no type hint, so the
    # schema says string.
    ("FeatureFlag", "experiment_set"): {"type": "array", "items": {"type": "integer"}},
    # `get_surveys`/`get_features` are annotated `-> dict` but return `many=True` serializer data.
    ("FeatureFlag", "surveys"): {"type": "array"},
    ("FeatureFlag", "features"): {"type": "array"},
    # The model FK is nullable (`_should_create_usage_dashboard: false` leaves it empty).
    ("FeatureFlag", "usage_dashboard"): {"type": ["integer", "null"]},
    # `ExperimentHoldoutSerializer(read_only=True)` on a nullable FK renders null without one.
    ("Experiment", "holdout"): {
        "anyOf": [{"$ref": "#/components/schemas/ExperimentHoldout"}, {"type": "null"}]
    },
}


def load_document(cache: Any | None = None) -> dict[str, Any]:
    """The parsed YAML (2 MB), cached by hash. Read with libyaml (PyYAML's `CSafeLoader`, 1.7 s
    of CPU) where it is built, else pure-Python ruamel (7 s); both give the same document today
    (measured on the 2,040,802-byte document in shared/vendor/posthog)."""
    raw = SPEC_PATH.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    key = f"flagsync/posthog-openapi/{digest}"
    if cache is not None:
        cached = cache.get(key, None)
        if cached is not None:
            return dict(cached)
    import yaml

    if getattr(yaml, "CSafeLoader", None) is not None:
        document = yaml.load(raw, Loader=yaml.CSafeLoader)
    else:
        from ruamel.yaml import YAML

        document = YAML(typ="safe", pure=True).load(raw)
    document = json.loads(json.dumps(document, default=str))
    if cache is not None:
        cache.set(key, document)
    return dict(document)


def _convert(schema: Any, direction: str) -> Any:
    """One OpenAPI schema object as JSON Schema (draft 4) for `direction` request|response."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("nullable", "readOnly", "writeOnly", "example", "discriminator", "xml"):
            continue
        if key == "properties":
            out[key] = {name: _convert(sub, direction) for name, sub in value.items()}
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = [_convert(sub, direction) for sub in value]
        elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
            out[key] = _convert(value, direction)
        else:
            out[key] = value
    if "required" in out:
        skip = "readOnly" if direction == "request" else "writeOnly"
        properties = schema.get("properties", {})
        out["required"] = [n for n in out["required"] if not properties.get(n, {}).get(skip)]
        if not out["required"]:
            del out["required"]
    if schema.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


class Contract:
    """Request and response validators for the document's component schemas."""

    def __init__(self, document: dict[str, Any], *, patched: bool = True) -> None:
        schemas = document["components"]["schemas"]
        self._roots = {
            direction: {
                "components": {
                    "schemas": {name: _convert(s, direction) for name, s in schemas.items()}
                }
            }
            for direction in ("request", "response")
        }
        for (name, prop), replacement in KNOWN_SPEC_DEVIATIONS.items() if patched else ():
            self._roots["response"]["components"]["schemas"][name]["properties"][prop] = replacement
        self._validators: dict[tuple[str, str], jsonschema.Draft4Validator] = {}

    def validator(self, direction: str, name: str) -> jsonschema.Draft4Validator:
        """A cached validator for `#/components/schemas/<name>`."""
        key = (direction, name)
        if key not in self._validators:
            schema = {"$ref": f"#/components/schemas/{name}", **self._roots[direction]}
            self._validators[key] = jsonschema.Draft4Validator(schema)
        return self._validators[key]

    def errors(self, direction: str, name: str, instance: Any) -> list[str]:
        """Every violation of the schema, as readable strings (empty when valid)."""
        return [
            f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
            for error in self.validator(direction, name).iter_errors(instance)
        ]

    def failing_fields(self, direction: str, name: str, instance: Any) -> set[str]:
        """The top-level fields of `instance` that violate the schema."""
        return {
            str(error.absolute_path[0])
            for error in self.validator(direction, name).iter_errors(instance)
            if error.absolute_path
        }
