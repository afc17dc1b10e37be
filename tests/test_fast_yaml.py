"""The fast YAML reader must read every document exactly as ruamel.yaml does (or refuse it, and
leave it to ruamel.yaml): a manifest means the same whichever reader the loader used."""

from __future__ import annotations

import math
from typing import Any

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from reconciler.manifest import fast_yaml
from reconciler.manifest.bounds import Refused
from reconciler.manifest.source import NotPlain, to_plain

SCALAR_CHARACTERS = "0123456789+-._:eExXoObBTtZzNnAaLlUuSsYyFfIi ~'\"@"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b and type(a) is type(b))


def _agree(text: str) -> None:
    try:
        expected = to_plain(YAML(typ="rt").load(text))
    except Exception:
        return  # invalid for ruamel: the loader reports ruamel's error, whatever fast_yaml says
    try:
        fast = to_plain(fast_yaml.load(text))
    except yaml.YAMLError:
        return  # refused: the loader falls back to ruamel.yaml
    assert set(fast) == set(expected), text
    for key in expected:
        assert _same(fast[key], expected[key]), (text, fast[key], expected[key])


@settings(max_examples=1500, deadline=None)
@given(st.text(SCALAR_CHARACTERS, min_size=1, max_size=12))
@example("on")
@example("yes")
@example("010")
@example("1:20")
@example("0o17")
@example("1_000")
@example("2026-12-01T09:00:00Z")
def test_scalars_read_the_same(scalar: str) -> None:
    _agree(f"block: {scalar}\n")
    _agree(f"flow: {{a: {scalar}}}\n")
    _agree(f"list: [{scalar}]\n")


def test_duplicate_keys_are_refused() -> None:
    try:
        fast_yaml.load("a: 1\na: 2\n")
    except yaml.YAMLError:
        return
    raise AssertionError("a duplicate key was accepted")


def _render(value: Any, indent: int = 0) -> str:
    """Block YAML for a tree whose leaves are raw scalar texts (written as they are)."""
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "\n" + "\n".join(
            f"{pad}{key}: {_render(item, indent + 2)}" for key, item in value.items()
        )
    if isinstance(value, list):
        if not value:
            return "[]"
        return "\n" + "\n".join(f"{pad}- {_render(item, indent + 2).lstrip()}" for item in value)
    return str(value)


_SPECIAL_WORDS = (
    "true",
    "True",
    "FALSE",
    "null",
    "Null",
    "~",
    "on",
    "yes",
    "1_000",
    "0b101",
    "1e3",
    "010",
    "007",
    ".nan",
    "-.inf",
    "2026-01-02",
    "2026-01-02 10:00:00+02:00",
    "'quoted'",
    '"1"',
    "!!str 12",
    "<<",
)
_scalars = st.text(SCALAR_CHARACTERS, min_size=1, max_size=8).filter(
    lambda text: text.strip() == text and not text.startswith(("-", "'", '"', "@"))
) | st.sampled_from(_SPECIAL_WORDS)
_keys = st.text("abcdefxyzTtNn019_.:", min_size=1, max_size=6).filter(lambda k: ":" not in k[-1:])
_trees = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_keys, children, max_size=3),
    max_leaves=12,
)


def _outcome(read: Any, text: str) -> Any:
    try:
        return ("data", read(text))
    except (yaml.YAMLError, Refused, NotPlain):  # (NaN, infinities: values JSON cannot hold)
        return ("refused", None)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(_keys, _trees, min_size=1, max_size=4))
@example({"a": ["x", {"b": "2026-12-01T09:00:00Z"}], "010": "0x1F"})
@example({"anchors": "&x [1, 2]", "alias": "*x"})
@example({"merge": "{<<: {a: 1}, b: 2}"})
def test_the_quick_reader_reads_as_the_complete_one(tree: dict[str, Any]) -> None:
    """`load_plain` (the lean constructor the loader uses) gives exactly the data of PyYAML's
    complete constructor followed by `to_plain`, or refuses exactly when that one does."""
    text = _render(tree).lstrip("\n") + "\n"
    quick = _outcome(fast_yaml.load_plain, text)
    complete = _outcome(lambda t: to_plain(fast_yaml.load(t)), text)
    if quick[0] == "data" and complete[0] == "data":
        assert _same_tree(quick[1], complete[1]), text
    else:
        assert quick[0] == complete[0], (text, quick, complete)


