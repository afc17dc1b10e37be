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
