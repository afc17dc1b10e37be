"""The other way to read a manifest's YAML, kept to measure against `fast_yaml.load_plain`:
libyaml's composer (`yaml.compose` with the C loader) builds a node per value, then a short
walk turns the nodes into plain data with the same YAML 1.2 rules and bounds (nesting, alias
expansion, entries per section, values JSON cannot carry), each refusal at its line and column.

`benchmarks/yaml_reader.py` times both; `FLAGSYNC_BENCH_YAML=composed` makes
`benchmarks/measure.py` plan with this one. What neither reads on its own (explicit tags,
merge keys, collections as keys) goes to the complete loader, as in `load_plain`.
"""

from __future__ import annotations

from sys import intern
from typing import Any

import yaml
from yaml.nodes import ScalarNode, SequenceNode

from reconciler.manifest import bounds, fast_yaml
from reconciler.manifest.bounds import Refused

_STR = "tag:yaml.org,2002:str"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_INT = "tag:yaml.org,2002:int"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_MERGE = "tag:yaml.org,2002:merge"


class _Unusual(Exception):
    """Left to the complete loader."""


def _refused(message: str, node: Any) -> Refused:
    return Refused(message, node.start_mark.line + 1, node.start_mark.column + 1)


class _Walk:
    """One document's nodes to plain data. A node met a second time is an alias: it counts
    its size again against the alias allowance, and a collection is built afresh (a copy)."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.made = 0  # values written out
        self.aliased = 0  # values added by aliases
        self.sizes: dict[int, int] = {}  # a finished node's values, its own included
        self.open: set[int] = set()  # collections being built

    def scalar(self, node: Any) -> Any:
        """The Python value (a key needs it, not its plain form)."""
        tag, value = node.tag, node.value
        if tag == _STR:
            if not value.isascii():
                self.check(value, node)
            return value
        if tag == _BOOL:
            return value.lower() == "true"
        if tag == _NULL:
            return None
        if tag == _INT and value.isdigit() and len(value) < 16:
            return int(value)
        constructor = self.loader.yaml_constructors.get(tag)
        if constructor is None or tag in (_SEQ, _MAP, _MERGE):
            raise _Unusual  # an unknown tag, or `<<`
        try:
            result = constructor(self.loader, node)
        except ValueError as error:
            raise yaml.YAMLError(str(error)) from error
        self.check(result, node)
        return result

    def check(self, value: Any, node: Any) -> None:
        problem = bounds.value_problem(value)
        if problem is not None:
            raise _refused(problem, node)

    def value(self, node: Any, depth: int, as_key: bool = False) -> Any:
        ident = id(node)
        size = self.sizes.get(ident)
        if size is not None:  # an alias
            self.aliased += size
            if self.aliased > bounds.ALIAS_ALLOWANCE + self.made:
                raise _refused(bounds.alias_message(), node)
        elif ident in self.open:
            raise yaml.composer.ComposerError(
                None, None, "found an alias inside the collection it names", node.start_mark
            )
        kind = type(node)
        if kind is ScalarNode:
            if size is None:
                self.made += 1
                self.sizes[ident] = 1
            value = self.scalar(node)
            return value if as_key else fast_yaml.plain_scalar(value)
        if as_key:
            raise _Unusual
        if node.tag != (_SEQ if kind is SequenceNode else _MAP):
            raise _Unusual  # an explicit tag the collection does not have
        if depth >= bounds.MAX_DEPTH:
            raise _refused(bounds.nesting_message(), node)
        start = self.made + self.aliased
        if size is None:
            self.made += 1
            self.open.add(ident)
        result: Any
        if kind is SequenceNode:
            result = []
            for item in node.value:
                value = self.value(item, depth + 1)
                result.append(intern(value) if type(value) is str else value)
            if depth == 1 and len(result) > bounds.MAX_ENTRIES_PER_FILE:
                raise _refused(bounds.entries_message(len(result)), node)
        else:
            result = {}
            seen: set[Any] | None = None
            for key_node, value_node in node.value:
                key = self.value(key_node, depth + 1, as_key=True)
                if seen is None and type(key) is str:
                    if key in result:
                        raise fast_yaml._duplicate_key(key, key_node)
                else:
                    if seen is None:
                        seen = set(result)
                    if key in seen:
                        raise fast_yaml._duplicate_key(key, key_node)
                    seen.add(key)
                    key = str(key)
                value = self.value(value_node, depth + 1)
                result[intern(key)] = intern(value) if type(value) is str else value
        if size is None:
            self.open.discard(ident)
            self.sizes[ident] = self.made + self.aliased - start
        return result


def load_plain(text: str) -> Any:
    """The same plain data as `fast_yaml.load_plain(text)`, through the composer."""
    loader = fast_yaml.Yaml12Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        return _Walk(loader).value(node, 0)
    except _Unusual:
        pass
    except ValueError as error:
        raise yaml.YAMLError(str(error)) from error
    finally:
        loader.dispose()
    from reconciler.manifest.source import to_plain

    fast_yaml.check_bounds(text)
    data = fast_yaml.load(text)
    try:
        return to_plain(data)
    except RecursionError:
        raise yaml.YAMLError("found an alias inside the collection it names") from None
