"""`flagsync fmt`'s layout and its laws: formatting keeps every comment, never changes what a
manifest means (the same data, the same flags built), and is idempotent. The laws run on
manifests hypothesis writes in many layouts: JSON-style flow, shuffled keys, other indents."""

from __future__ import annotations

import io
import json
import random
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from reconciler.manifest.build import build_flag
from reconciler.manifest.emit import _Representer as ManifestRepresenter
from reconciler.manifest.fast_yaml import load_plain
from reconciler.manifest.format import FormatError, format_text
from reconciler.manifest.write import flag_data
from reconciler.model import Flag
from tests.strategies import ENVIRONMENTS, flags

MESSY = """\
# yaml-language-server: $schema=../schemas/manifest.schema.json
flags:
    -   environments:
            production:
                targets:
                    -   serve: 'redesign'   # everyone gets it
                        name: Everyone
                enabled: true
        variations:
            - {values: {v: 'x'}, key: classic}
            - {key: redesign, values: {v: "y"}}
        # the variable the app reads
        variables:
            v: {type: String}
        key: new-checkout
        owner: 'team-web'
        name: "New checkout"
        variant_label: "on"
"""

CANONICAL = """\
# yaml-language-server: $schema=../schemas/manifest.schema.json
flags:
  - key: new-checkout
    name: New checkout
    owner: team-web
    variables:
      v: {type: String}
    variations:
      - {key: classic, values: {v: x}}
      - {key: redesign, values: {v: y}}
        # the variable the app reads
    environments:
      production:
        enabled: true
        targets:
          - name: Everyone
            serve: redesign                 # everyone gets it
    variant_label: "on"
"""


def test_a_messy_manifest_gets_the_canonical_layout() -> None:
    formatted = format_text(MESSY)
    assert formatted == CANONICAL
    assert load_plain(formatted) == load_plain(MESSY)
    assert format_text(formatted) == formatted


def test_words_other_yaml_readers_take_for_booleans_stay_quoted() -> None:
    text = 'flags:\n  - key: f\n    variations:\n      - {key: "on"}\n      - {key: "no"}\n'
    assert format_text(text) == text
    assert load_plain(format_text(text))["flags"][0]["variations"][0]["key"] == "on"


def test_text_that_is_not_yaml_is_a_located_error() -> None:
    with pytest.raises(FormatError) as raised:
        format_text("flags:\n  - key: a\n   name: [b\n")
    assert raised.value.line == 3


def test_an_empty_file_is_left_alone() -> None:
    assert format_text("") == ""
    assert format_text("# only a comment\n") == "# only a comment\n"


# laws

NOT_PRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
"""Characters YAML allows only escaped (JSON leaves them raw with ensure_ascii=False)."""


def _shuffled(value: Any, rng: random.Random, comments: list[str]) -> Any:
    """The same data with keys in another order and comments on some keys."""
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        node = CommentedMap()
        for key in keys:
            node[key] = _shuffled(value[key], rng, comments)
        if (
            keys
            and rng.random() < 0.3
            and all(not isinstance(v, (dict, list)) for v in node.values())
        ):
            marker = f"note {len(comments)}"
            comments.append(marker)
            node.yaml_add_eol_comment(f"# {marker}", keys[-1])
        return node
    if isinstance(value, list):
        return CommentedSeq(_shuffled(item, rng, comments) for item in value)
    return value


def _layouts(draw: st.DrawFn, data: dict[str, Any]) -> tuple[str, list[str]]:
    """A manifest holding `data` in one of several layouts, and the comments it carries."""
    layout = draw(st.sampled_from(["json", "block", "flow-leaves"]))
    if layout == "json":
        text = json.dumps(data, indent=draw(st.sampled_from([None, 1, 4])), ensure_ascii=False)
        return NOT_PRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n", []
    comments: list[str] = []
    rng = random.Random(draw(st.integers(0, 2**32)))
    document = _shuffled(data, rng, comments)
    writer = YAML(typ="rt")
    writer.Representer = ManifestRepresenter  # NEL, LS, PS escaped, as import writes them
    mapping, sequence, offset = draw(st.sampled_from([(2, 2, 0), (4, 4, 2), (3, 5, 3)]))
    writer.indent(mapping=mapping, sequence=sequence, offset=offset)
    writer.default_flow_style = None if layout == "flow-leaves" else False
    writer.width = 4096
    stream = io.StringIO()
    writer.dump(document, stream)
    return stream.getvalue(), comments


@st.composite
def manifests(draw: st.DrawFn) -> tuple[Flag, str, list[str]]:
    flag = draw(flags())
    data = flag_data(flag)
    if draw(st.booleans()):
        data = {**data, "owner": draw(st.sampled_from(["team-web", "on", "a: b", "#1"]))}
    text, comments = _layouts(draw, {"flags": [data]})
    return flag, text, comments


def _readable(text: str) -> bool:
    try:
        load_plain(text)
        YAML(typ="rt").load(text)
    except Exception:  # noqa: BLE001
        return False
    return True


def _means(text: str, flag: Flag) -> bool:
    """Whether `text` reads back as the manifest of `flag` it was written from."""
    try:
        [data] = load_plain(text)["flags"]
        return bool(build_flag(data, ENVIRONMENTS) == flag)
    except Exception:  # noqa: BLE001
        return False


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(manifests())
def test_formatting_keeps_meaning_and_comments_and_is_idempotent(
    case: tuple[Flag, str, list[str]],
) -> None:
    flag, text, comments = case
    assume(_readable(text))  # ruamel writes some strings (`?0`) in a way no reader accepts
    # ... and some (`[?r, '0']` in flow style) in a way that reads back as other data: such a
    # text is not a manifest of `flag`, so it tells nothing about formatting.
    assume(_means(text, flag))
    formatted = format_text(text)
    assert load_plain(formatted) == load_plain(text)
    [data] = load_plain(formatted)["flags"]
    assert build_flag(data, ENVIRONMENTS) == flag
    for marker in comments:
        assert f"# {marker}" in formatted
    assert format_text(formatted) == formatted


TRICKY = ["0:?", "0:?x", "a:?", "1:2", "? a", ": b", "0:,", "a:[", "x:]", "x:{", "x:}"]
"""Strings with `:` before an indicator: libyaml (flagsync's reader) refuses `0:?` plain in a
flow collection (its scanner stops at `:` followed by one of `,?[]{}`), though YAML 1.2
reads it as a string."""


@pytest.mark.parametrize("value", TRICKY)
@pytest.mark.parametrize("flow", [True, False])
def test_strings_with_a_colon_before_an_indicator_format_and_read_back(
    value: str, flow: bool
) -> None:
    quoted = json.dumps(value)
    tags = f"[{quoted}, x]" if flow else f"\n      - {quoted}\n      - x"
    text = f"flags:\n  - key: f\n    name: {quoted}\n    tags: {tags}\n"
    formatted = format_text(text)
    assert load_plain(formatted) == load_plain(text)
    assert load_plain(formatted)["flags"][0]["tags"] == [value, "x"]
    assert format_text(formatted) == formatted
