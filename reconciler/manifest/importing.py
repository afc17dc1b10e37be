"""Where imported flags go: the file that already declares them, or a new one."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from reconciler.errors import FlagsyncError
from reconciler.manifest.audiences import AUDIENCES, CUSTOM_PROPERTIES
from reconciler.manifest.emit import render_manifest, update_manifest
from reconciler.manifest.loader import manifest_files
from reconciler.manifest.source import Document, read_yaml
from reconciler.manifest.write import audience_data, custom_property_data, flag_data
from reconciler.model import FlagSet
from reconciler.workspace import Workspace, display_name

SHARED_FILE = "audiences.yaml"
"""The new file imported custom properties and audiences go to."""


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0


def write_imported(
    workspace: Workspace, flags: FlagSet, out_dir: Path | None, single_file: Path | None
) -> ImportResult:
    """Write `flags` as manifests: rewritten in place where a manifest declares them already,
    else into `single_file` or one new file per flag in `out_dir` (default: the workspace's
    first manifests folder)."""
    declared = {
        section: _declarations(workspace, section)
        for section in ("flags", AUDIENCES, CUSTOM_PROPERTIES)
    }
    folder = out_dir or next((p for p in workspace.manifests if p.suffix == ""), None)
    updates: dict[Path, dict[str, list[dict[str, object]]]] = {}

    def add(section: str, key: str, new_file: str, entry: dict[str, Any]) -> None:
        target = declared[section].get(key) or single_file
        if target is None:
            if folder is None:
                raise FlagsyncError("--out FOLDER is needed: the workspace names no folder")
            target = folder / new_file
        updates.setdefault(target, {}).setdefault(section, []).append(entry)

    # Custom properties and audiences first: a new file holding them reads top-down.
    for key, prop in sorted(flags.custom_properties.items()):
        add(CUSTOM_PROPERTIES, key, SHARED_FILE, custom_property_data(prop))
    for key, audience in sorted(flags.audiences.items()):
        add(AUDIENCES, key, SHARED_FILE, audience_data(audience))
    for key, flag in sorted(flags.flags.items()):
        add("flags", key, f"{key}.yaml", flag_data(flag, workspace.provider))
    result = ImportResult()
    for path, sections in updates.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        existed = path.exists()
        text = path.read_text(encoding="utf-8") if existed else None
        for section, entries in sections.items():
            if text is None:
                text = render_manifest(entries, _schema_reference(path), section)
            else:
                text = update_manifest(text, entries, section)
        path.write_text(text or "")
        if existed:
            result.updated += 1
        else:
            result.created += 1
    return result


def _declarations(workspace: Workspace, section: str) -> dict[str, Path]:
    """Key -> the manifest file that declares it in `section` (files that do not parse are
    skipped)."""
    files, _ = manifest_files(workspace)
    found: dict[str, Path] = {}
    for path in files:
        document = read_yaml(path, display_name(path))
        if isinstance(document, Document) and isinstance(document.data, dict):
            for entry in document.data.get(section) or []:
                if isinstance(entry, dict) and isinstance(entry.get("key"), str):
                    found.setdefault(entry["key"], path)
    return found


def _schema_reference(path: Path) -> str:
    """The editor modeline's schema: the project's `schemas/` folder when there is one above
    the file, else the schema shipped with flagsync."""
    for parent in path.resolve().parents:
        candidate = parent / "schemas" / "manifest.schema.json"
        if candidate.exists():
            return os.path.relpath(candidate, path.resolve().parent)
    return str(resources.files("reconciler").joinpath("schemas", "manifest.schema.json"))
