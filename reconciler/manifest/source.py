"""YAML documents that remember where every value came from.

`Document.locate` turns a path into `line:col`, so every later check can point at the exact
spot in the file. Positions are only needed when something is wrong: files are read with
`fast_yaml` (libyaml with YAML 1.2's rules), and positions are indexed from libyaml's events on
first use (`positions`), for the files a problem is reported in. ruamel.yaml's round-trip
loader (about 5x slower) reads only what libyaml cannot, and gives its positions then.
`tests/test_fast_yaml.py` holds the readers to the same values. Every reading path keeps the
bounds of `bounds` (size, nesting, alias expansion, values JSON cannot carry).
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from reconciler.errors import Problem
from reconciler.manifest import bounds, fast_yaml, positions
from reconciler.manifest.bounds import Refused

PathItem = str | int


@dataclass
class Document:
    """One parsed YAML file: its display name, its plain JSON-like data, and (on demand) the
    round-trip tree that knows positions."""

    name: str
    data: Any
    text: str = ""
    _tree: Any = field(default=None, repr=False)
    _index: Any = field(default=None, repr=False)

    @property
    def tree(self) -> Any:
        if self._tree is None:
            self._tree = _ruamel(self.text)
        return self._tree

    def locate(self, path: Sequence[PathItem], at_key: bool = False) -> tuple[int, int]:
        """1-based (line, col) of the value at `path`, or of its key when `at_key`.

        Walks as deep as the path exists; a path into something missing points at its nearest
        existing parent, which is where a user would add it. Positions come from libyaml's
        events (`positions`), from ruamel.yaml's tree only when libyaml cannot read the file.
        """
        if self._index is None and self._tree is None and self.text:
            try:
                self._index = positions.build_index(self.text)
            except (yaml.YAMLError, positions.Unindexable):
                self._index = False
        if self._index:
            return positions.locate(self._index, path, at_key)
        node = self.tree
        line, col = _own_position(node)
        for index, item in enumerate(path):
            last = index == len(path) - 1
            if isinstance(node, CommentedMap) and item in node:
                position = node.lc.key(item) if (last and at_key) else node.lc.value(item)
                child = node[item]
            elif isinstance(node, CommentedSeq) and isinstance(item, int) and item < len(node):
                position = node.lc.item(item)
                child = node[item]
            else:
                break
            if position is not None:
                line, col = position[0] + 1, position[1] + 1
            node = child
        return line, col

    def problem(self, path: Sequence[PathItem], message: str, at_key: bool = False) -> Problem:
        """A `Problem` located at `path` in this document."""
        line, col = self.locate(path, at_key)
        return Problem(self.name, line, col, message)


def _own_position(node: Any) -> tuple[int, int]:
    lc = getattr(node, "lc", None)
    if lc is None or lc.line is None:
        return 1, 1
    return lc.line + 1, lc.col + 1


class NotPlain(ValueError):
    """A value JSON cannot hold, made by a tag: bytes (`!!binary`), a set (`!!set`), pairs
    (`!!omap`, `!!pairs`), or an application tag's object (`!custom x`)."""

    def __init__(self, path: list[PathItem], value: Any, message: str | None = None) -> None:
        self.path = path
        self.message = message
        """The whole message, for a value refused for another reason than its type."""
        tag = getattr(value, "tag", None)
        tag = getattr(tag, "value", tag)
        kinds: dict[type, str] = {
            bytes: "binary data (!!binary)",
            set: "a set (!!set)",
            tuple: "pairs (!!omap)",
        }
        self.what = (
            f"the tag {tag}"
            if tag is not None
            else kinds.get(type(value), f"a {type(value).__name__}")
        )
        super().__init__(f"{self.what} at {path}")


