"""The fast YAML reader must read every document exactly as ruamel.yaml does (or refuse it, and
leave it to ruamel.yaml): a manifest means the same whichever reader the loader used."""

from __future__ import annotations

import math
from typing import Any

import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from reconciler.manifest import fast_yaml
from reconciler.manifest.source import to_plain

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
    except yaml.YAMLError:
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
