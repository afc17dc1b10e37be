"""Manifest files written by flagsync (`import`): stable formatting, and comments kept.

ruamel.yaml's round-trip mode writes the YAML: a new file gets the editor modeline and a stable
layout; an existing file is updated in place (its flags replaced by key, new flags appended), so
its comments, its other flags and its order survive.
"""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

MODELINE = "# yaml-language-server: $schema={schema}\n"


# Characters YAML reads as line breaks: a plain or single-quoted scalar holding one comes back
# folded to a space, so such strings are written double-quoted (escaped).
_BREAKS = ("\x85", "\u2028", "\u2029")


def _string(representer: Any, value: str) -> Any:
    style = '"' if any(char in value for char in _BREAKS) else None
    return representer.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.representer.add_representer(str, _string)
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 100
    yaml.preserve_quotes = True
    return yaml


def render_manifest(
    flags: list[dict[str, Any]], schema: str | None = None, section: str = "flags"
) -> str:
    """A new manifest file holding `flags` (or the entries of another `section`: metrics)."""
    stream = io.StringIO()
    if schema:
        stream.write(MODELINE.format(schema=schema))
    _yaml().dump({section: flags}, stream)
    return stream.getvalue()


def update_manifest(text: str, flags: list[dict[str, Any]], section: str = "flags") -> str:
    """`text` with each of `flags` replacing the entry of the same key in `section` (or
    appended)."""
    yaml = _yaml()
    document = yaml.load(text) or CommentedMap()
    entries = document.setdefault(section, CommentedSeq())
    by_key = {entry.get("key"): index for index, entry in enumerate(entries)}
    for flag in flags:
        if flag["key"] in by_key:
            entries[by_key[flag["key"]]] = flag
        else:
            entries.append(flag)
    stream = io.StringIO()
    yaml.dump(document, stream)
    return stream.getvalue()
