"""`flagsync fmt`: one canonical layout for manifests, comments kept.

A manifest is read with ruamel.yaml's round-trip loader (which keeps comments and the author's
choice of flow `{...}` or block style) and written back with:

- known fields in one order (a flag's key, name, description, owner ... before its targeting;
  a target's name, audience, serve, rollout), whatever order they were written in; fields the
  layout does not know keep their order, after the known ones;
- two spaces per level, list items indented under their key (`  - key: ...`);
- quotes only where YAML needs them, and then double quotes.

Lists are never reordered (target order is evaluation order), nor are maps keyed by the user
(variables, environments, values). Formatting never changes meaning: `tests/test_format.py`
holds, with hypothesis, that a formatted manifest reads as the same data and builds the same
flags, and that formatting twice changes nothing.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from functools import cache
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.emitter import Emitter
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarfloat import ScalarFloat

from reconciler.manifest import fast_yaml
from reconciler.manifest.emit import _Representer as ManifestRepresenter
from reconciler.manifest.provider_rules import settings_sections

TOP = ("flags", "experiments", "holdouts", "custom_properties", "audiences", "metrics")
FLAG_HEAD = (
    "key",
    "name",
    "description",
    "owner",
    "expires",
    "permanent",
    "type",
    "control",
    "metrics",
    "tags",
    "variables",
    "variations",
    "payload",
)
FLAG_TAIL = ("status", "static_variation", "environments")
"""A flag's fields; between the two, each vendor's settings field (`flag_order`)."""
VARIABLE = ("type", "name", "description")
VARIATION = ("key", "name", "values", "payload")
ENVIRONMENT = ("enabled", "targets")
TARGET = ("name", "audience", "serve", "percentage", "rollout")
ROLLOUT = ("type", "start", "start_percentage", "stages")
STAGE = ("percentage", "at")
EXPERIMENT = (
    "key",
    "name",
    "description",
    "variants",
    "metrics",
    "secondary_metrics",
    "holdout",
    "status",
    "environments",
)
HOLDOUT = ("name", "description", "percentage", "environments")
CUSTOM_PROPERTY = ("key", "name", "property_key", "type")
AUDIENCE = ("key", "name", "description", "filters")
METRIC = ("key", "name", "description", "event", "dimension", "optimize")
SECTION_ITEMS = {
    "experiments": EXPERIMENT,
    "holdouts": HOLDOUT,
    "custom_properties": CUSTOM_PROPERTY,
    "audiences": AUDIENCE,
    "metrics": METRIC,
}


class FormatError(ValueError):
    """The text is not YAML that can be formatted; `line` and `column` are 1-based."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.line, self.column = line, column


_YAML_1_1 = yaml.resolver.Resolver()
_INDICATORS = set("?:-,[]{}#&*!|>'\"%@`")
"""A string starting with one is quoted: ruamel writes `?0` plain in flow style, which libyaml
(flagsync's reader) refuses."""


class _Representer(ManifestRepresenter):
    """A string that a YAML 1.1 reader (PyYAML, many CI tools) would take for something else
    (`on`, `no`, `1e3`, `2026-01-01`) is quoted, though flagsync reads YAML 1.2: the file means
    the same to every tool that reads it."""

    def represent_str(self, data: str) -> Any:
        if (
            data[:1] in _INDICATORS
            or _YAML_1_1.resolve(yaml.ScalarNode, data, (True, False)) != "tag:yaml.org,2002:str"
        ):
            return self.represent_scalar("tag:yaml.org,2002:str", data, style='"')
        return super().represent_str(data)

    def represent_float(self, data: Any) -> Any:
        return self._exact(data, super().represent_float(data))

    def represent_scalar_float(self, data: Any) -> Any:
        return self._exact(data, super().represent_scalar_float(data))

    def _exact(self, data: Any, node: Any) -> Any:
        """ruamel rewrites some floats a digit off (6.044158135402931e-201 as ...930e-201);
        such a float is written as Python's shortest exact form instead."""
        value = float(data)
        if not math.isfinite(value):
            return node
        try:
            if float(node.value) == value:
                return node
        except (TypeError, ValueError):
            pass
        return self.represent_scalar("tag:yaml.org,2002:float", repr(value))


