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
from reconciler.manifest.write import flag_data, metric_data
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
    folder = out_dir or next((p for p in workspace.manifests if p.suffix == ""), None)

    def place(declared: Path | None, name: str) -> Path:
        if declared or single_file:
            return declared or single_file  # type: ignore[return-value]
        if folder is None:
            raise FlagsyncError("--out FOLDER is needed: the workspace names no folder")
        return folder / f"{name}.yaml"

    declared = _declarations(workspace)
    updates: dict[Path, list[dict[str, object]]] = {}
    for key, flag in sorted(flags.flags.items()):
        target = place(declared.get(key), key)
        updates.setdefault(target, []).append(flag_data(flag, workspace.provider))
    result = ImportResult()
    _write(updates, "flags", result)
    # The metrics the imported flags measure (DevCycle), so the manifests validate.
    used = sorted({key for flag in flags.flags.values() for key in flag.metrics})
    declared_metrics = _declarations(workspace, "metrics")
    metric_updates: dict[Path, list[dict[str, object]]] = {}
    for key in used:
        if key in flags.metrics:
            target = place(declared_metrics.get(key), "metrics")
            metric_updates.setdefault(target, []).append(metric_data(flags.metrics[key]))
    _write(metric_updates, "metrics", result)
    return result


def _write(
    updates: dict[Path, list[dict[str, object]]], section: str, result: ImportResult
) -> None:
    for path, entries in updates.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            text = path.read_text(encoding="utf-8")
            path.write_text(update_manifest(text, entries, section))
            result.updated += 1
        else:
            path.write_text(render_manifest(entries, _schema_reference(path), section))
            result.created += 1


def _declarations(workspace: Workspace, section: str = "flags") -> dict[str, Path]:
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