def to_plain(node: Any, path: tuple[PathItem, ...] = ()) -> Any:
    """The JSON-like copy of a ruamel tree: dicts, lists, scalars; timestamps as ISO strings.

    Schema validation and model building work on this copy; positions come from the tree.
    Raises `NotPlain` for a value JSON cannot hold.
    """
    if isinstance(node, dict | list) and _application_tag(node):
        raise NotPlain(list(path), node)
    if isinstance(node, dict):
        for key in node:  # a key JSON cannot carry (`.nan: x`) is refused as the quick reader does
            key_problem = bounds.value_problem(_plain(key))
            if key_problem is not None:
                raise NotPlain([*path, str(key)], key, key_problem)
        return {str(key): to_plain(value, (*path, str(key))) for key, value in node.items()}
    if isinstance(node, list):
        return [to_plain(value, (*path, index)) for index, value in enumerate(node)]
    problem = bounds.value_problem(node if type(node) in (int, float, str) else _plain(node))
    if problem is not None:
        raise NotPlain(list(path), node, problem)
    if isinstance(node, dt.date):  # a datetime too
        return fast_yaml.plain_scalar(node)
    if isinstance(node, bool | int | float | str) or node is None:
        # ruamel's scalar subclasses (ScalarFloat, ...) become plain Python values.
        if isinstance(node, bool):
            return bool(node)
        if isinstance(node, int):
            return int(node)
        if isinstance(node, float):
            return float(node)
        if isinstance(node, str):
            return str(node)
        return None
    raise NotPlain(list(path), node)


def _application_tag(node: Any) -> bool:
    """Whether ruamel.yaml read a collection with a tag of the application's own (`!custom
    {a: 1}`): it keeps the mapping and notes the tag, which flagsync cannot honour."""
    tag = getattr(getattr(node, "tag", None), "value", None)
    return tag is not None and tag not in ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


def _plain(node: Any) -> Any:
    """ruamel's scalar subclasses as the plain type `bounds.value_problem` checks."""
    for kind in (bool, int, float, str):
        if isinstance(node, kind):
            return kind(node)
    return node


def _not_plain(name: str, text: str, tree: Any, error: NotPlain) -> Problem:
    """Where the unusable value is, and what to write instead."""
    message = error.message or (
        f"{error.what} cannot be used in a manifest: write strings, numbers, true/false, "
        "lists and mappings"
    )
    try:
        document = Document(name=name, data=None, text=text, _tree=tree, _index=False)
        return document.problem(error.path, message)  # (ruamel marks a tag where it starts)
    except (YAMLError, ValueError, TypeError, KeyError, IndexError):
        return Problem(name, 1, 1, message)  # ruamel cannot read it either: no positions


RUAMEL_MAX_BYTES = 1_000_000
"""Above this size a file libyaml cannot read gets libyaml's own message: ruamel.yaml (pure
Python) would take minutes and gigabytes to say where a 10 MB file goes wrong."""