_Representer.add_representer(str, _Representer.represent_str)
_Representer.add_representer(float, _Representer.represent_float)
_Representer.add_representer(ScalarFloat, _Representer.represent_scalar_float)


class _Emitter(Emitter):
    """Double quotes wherever a string needs quotes (ruamel would choose single quotes)."""

    def choose_scalar_style(self) -> Any:
        style = super().choose_scalar_style()
        return '"' if style == "'" else style


def _yaml() -> YAML:
    writer = YAML(typ="rt")
    writer.Representer = _Representer
    writer.Emitter = _Emitter
    writer.indent(mapping=2, sequence=4, offset=2)
    writer.width = 4096  # never fold a long line: where to break is the author's choice
    writer.brace_single_entry_mapping_in_flow_sequence = True  # [{a: 1}], not [a: 1]
    return writer


def _order(node: Any, order: tuple[str, ...]) -> None:
    """Put `node`'s known keys in `order`, the others after them in their own order. Moving
    keys keeps the comments ruamel attached to them."""
    if not isinstance(node, CommentedMap):
        return
    known = [key for key in order if key in node]
    for key in known + [key for key in list(node) if key not in order]:
        node.move_to_end(key)


def _items(node: Any) -> list[Any]:
    return list(node) if isinstance(node, CommentedSeq) else []


def _values(node: Any) -> list[Any]:
    return list(node.values()) if isinstance(node, Mapping) else []


@cache
def flag_order() -> tuple[str, ...]:
    """A flag's fields in order, with the settings fields the vendors' manifest rules declare
    (read once, when the first flag is formatted)."""
    return (*FLAG_HEAD, *settings_sections(), *FLAG_TAIL)


def _flag(flag: Any) -> None:
    _order(flag, flag_order())
    if not isinstance(flag, CommentedMap):
        return
    for spec in _values(flag.get("variables")):
        _order(spec, VARIABLE)
    for variation in _items(flag.get("variations")):
        _order(variation, VARIATION)
    for environment in _values(flag.get("environments")):
        _order(environment, ENVIRONMENT)
        if not isinstance(environment, CommentedMap):
            continue
        for target in _items(environment.get("targets")):
            _order(target, TARGET)
            if isinstance(target, CommentedMap) and isinstance(target.get("rollout"), Mapping):
                _order(target["rollout"], ROLLOUT)
                for stage in _items(target["rollout"].get("stages")):
                    _order(stage, STAGE)


def _canonical(document: Any) -> None:
    _order(document, TOP)
    if not isinstance(document, CommentedMap):
        return
    for flag in _items(document.get("flags")):
        _flag(flag)
    for section, order in SECTION_ITEMS.items():
        for item in _items(document.get(section)):
            _order(item, order)


def format_text(text: str) -> str:
    """`text` in the canonical layout; raises `FormatError` when it is not YAML."""
    reader = _yaml()
    try:
        document = reader.load(text)
    except YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = getattr(error, "problem", None) or str(error)
        raise FormatError(f"invalid YAML: {what}", line, column) from None
    if document is None:
        return text
    _canonical(document)
    stream = io.StringIO()
    reader.dump(document, stream)
    formatted = stream.getvalue()
    _same_meaning(text, formatted)
    return formatted


def _same_meaning(text: str, formatted: str) -> None:
    """The formatted text must read as the same data as the original with flagsync's own
    reader: a file is never rewritten into something that means else (or does not read)."""
    try:
        before = fast_yaml.load_plain(text)
    except Exception:  # noqa: BLE001 - the reader refuses the original too: nothing to compare
        return
    try:
        after = fast_yaml.load_plain(formatted)
    except Exception:  # noqa: BLE001
        after = _UNREADABLE
    if after != before:
        raise FormatError("cannot be formatted without changing what it means; left as it is")


_UNREADABLE = object()
