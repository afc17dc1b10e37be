"""Manifest files written by flagsync (`import`): stable formatting, and comments kept.

ruamel.yaml's round-trip mode writes the YAML: a new file gets the editor modeline and a stable
layout; an existing file is updated in place (its flags, experiments and holdouts replaced by
key or name, new ones appended to their section), so its comments, its other entries and its
order survive.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.representer import RoundTripRepresenter

KEPT = {"flags": ("owner", "expires", "permanent")}
"""Fields only the manifest knows (live state has no such thing): kept when import rewrites
an entry, never replaced by what the vendor returned."""
MODELINE = "# yaml-language-server: $schema={schema}\n"
IDENTITY = {
    "custom_properties": "key",
    "audiences": "key",
    "metrics": "key",
    "flags": "key",
    "holdouts": "name",
    "experiments": "key",
}
"""The field that identifies an entry of each manifest section."""

Sections = Mapping[str, list[dict[str, Any]]]
"""Entries to write, by section (a key of `IDENTITY`)."""


_UNICODE_BREAKS = ("\x85", "\u2028", "\u2029")
_FLOW_UNSAFE = re.compile(r"^[?:]|:[,?\[\]{}]")
"""Plain strings libyaml (which reads the manifests) refuses or misreads inside a flow
collection, though ruamel writes them plain there: a leading `?` or `:` (`[? a]` is a mapping,
`[: b]` an error), and `:` followed by one of `,?[]{}` (`[0:?]`: libyaml's scanner,
`yaml_parser_scan_plain_scalar` in src/scanner.c, stops with "found unexpected ':'", where
YAML 1.2 reads the string `0:?`)."""


def needs_quotes(data: str) -> bool:
    """Whether `data` must be written quoted for libyaml to read it back as the same string,
    in block or flow style alike (quoted when in doubt)."""
    return _FLOW_UNSAFE.search(data) is not None or any(c in data for c in _UNICODE_BREAKS)


class _Representer(RoundTripRepresenter):
    """Strings with NEL, LS or PS are written double-quoted, where they are escapes: in a
    plain or single-quoted scalar ruamel writes them raw, and YAML 1.1 readers (libyaml, which
    reads the manifests) take them for line breaks, so the text would not read back. So are
    the strings ruamel would write plain where libyaml cannot read them (`needs_quotes`)."""

    def represent_str(self, data: str) -> Any:
        if needs_quotes(data):
            return self.represent_scalar("tag:yaml.org,2002:str", data, style='"')
        return super().represent_str(data)


_Representer.add_representer(str, _Representer.represent_str)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Representer = _Representer
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 100
    yaml.preserve_quotes = True
    return yaml


def render_manifest(flags: list[dict[str, Any]], schema: str | None = None) -> str:
    """A new manifest file holding `flags`."""
    return render_sections({"flags": flags}, schema)


def render_sections(sections: Sections, schema: str | None = None) -> str:
    """A new manifest file holding the non-empty `sections`, in the order of `IDENTITY`."""
    stream = io.StringIO()
    if schema:
        stream.write(MODELINE.format(schema=schema))
    _yaml().dump({name: sections[name] for name in IDENTITY if sections.get(name)}, stream)
    return stream.getvalue()


def update_manifest(text: str, flags: list[dict[str, Any]]) -> str:
    """`text` with each of `flags` replacing the flag of the same key (or appended)."""
    return update_sections(text, {"flags": flags})


def update_sections(text: str, sections: Sections) -> str:
    """`text` with each entry replacing the entry of its section with the same key (name for
    holdouts), or appended to the section (created when the file lacks it)."""
    yaml = _yaml()
    document = yaml.load(text) or CommentedMap()
    for name, items in sections.items():
        if not items:
            continue
        entries = document.setdefault(name, CommentedSeq())
        if entries is None:
            entries = document[name] = CommentedSeq()
        identity = IDENTITY[name]
        by_id = {entry.get(identity): index for index, entry in enumerate(entries)}
        for item in items:
            if item[identity] in by_id:
                entry = entries[by_id[item[identity]]]
                kept = {field: entry[field] for field in KEPT.get(name, ()) if field in entry}
                entries[by_id[item[identity]]] = {**item, **kept}
            else:
                entries.append(item)
    stream = io.StringIO()
    yaml.dump(document, stream)
    return stream.getvalue()
