"""A fast YAML 1.2 reader for the common case: libyaml through PyYAML, with YAML 1.2's core
schema instead of PyYAML's YAML 1.1 rules, and duplicate keys refused.

ruamel.yaml (which flagsync uses for positions and round trips) reads YAML 1.2: `on`, `yes`
and `no` are strings, `010` is ten, `1:20` is a string. PyYAML's resolvers follow YAML 1.1, so
its loader is given the 1.2 core schema here; both readers then give the same values, and any
document this reader refuses goes to ruamel.yaml, whose verdict and messages are final.

`load_plain`, the loader's reader, builds plain data straight from libyaml's event stream.
Composing a document first makes a Python node object for every value and asks the resolver
for every node's tag (about a million of each for 10,000 flags), then walks the nodes again;
from events, a word or an integer becomes its value at once, and only the rare other plain
scalar meets the resolvers and constructors. Explicit tags, merge keys and collections as keys
are left to the complete loader (`load`); both read a document to the same data.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import string
from collections.abc import Hashable
from sys import intern
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode, SequenceNode

from reconciler.manifest import bounds
from reconciler.manifest.bounds import Refused

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
        if not isinstance(key, Hashable):  # a list or mapping as a key: refused, not a TypeError
            raise yaml.constructor.ConstructorError(
                None, None, "found unhashable key", key_node.start_mark
            )
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
    """The document uses something the lean reader leaves to PyYAML: an explicit tag, a merge
    key, a collection as a key, an undefined alias, an anchor's name used twice."""


_NO_KEY: Any = object()
"""The pending key of a mapping that waits for its next key, not for a value."""
_LETTERS = frozenset(string.ascii_letters)
_WORD_VALUES = {
    word: None if tag == _NULL_TAG else word.lower() == "true" for word, tag in _WORDS.items()
}
_Frame = tuple[Any, bool, Any, set[Any] | None]  # an open collection: container, is_map, key, seen


def _read_events(loader: Any) -> Any:
    """Plain data of the stream's single document, as `source.to_plain(load(text))` would give
    it: dicts with string keys, lists, scalars, timestamps as ISO strings.

    Built straight from libyaml's events, one open collection per nesting level, instead of
    composing a node per value and constructing from the nodes. Mapping keys are checked as
    PyYAML's constructor checks them (by their Python value: `1` and `1.0` are the same key,
    `1` and `"1"` are not), then stored as `str(key)`.

    Strings are interned: a workspace repeats the same keys and words (`enabled`, `targets`,
    `on`) tens of thousands of times, and one shared object each takes a third less memory
    for 10,000 flags, and less than half the bytes when worker processes send the data back."""
    next_event = loader.get_event
    letters, words = _LETTERS, _WORD_VALUES
    stack: list[_Frame] = []
    container: Any = None  # the innermost open dict or list; None at the document's top
    is_map = False
    key: Any = _NO_KEY  # the mapping's key waiting for its value
    seen: set[Any] | None = None  # the mapping's keys, kept once one of them is not a string
    anchors: dict[str, Any] = {}
    unfinished: list[Any] = []  # anchored collections not yet closed
    root = None
    document: Any = None
    made = 0  # values written out in the file so far
    aliased = 0  # values aliases added
    sizes: dict[str, int] = {}  # an anchored collection's values, its own included
    started: list[tuple[str, int]] = []  # each unfinished anchored collection: name, `made`
    max_depth = bounds.MAX_DEPTH
    max_entries = bounds.MAX_ENTRIES_PER_FILE
    allowance = bounds.ALIAS_ALLOWANCE
    while True:
        event = next_event()
        kind = type(event)
        if kind is ScalarEvent:
            made += 1
            value = event.value
            if event.anchor is not None or event.tag is not None:
                value = _scalar_value(loader, event)
                _check_value(value, event)
                if event.anchor is not None:
                    _anchor(anchors, event, value)
                if not is_map or key is not _NO_KEY:
                    value = plain_scalar(value)
            elif event.implicit[0]:  # plain: a word, a number, a date, ...
                if value[:1] in letters:
                    value = words.get(value, value)
                elif value.isdigit() and value.isascii():
                    value = int(value)  # (a leading zero is not octal in YAML 1.2)
                    if len(event.value) > 15:
                        _check_value(value, event)
                else:
                    value = _scalar_value(loader, event)
                    _check_value(value, event)
                    if not is_map or key is not _NO_KEY:
                        value = plain_scalar(value)
            elif not value.isascii():  # quoted: escapes can make a lone surrogate
                _check_value(value, event)
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            if (is_map and key is _NO_KEY) or event.tag not in (None, "!"):
                raise _Unusual
            if len(stack) >= max_depth:
                raise _refused(bounds.nesting_message(), event)
            made += 1
            stack.append((container, is_map, key, seen))
            is_map = kind is MappingStartEvent
            container = {} if is_map else []
            key, seen = _NO_KEY, None
            if event.anchor is not None:
                _anchor(anchors, event, container)
                unfinished.append(container)
                started.append((event.anchor, made + aliased))
            continue
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            value = container
            if unfinished and unfinished[-1] is value:
                unfinished.pop()
                name, start = started.pop()
                sizes[name] = made + aliased - start + 1
            container, is_map, key, seen = stack.pop()
        elif kind is AliasEvent:
            value = anchors.get(event.anchor, _NO_KEY)
            if value is _NO_KEY:
                raise _Unusual  # PyYAML names the undefined alias
            aliased += sizes.get(event.anchor, 1)
            if aliased > allowance + made:
                raise _refused(bounds.alias_message(), event)
            if type(value) is dict or type(value) is list:
                if any(value is item for item in unfinished):
                    raise yaml.composer.ComposerError(
                        None,
                        None,
                        "found an alias inside the collection it names",
                        event.start_mark,
                    )  # the complete reader would build a collection containing itself
                if is_map and key is _NO_KEY:
                    raise _Unusual
                value = copy.deepcopy(value)  # `to_plain` copies each occurrence too
            elif not is_map or key is not _NO_KEY:
                value = plain_scalar(value)
        elif kind is DocumentStartEvent:
            if document is not None:
                raise yaml.composer.ComposerError(
                    "expected a single document in the stream",
                    document,
                    "but found another document",
                    event.start_mark,
                )
            document = event.start_mark
            continue
        elif kind is StreamEndEvent:
            return root
        else:
            continue  # the stream's start, a document's end
        if is_map:
            if key is not _NO_KEY:
                container[key] = intern(value) if type(value) is str else value
                key = _NO_KEY
            elif seen is None and type(value) is str:
                if value in container:
                    raise _duplicate_key(value, event)
                key = intern(value)
            else:
                if seen is None:
                    seen = set(container)  # all string keys so far
                if value in seen:
                    raise _duplicate_key(value, event)
                seen.add(value)
                key = intern(str(value))
        elif container is not None:
            container.append(intern(value) if type(value) is str else value)
            if len(container) > max_entries and len(stack) == 2:  # a section's entries
                raise _refused(bounds.entries_message(len(container)), event)
        else:
            root = value


