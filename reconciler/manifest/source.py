"""YAML documents that remember where every value came from.

ruamel.yaml's round-trip loader keeps line and column of each key and item; `Document.locate`
turns a path into `line:col`, so every later check can point at the exact spot in the file.
That loader is slow (about 5x libyaml), and positions are only needed when something is wrong:
files are read with `fast_yaml` (libyaml with YAML 1.2's rules), and the round-trip tree is
built on first use, for the files a problem is reported in. `tests/test_fast_yaml.py` holds the
two readers to the same values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from reconciler.errors import Problem
from reconciler.manifest import fast_yaml

PathItem = str | int


@dataclass
class Document:
    """One parsed YAML file: its display name, its plain JSON-like data, and (on demand) the
    round-trip tree that knows positions."""

    name: str
    data: Any
    text: str = ""
    _tree: Any = field(default=None, repr=False)

    @property
    def tree(self) -> Any:
        if self._tree is None:
            self._tree = YAML(typ="rt").load(self.text)
        return self._tree

    def locate(self, path: Sequence[PathItem], at_key: bool = False) -> tuple[int, int]:
        """1-based (line, col) of the value at `path`, or of its key when `at_key`.

        Walks as deep as the path exists; a path into something missing points at its nearest
        existing parent, which is where a user would add it.
        """
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

    def __init__(self, path: list[PathItem], value: Any) -> None:
        self.path = path
        tag = getattr(value, "tag", None)
        kinds: dict[type, str] = {
            bytes: "binary data (!!binary)",
            set: "a set (!!set)",
            tuple: "pairs (!!omap)",
        }
        self.what = (
            f"the tag {getattr(tag, 'value', tag)}"
            if tag is not None
            else kinds.get(type(value), f"a {type(value).__name__}")
        )
        super().__init__(f"{self.what} at {path}")


def to_plain(node: Any, path: tuple[PathItem, ...] = ()) -> Any:
    """The JSON-like copy of a ruamel tree: dicts, lists, scalars; timestamps as ISO strings.

    Schema validation and model building work on this copy; positions come from the tree.
    Raises `NotPlain` for a value JSON cannot hold.
    """
    if isinstance(node, dict):
        return {str(key): to_plain(value, (*path, str(key))) for key, value in node.items()}
    if isinstance(node, list):
        return [to_plain(value, (*path, index)) for index, value in enumerate(node)]
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


def _not_plain(name: str, text: str, tree: Any, error: NotPlain) -> Problem:
    """Where the unusable value is, and what to write instead."""
    message = (
        f"{error.what} cannot be used in a manifest: write strings, numbers, true/false, "
        "lists and mappings"
    )
    try:
        return Document(name=name, data=None, text=text, _tree=tree).problem(error.path, message)
    except (YAMLError, ValueError, TypeError, KeyError, IndexError):
        return Problem(name, 1, 1, message)  # ruamel cannot read it either: no positions


def read_yaml(path: Path, name: str) -> Document | Problem:
    """Parse one YAML file; a syntax error comes back as a located `Problem`, never raised."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        return Problem(name, 1, 1, f"not UTF-8 text: {error.reason}")
    except OSError as error:
        return Problem(name, 1, 1, f"cannot read: {error.strerror}")
    try:
        return Document(name=name, data=fast_yaml.load_plain(text), text=text)
    except NotPlain as error:
        return _not_plain(name, text, None, error)
    except yaml.YAMLError:
        pass  # libyaml refuses some valid YAML 1.2, and every invalid file: ruamel.yaml decides
    try:
        tree = YAML(typ="rt").load(text)
    except MarkedYAMLError as error:
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
    except (YAMLError, ValueError) as error:  # ruamel raises ValueError for e.g. `+_`
        return Problem(name, 1, 1, f"invalid YAML: {error}")
    except (TypeError, KeyError, IndexError) as error:
        # ruamel's constructors fail so on `!!bool maybe`, `!!float ""`, `{a: [1]}: 2`
        what = f"{type(error).__name__}: {error}"
        return Problem(name, 1, 1, f"invalid YAML: cannot read it ({what})")
    try:
        data = to_plain(tree)
    except NotPlain as error:
        return _not_plain(name, text, tree, error)
    return Document(name=name, data=data, text=text, _tree=tree)