def _same_tree(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same_tree(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_tree(x, y) for x, y in zip(a, b, strict=True))
    return _same(a, b)


# Whole documents for the quick reader: nested block and flow collections; plain, quoted,
# non-string and aliased keys from small pools, so that keys repeat at any depth; anchors and
# aliases (to a finished collection, to one still open around them, to none). "Wild" documents
# add what the quick reader leaves to the complete one: explicit tags, merge keys, collections
# as keys, an anchor's name used twice, several documents in one stream, empty documents.
_KEY_TEXTS = ("a", "b", "'a'", '"b"', "1", '"1"', "1.0", "0x1", "true", "True", "null", "~")
_KEY_TEXTS += ("2026-01-02", "2026-01-02 10:00:00Z", "")
_WILD_KEY_TEXTS = (*_KEY_TEXTS, "!!str 1", "! 1", "!!int '2'", "<<", "<<")
_ANCHORS = ("",) * 6 + ("new",)
_WILD_ANCHORS = ("",) * 24 + ("new",) * 4 + ("again",)  # `again` repeats the last anchor's name
_WILD_SCALAR_TAGS = ("",) * 16 + ("! ", "!!str ", "!!int ", "!custom ")
_WILD_COLLECTION_TAGS = ("",) * 16 + ("! ", "!!map ", "!!seq ", "!custom ")


def _nodes(wild: bool) -> st.SearchStrategy[Any]:
    anchors = st.sampled_from(_WILD_ANCHORS if wild else _ANCHORS)
    scalar_tags = st.sampled_from(_WILD_SCALAR_TAGS if wild else ("",))
    collection_tags = st.sampled_from(_WILD_COLLECTION_TAGS if wild else ("",))
    key_texts = _keys | st.sampled_from(_WILD_KEY_TEXTS if wild else _KEY_TEXTS)
    aliases = st.tuples(st.just("alias"), st.integers(0, 7))
    scalar = st.tuples(st.just("scalar"), _scalars, anchors, scalar_tags)
    key_scalar = st.tuples(st.just("scalar"), key_texts, anchors, st.just(""))
    leaves = st.one_of(*[scalar] * 5, aliases)
    key_leaves = st.one_of(*[key_scalar] * 5, aliases)

    def collections(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        keys = st.one_of(*[key_leaves] * 9, children) if wild else key_leaves
        items = st.lists(st.tuples(keys, children), max_size=4)
        return st.one_of(
            st.tuples(st.just("map"), items, st.booleans(), anchors, collection_tags),
            st.tuples(
                st.just("seq"),
                st.lists(children, max_size=4),
                st.booleans(),
                anchors,
                collection_tags,
            ),
        )

    return st.recursive(leaves, collections, max_leaves=16)


class _Writer:
    """Writes a generated node as YAML, naming anchors as they come, so that an alias refers to
    an anchor before it (possibly one still open around it); with none before, it is undefined."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def properties(self, node: Any) -> str:
        anchor, tag = node[-2:]
        if anchor == "new" or (anchor == "again" and not self.names):
            self.names.append(f"a{len(self.names)}")
        return (f"&{self.names[-1]} " if anchor else "") + tag

    def flow(self, node: Any) -> str:
        """The node in flow style (the style inside `[...]` and `{...}`)."""
        kind = node[0]
        if kind == "alias":  # the space keeps a following `:` out of the alias's name
            if self.names:
                return f"*{self.names[node[1] % len(self.names)]} "
            return "*none " if node[1] == 0 else f"no-alias-{node[1]}"
        if kind == "scalar":
            return self.properties(node) + node[1]
        head = self.properties(node)
        if kind == "map":
            return (
                head + "{" + ", ".join(f"{self.flow(k)}: {self.flow(v)}" for k, v in node[1]) + "}"
            )
        return head + "[" + ", ".join(self.flow(item) for item in node[1]) + "]"

    def block(self, node: Any, indent: int) -> str:
        """The node as it follows `key:` or `-`, or starts a document, in block style."""
        if node[0] not in ("map", "seq") or node[2] or not node[1]:
            return " " + self.flow(node)
        head = self.properties(node).strip()
        pad = " " * indent
        if node[0] == "map":
            lines = [f"{pad}{self.flow(k)}:{self.block(v, indent + 2)}" for k, v in node[1]]
        else:
            lines = [f"{pad}-{self.block(item, indent + 2)}" for item in node[1]]
        return (" " + head if head else "") + "\n" + "\n".join(lines)


_EMPTY_DOCUMENTS = ("", "# only a comment\n", "---\n", "--- # a comment\n", "---\n...\n")


def _documents(wild: bool) -> st.SearchStrategy[str]:
    def write(node: Any, explicit: bool) -> str:
        return (("---" if explicit else "") + _Writer().block(node, 0)).lstrip()

    documents = st.builds(write, _nodes(wild), st.booleans())
    return documents | st.sampled_from(_EMPTY_DOCUMENTS) if wild else documents


@st.composite
def _streams(draw: st.DrawFn, wild: bool) -> str:
    """A wild stream holds one document mostly, as manifests do, sometimes two or three."""
    texts = [draw(_documents(wild))]
    if wild and draw(st.sampled_from((False, False, False, True))):
        more = draw(st.lists(_documents(wild), min_size=1, max_size=2))
        texts += [text if text.startswith("---") else "---\n" + text for text in more]
    return "\n".join(texts) + "\n"


def _complete(text: str) -> Any:
    try:
        return to_plain(fast_yaml.load(text))
    except RecursionError:  # an alias inside its own collection: no plain data, so refused
        raise yaml.YAMLError("recursive") from None


def _shares_nothing(value: Any, seen: set[int] | None = None) -> bool:
    """Each collection appears once (an alias gives a copy, as `to_plain` does)."""
    seen = set() if seen is None else seen
    if not isinstance(value, dict | list):
        return True
    if id(value) in seen:
        return False
    seen.add(id(value))
    items = value.values() if isinstance(value, dict) else value
    return all(_shares_nothing(item, seen) for item in items)


@pytest.mark.slow
@settings(max_examples=1500, deadline=None)
@given(_streams(wild=False) | _streams(wild=True))
@example("a: &x {b: [1, *x]}\n")
@example("a: &x [1]\n*x : 2\n")
@example("a: &m {b: [1]}\nc: *m\nd: [*m]\n")
@example("a: &x 1\nb: &x 2\n")
@example("a: &d 2026-01-02 10:00:00Z\n*d : x\nb: *d\n")
@example("1: a\nfalse: b\nnull: c\n'1': d\n")
@example("a: [010, 007]\n")
@example("a: 1\n---\nb: 2\n")
@example("? [1]\n: 2\n")
@example(".nan: no-alias-1\n")
def test_the_quick_reader_reads_any_document_as_the_complete_one(text: str) -> None:
    """`load_plain` reads every document as the complete reader does, or refuses it as that
    one does; what it reads is a tree, as `to_plain` makes it."""
    quick = _outcome(fast_yaml.load_plain, text)
    complete = _outcome(_complete, text)
    if quick[0] == "data" and complete[0] == "data":
        assert _same_tree(quick[1], complete[1]), text
        assert _shares_nothing(quick[1]), text
    else:
        assert quick[0] == complete[0], (text, quick, complete)


def test_plain_documents_need_no_complete_reader(monkeypatch: Any) -> None:
    """Anchors, aliases, non-string keys, dates and numbers are read from libyaml's events; the
    complete reader (twice as slow) is only for explicit tags, merge keys and collection keys."""

    def complete(text: str) -> Any:
        raise AssertionError(f"read by the complete reader: {text!r}")

    monkeypatch.setattr(fast_yaml, "load", complete)
    text = "a: &x {b: [1, 0x1F, 2026-01-02, ! 3]}\nc: *x\n1: ~\n2026-01-02 10:00:00Z: [yes, 1e3]\n"
    assert fast_yaml.load_plain(text) == {
        "a": {"b": [1, 31, "2026-01-02", 3]},
        "c": {"b": [1, 31, "2026-01-02", 3]},
        "1": None,
        "2026-01-02 10:00:00+00:00": ["yes", 1000.0],
    }


def test_a_duplicate_key_is_refused_where_it_is() -> None:
    try:
        fast_yaml.load_plain("flags:\n  - key: a\n    tags: [x]\n    key: b\n")
    except yaml.MarkedYAMLError as error:
        assert "duplicate key 'key'" in str(error)
        assert error.problem_mark is not None
        assert (error.problem_mark.line, error.problem_mark.column) == (3, 4)
        return
    raise AssertionError("a duplicate key was accepted")