def _refused(message: str, event: Any) -> Refused:
    mark = event.start_mark
    return Refused(message, mark.line + 1, mark.column + 1)


def _check_value(value: Any, event: Any) -> None:
    """Refuse, where it is written, a value JSON or UTF-8 cannot carry (see `bounds`)."""
    problem = bounds.value_problem(value)
    if problem is not None:
        raise _refused(problem, event)


def check_bounds(text: str) -> None:
    """Read `text`'s events only, to refuse what exceeds a bound (nesting, alias expansion)
    before a reader that builds everything (PyYAML's composer, ruamel.yaml) sees it; those
    recurse once per level and share aliased collections, so a bomb only explodes later,
    when the shared tree is copied into plain data. Raises `Refused`, or `yaml.YAMLError`
    where libyaml cannot read the text (its verdict is then left to the complete reader)."""
    loader = Yaml12Loader(text)
    try:
        depth = made = aliased = 0
        sizes: dict[str, int] = {}
        open_anchors: list[tuple[str | None, int]] = []
        while True:
            event = loader.get_event()
            kind = type(event)
            if kind is MappingStartEvent or kind is SequenceStartEvent:
                depth += 1
                made += 1
                if depth > bounds.MAX_DEPTH:
                    raise _refused(bounds.nesting_message(), event)
                open_anchors.append((event.anchor, made + aliased))
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                depth -= 1
                anchor, start = open_anchors.pop()
                if anchor is not None:
                    sizes[anchor] = made + aliased - start + 1
            elif kind is ScalarEvent:
                made += 1
            elif kind is AliasEvent:
                aliased += sizes.get(event.anchor, 1)
                if aliased > bounds.ALIAS_ALLOWANCE + made:
                    raise _refused(bounds.alias_message(), event)
            elif kind is StreamEndEvent:
                return
    finally:
        loader.dispose()


def _anchor(anchors: dict[str, Any], event: Any, value: Any) -> None:
    """Remember an anchored value for its aliases: a scalar's Python value (a key needs it, not
    its plain form), or the collection, filled in as the events come."""
    if event.anchor in anchors:
        raise _Unusual  # PyYAML refuses a second anchor of the same name
    anchors[event.anchor] = value


def _scalar_value(loader: Any, event: Any) -> Any:
    """A scalar's Python value, resolved and constructed as the complete loader does it."""
    tag = event.tag
    if tag is not None and tag != "!":
        raise _Unusual
    tag = loader.resolve(ScalarNode, event.value, event.implicit)
    if tag == STR_TAG:
        return event.value
    return _scalar(loader, ScalarNode(tag, event.value, event.start_mark, event.end_mark))


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


def plain_scalar(value: Any) -> Any:
    """A scalar value as plain data: timestamps as ISO strings (UTC written `Z`); both
    readers, this one and `source.to_plain`, write them so."""
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def load_plain(text: str) -> Any:
    """The document's plain JSON-like data, read the quick way; the same values as
    `source.to_plain(load(text))`, which it falls back to for what `_read_events` leaves to
    PyYAML. Raises `yaml.YAMLError` for anything it will not read."""
    loader = Yaml12Loader(text)
    try:
        return _read_events(loader)
    except _Unusual:
        pass
    except ValueError as error:  # a number that matched a pattern but does not convert
        raise yaml.YAMLError(str(error)) from error
    finally:
        loader.dispose()
    from reconciler.manifest.source import to_plain  # the complete reader, for the rare case

    check_bounds(text)
    data = load(text)
    try:
        return to_plain(data)
    except RecursionError:  # an alias inside the collection it names: no plain data
        raise yaml.YAMLError("found an alias inside the collection it names") from None


def load(text: str) -> Any:
    """The document's plain data; raises `yaml.YAMLError` for anything it will not read."""
    try:
        return yaml.load(text, Loader=Yaml12Loader)
    except ValueError as error:  # a number that matched a pattern but does not convert
        raise yaml.YAMLError(str(error)) from error
    except (TypeError, KeyError, IndexError, AttributeError) as error:
        # PyYAML's constructors fail so on a value that does not fit its explicit tag:
        # `!!float ""`, `!!bool maybe`, `!!timestamp x`, `!!map [1]`.
        raise yaml.YAMLError(f"a value does not fit its tag ({error!r})") from error
