"""What the manifests say about each flag beyond the model: owner, expiry, permanence.

`owner`, `expires` and `permanent` are for the people and policies that govern flags, not for
the vendor: `build_flag` leaves them out of the model, so they are never sent and never differ
from live state (no phantom diffs). Policies read them from here, with the fields a reviewer
judges a new flag by.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from reconciler.manifest.declared import DeclaredManifests
from reconciler.manifest.loader import manifest_files
from reconciler.manifest.source import Document, display_name, read_yaml

METADATA_FIELDS = ("owner", "expires", "permanent", "description", "name", "type", "tags")


def flag_metadata(workspace: DeclaredManifests) -> dict[str, dict[str, Any]]:
    """Per flag key: the metadata fields its manifest declares (absent ones left out), and
    `file`, where it is declared. Reads the files again: only policies need this, and only
    once the manifests were found valid."""
    files, _ = manifest_files(workspace)
    result: dict[str, dict[str, Any]] = {}
    for path in files:
        name = display_name(path)
        document = read_yaml(path, name)
        if not isinstance(document, Document) or not isinstance(document.data, dict):
            continue
        for flag in document.data.get("flags") or []:
            if isinstance(flag, dict) and isinstance(flag.get("key"), str):
                entry = {field: flag[field] for field in METADATA_FIELDS if field in flag}
                entry["file"] = name
                result[flag["key"]] = entry
    return result


class LazyFlagMetadata(Mapping[str, dict[str, Any]]):
    """`flag_metadata`, read the first time it is asked for. A policy whose rules look at no
    flag's metadata (no custom rule, and no new flag for `require_on_new_flags` to judge)
    then costs no second read of the manifests: at 10,000 flags that read is seconds."""

    def __init__(self, workspace: DeclaredManifests) -> None:
        self._workspace = workspace
        self._found: dict[str, dict[str, Any]] | None = None

    def _all(self) -> dict[str, dict[str, Any]]:
        if self._found is None:
            self._found = flag_metadata(self._workspace)
        return self._found

    def __getitem__(self, key: str) -> dict[str, Any]:
        return self._all()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())
