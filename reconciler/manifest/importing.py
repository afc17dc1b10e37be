"""Where imported flags go: the file that already declares them, or a new one."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from reconciler.errors import FlagsyncError
from reconciler.manifest.emit import render_manifest, update_manifest
from reconciler.manifest.loader import manifest_files
from reconciler.manifest.source import Document, read_yaml
from reconciler.manifest.write import flag_data
from reconciler.model import FlagSet
from reconciler.workspace import Workspace, display_name


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
    declared = _declarations(workspace)
    folder = out_dir or next((p for p in workspace.manifests if p.suffix == ""), None)
    updates: dict[Path, list[dict[str, object]]] = {}
    for key, flag in sorted(flags.flags.items()):
        target = declared.get(key) or single_file
        if target is None:
            if folder is None:
                raise FlagsyncError("--out FOLDER is needed: the workspace names no folder")
            target = folder / f"{key}.yaml"
        updates.setdefault(target, []).append(flag_data(flag, workspace.provider))
    result = ImportResult()
    for path, entries in updates.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            path.write_text(update_manifest(path.read_text(encoding="utf-8"), entries))
            result.updated += 1
        else:
            path.write_text(render_manifest(entries, schema=_schema_reference(path)))
            result.created += 1
    return result


def _declarations(workspace: Workspace) -> dict[str, Path]:
    """Flag key -> the manifest file that declares it (files that do not parse are skipped)."""
    files, _ = manifest_files(workspace)
    found: dict[str, Path] = {}
    for path in files:
        document = read_yaml(path, display_name(path))
        if isinstance(document, Document) and isinstance(document.data, dict):
            for entry in document.data.get("flags") or []:
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