def _ruamel(text: str) -> Any:
    """ruamel.yaml's round-trip tree; its warnings (a reused anchor name, which YAML 1.2
    allows) are not the user's concern."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return YAML(typ="rt").load(text)


def display_name(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_yaml(path: Path, name: str) -> Document | Problem:
    """Parse one YAML file; a syntax error comes back as a located `Problem`, never raised.
    Bounds (`bounds`) hold before anything is built: size, nesting, alias expansion."""
    try:
        size = path.stat().st_size
        if size > bounds.MAX_FILE_BYTES:
            return Problem(name, 1, 1, bounds.size_message(size))
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        return Problem(name, 1, 1, f"not UTF-8 text: {error.reason}")
    except OSError as error:
        return Problem(name, 1, 1, f"cannot read: {error.strerror}")
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> Document | Problem:
    """`read_yaml` for text already read."""
    if len(text) > bounds.MAX_FILE_BYTES:
        return Problem(name, 1, 1, bounds.size_message(len(text)))
    try:
        document = Document(name=name, data=fast_yaml.load_plain(text), text=text)
        return _too_many_entries(document) or document
    except Refused as error:
        return Problem(name, error.line, error.col, error.message)
    except NotPlain as error:
        return _not_plain(name, text, None, error)
    except yaml.YAMLError as error:
        # libyaml refuses some valid YAML 1.2, and every invalid file: ruamel.yaml decides,
        # once the whole text is known to keep the bounds (the quick reader may have stopped
        # early, at a duplicate key, before a bomb).
        refused = _beyond_bounds(name, text) or _nesting(name, error)
        if refused is not None:
            return refused
        if len(text) > RUAMEL_MAX_BYTES and isinstance(error, yaml.MarkedYAMLError):
            return _marked(name, error)
    try:
        tree = _ruamel(text)
    except MarkedYAMLError as error:
        return _marked(name, error)
    except (YAMLError, ValueError) as error:  # ruamel raises ValueError for e.g. `+_`
        return Problem(name, 1, 1, f"invalid YAML: {error}")
    except (TypeError, KeyError, IndexError) as error:
        # ruamel's constructors fail so on `!!bool maybe`, `!!float ""`, `{a: [1]}: 2`
        what = f"{type(error).__name__}: {error}"
        return Problem(name, 1, 1, f"invalid YAML: cannot read it ({what})")
    except RecursionError:  # libyaml could not say (it stops at 1,000 levels itself)
        return Problem(name, 1, 1, f"invalid YAML: {bounds.nesting_message()}")
    if _expands_beyond(tree, bounds.ALIAS_ALLOWANCE + len(text)):
        return Problem(name, 1, 1, f"invalid YAML: {bounds.alias_message()}")
    try:
        data = to_plain(tree)
    except NotPlain as error:
        return _not_plain(name, text, tree, error)
    except RecursionError:
        return Problem(name, 1, 1, f"invalid YAML: {bounds.nesting_message()}")
    document = Document(name=name, data=data, text=text, _tree=tree)
    return _too_many_entries(document) or document


def _beyond_bounds(name: str, text: str) -> Problem | None:
    """The bound `text` exceeds, read event by event as far as libyaml can read it."""
    try:
        fast_yaml.check_bounds(text)
    except Refused as error:
        return Problem(name, error.line, error.col, error.message)
    except yaml.YAMLError as error:
        return _nesting(name, error)
    return None


def _nesting(name: str, error: yaml.YAMLError) -> Problem | None:
    """libyaml's own nesting limit (1,000 levels, past ours) as the nesting problem."""
    if not isinstance(error, yaml.MarkedYAMLError) or "nesting depth" not in str(error.problem):
        return None
    mark = error.problem_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    return Problem(name, line, col, bounds.nesting_message())


def _too_many_entries(document: Document) -> Problem | None:
    """A section (`flags`, ...) with more entries than `bounds.MAX_ENTRIES_PER_FILE`."""
    if not isinstance(document.data, dict):
        return None
    for section, entries in document.data.items():
        if isinstance(entries, list) and len(entries) > bounds.MAX_ENTRIES_PER_FILE:
            return Problem(  # (the file, not a position: finding it would read it all again)
                document.name,
                1,
                1,
                f"{section}: {len(entries):,} entries, more than the "
                f"{bounds.MAX_ENTRIES_PER_FILE:,} flagsync reads from one file",
            )
    return None


def _expands_beyond(tree: Any, limit: int) -> bool:
    """Whether copying `tree` into plain data would make more than `limit` values: ruamel.yaml
    shares an aliased collection, and the copy repeats it at every alias."""
    pending = [tree]
    count = 0
    while pending:
        node = pending.pop()
        count += 1
        if count > limit:
            return True
        if isinstance(node, dict):
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return False


def _marked(name: str, error: Any) -> Problem:
    """A parser's error (PyYAML's or ruamel's, which share the shape) at its position."""
    mark = error.problem_mark or error.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    what = error.problem or error.context or "invalid YAML"
    if "found duplicate key" in str(error):
        what = str(error.problem).strip()
    if "another document" in str(what):
        what = (
            "a second YAML document starts here (`---`): a manifest is one document; "
            "put these entries in the first one, or in a file of their own"
        )
    return Problem(name, line, col, f"invalid YAML: {what}")
