"""A fast YAML 1.2 reader for the common case: libyaml through PyYAML, with YAML 1.2's core
schema instead of PyYAML's YAML 1.1 rules, and duplicate keys refused.

ruamel.yaml (which flagsync uses for positions and round trips) reads YAML 1.2: `on`, `yes`
and `no` are strings, `010` is ten, `1:20` is a string. PyYAML's resolvers follow YAML 1.1, so
its loader is given the 1.2 core schema here; both readers then give the same values, and any
document this reader refuses goes to ruamel.yaml, whose verdict and messages are final.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

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


def _construct_mapping(loader: Any, node: Any, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"found duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
Yaml12Loader.construct_mapping = _construct_mapping


def load(text: str) -> Any:
    """The document's plain data; raises `yaml.YAMLError` for anything it will not read."""
    try:
        return yaml.load(text, Loader=Yaml12Loader)
    except ValueError as error:  # a number that matched a pattern but does not convert
        raise yaml.YAMLError(str(error)) from error
