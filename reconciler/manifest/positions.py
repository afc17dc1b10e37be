"""Where each value of a YAML document is written, from libyaml's events.

A problem needs `file:line:col`. ruamel.yaml's round-trip tree knows positions, but building it
for a 1 MB file takes over ten seconds and gigabytes for 10 MB: one typo made `validate` of a
large manifest fifteen times slower. libyaml's parser gives every event a mark; one pass over
the events keeps, per value, only its position and (for collections) its children's, packed
as integers. ruamel.yaml is still the answer where libyaml cannot read the text at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from reconciler.manifest.fast_yaml import Yaml12Loader

_LINE = 1 << 32
"""A position is `line * _LINE + column` (0-based): one int per value instead of a tuple."""

_WORD_KEYS = {
    **dict.fromkeys(("true", "True", "TRUE"), "True"),
    **dict.fromkeys(("false", "False", "FALSE"), "False"),
    **dict.fromkeys(("null", "Null", "NULL", "~", ""), "None"),
}
"""Plain keys whose data key differs from their text (data keys are `str(value)`)."""


class Unindexable(Exception):
    """Something the index does not model (a collection as a key): use ruamel.yaml."""


def _pos(mark: Any) -> int:
    return int(mark.line) * _LINE + int(mark.column)


def _key_text(event: Any) -> str:
    value = str(event.value)
    if event.implicit[0] and event.tag is None:
        if value in _WORD_KEYS:
            return _WORD_KEYS[value]
        if value.isdigit() and value.isascii():
            return str(int(value))
    return value


def build_index(text: str) -> Any:
    """The positions of `text`'s values: an int for a scalar or alias, `(position, children)`
    for a collection, children being `{key: (key position, node)}` or `[node, ...]`.
    Raises `yaml.YAMLError` where libyaml cannot read the text, `Unindexable` for a
    collection used as a key."""
    loader = Yaml12Loader(text)
    try:
        stack: list[tuple[int, Any, Any]] = []  # open collections: position, children, key
        children: Any = None
        key: Any = None  # the mapping's key waiting for its value: (text, position)
        root: Any = None
        while True:
            event = loader.get_event()
            kind = type(event)
            if kind is MappingStartEvent or kind is SequenceStartEvent:
                if type(children) is dict and key is None:
                    raise Unindexable
                stack.append((_pos(event.start_mark), children, key))
                children = {} if kind is MappingStartEvent else []
                key = None
                continue
            if kind is MappingEndEvent or kind is SequenceEndEvent:
                own = children
                position, children, key = stack.pop()
                node: Any = (position, own)
            elif kind is ScalarEvent or kind is AliasEvent:
                mark = event.start_mark
                node = mark.line * _LINE + mark.column
                if type(children) is dict and key is None:
                    key = (_key_text(event) if kind is ScalarEvent else "", node)
                    continue
            elif kind is StreamEndEvent:
                return root
            else:
                continue
            if type(children) is dict:
                children.setdefault(key[0], (key[1], node))
                key = None
            elif children is not None:
                children.append(node)
            else:
                root = node
    finally:
        loader.dispose()


def locate(index: Any, path: Sequence[str | int], at_key: bool = False) -> tuple[int, int]:
    """1-based (line, col) of the value at `path` (of its key when `at_key`), walking as deep
    as the path exists, as `source.Document.locate` promises."""
    node = index
    position = node[0] if isinstance(node, tuple) else (node or 0)
    for number, item in enumerate(path):
        if not isinstance(node, tuple):
            break
        children = node[1]
        if isinstance(children, dict) and isinstance(item, str) and item in children:
            key_position, child = children[item]
            at = key_position if (at_key and number == len(path) - 1) else None
        elif isinstance(children, list) and isinstance(item, int) and 0 <= item < len(children):
            child, at = children[item], None
        else:
            break
        position = at if at is not None else (child[0] if isinstance(child, tuple) else child)
        node = child
    return position // _LINE + 1, position % _LINE + 1
