"""A fast YAML 1.2 reader for the common case: libyaml through PyYAML, with YAML 1.2's core
schema instead of PyYAML's YAML 1.1 rules, and duplicate keys refused.

ruamel.yaml (which flagsync uses for positions and round trips) reads YAML 1.2: `on`, `yes`
and `no` are strings, `010` is ten, `1:20` is a string. PyYAML's resolvers follow YAML 1.1, so
its loader is given the 1.2 core schema here; both readers then give the same values, and any
document this reader refuses goes to ruamel.yaml, whose verdict and messages are final.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Yaml12Loader(_Base):
    """libyaml's parser with the YAML 1.2 core schema."""


Yaml12Loader.yaml_implicit_resolvers = {}


def _resolve(tag: str, pattern: str, first: str) -> None:
    Yaml12Loader.add_implicit_resolver(tag, re.compile(pattern, re.X), list(first))


_resolve("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF")
# Numbers exactly as ruamel.yaml's YAML 1.2 resolver reads them (it also takes `1_000`, `0b101`).
_resolve(
    "tag:yaml.org,2002:int",
    r"""^(?:[-+]?0b[0-1_]+
        |[-+]?0o?[0-7_]+
        |[-+]?[0-9_]+
        |[-+]?0x[0-9a-fA-F_]+)$""",
    "-+0123456789",
)
_resolve(
    "tag:yaml.org,2002:float",
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
    "-+0123456789.",
)
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_resolve(
    "tag:yaml.org,2002:timestamp",
    r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?
        (?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?
        (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?
        |[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9])$""",
    "0123456789",
)
_resolve("tag:yaml.org,2002:merge", r"^(?:<<)$", "<")


def _construct_int(loader: Any, node: Any) -> int:
    """As ruamel.yaml reads a YAML 1.2 integer: underscores dropped, a sign, then 0b / 0o / 0x
    or decimal (a leading zero is not octal)."""
    text = loader.construct_scalar(node).replace("_", "")
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-")
    for prefix, base in (("0b", 2), ("0o", 8), ("0x", 16)):
        if text.startswith(prefix):
            return sign * int(text[2:], base)
    return sign * int(text, 10)


def _duplicate_key(key: Any, node: Any) -> yaml.YAMLError:
    """YAML 1.2 forbids a key twice in a mapping; PyYAML would keep the last value silently."""
    return yaml.constructor.ConstructorError(
        None, None, f"found duplicate key {key!r}", node.start_mark
    )


def _construct_mapping(loader: Any, node: Any, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise _duplicate_key(key, key_node)
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
Yaml12Loader.construct_mapping = _construct_mapping


STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_NULL_TAG = "tag:yaml.org,2002:null"
_WORDS = {
    **dict.fromkeys(("true", "True", "TRUE", "false", "False", "FALSE"), _BOOL_TAG),
    **dict.fromkeys(("null", "Null", "NULL"), _NULL_TAG),
}
"""The only plain scalars starting with a letter that are not strings (see the resolvers)."""


def _resolve_fast(self: Any, kind: Any, value: str, implicit: tuple[bool, bool]) -> str:
    """libyaml asks this for every node's tag (about a million calls for 10,000 flags). Most
    scalars are words: a plain scalar starting with an ASCII letter is a string unless it is
    one of the bool and null words, since every number, date and `.inf` pattern starts with
    something else. The rest go through the resolvers above. (No path resolvers are set.)"""
    if kind is ScalarNode:
        if not implicit[0]:
            return STR_TAG  # quoted: always a string
        if value[:1].isascii() and value[:1].isalpha():
            return _WORDS.get(value, STR_TAG)
        return str(yaml.resolver.BaseResolver.resolve(self, kind, value, implicit))
    return _SEQ_TAG if kind is SequenceNode else _MAP_TAG


Yaml12Loader.resolve = _resolve_fast


class _Unusual(Exception):
    """The document uses something the lean reader leaves to PyYAML (merge keys, other tags)."""


def _plain(loader: Any, node: Any) -> Any:
    """Plain data of a composed node, as `source.to_plain(load(text))` would give it: dicts with
    string keys, lists, scalars, timestamps as ISO strings. PyYAML's generic constructor
    (generators, deep construction, per-node bookkeeping) takes twice as long for the same."""
    kind = type(node)
    tag = node.tag
    if kind is ScalarNode:
        if tag == STR_TAG:
            return node.value
        return _scalar_plain(loader, node)
    if kind is SequenceNode and tag == _SEQ_TAG:
        return [_plain(loader, item) for item in node.value]
    if kind is MappingNode and tag == _MAP_TAG:
        result: dict[str, Any] = {}
        raw_keys: set[Any] = set()
        for key_node, value_node in node.value:
            if type(key_node) is not ScalarNode or key_node.tag == "tag:yaml.org,2002:merge":
                raise _Unusual
            raw = key_node.value if key_node.tag == STR_TAG else _scalar(loader, key_node)
            if raw in raw_keys:
                raise _duplicate_key(raw, key_node)
            raw_keys.add(raw)
            result[str(raw)] = _plain(loader, value_node)
        return result
    raise _Unusual


def _scalar(loader: Any, node: Any) -> Any:
    """A non-string scalar's Python value, as the loader's own constructor makes it."""
    tag = node.tag
    if tag == _BOOL_TAG:
        return node.value.lower() == "true"
    if tag == _NULL_TAG:
        return None
    constructor = loader.yaml_constructors.get(tag)
    if constructor is None or tag in (_SEQ_TAG, _MAP_TAG):
        raise _Unusual
    return constructor(loader, node)


def _scalar_plain(loader: Any, node: Any) -> Any:
    value = _scalar(loader, node)
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        raise _Unusual
    return value


def load_plain(text: str) -> Any:
    """The document's plain JSON-like data, read the quick way; the same values as
    `source.to_plain(load(text))`, which it falls back to for merge keys and explicit tags.
    Raises `yaml.YAMLError` for anything it will not read."""
    loader = Yaml12Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        return _plain(loader, node)
    except _Unusual:
        pass
    except ValueError as error:  # a number that matched a pattern but does not convert
        raise yaml.YAMLError(str(error)) from error
    finally:
        loader.dispose()
    from reconciler.manifest.source import to_plain  # the complete reader, for the rare case

    return to_plain(load(text))


def load(text: str) -> Any:
    """The document's plain data; raises `yaml.YAMLError` for anything it will not read."""
    try:
        return yaml.load(text, Loader=Yaml12Loader)
    except ValueError as error:  # a number that matched a pattern but does not convert
        raise yaml.YAMLError(str(error)) from error
