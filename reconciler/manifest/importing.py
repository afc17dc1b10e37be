"""Where imported flags, experiments and holdouts go: the file that already declares them, or
a new one."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from reconciler import redact
from reconciler.errors import UsageError
from reconciler.manifest.declared import DeclaredManifests
from reconciler.manifest.emit import IDENTITY, render_sections, update_sections
from reconciler.manifest.loader import manifest_files
from reconciler.manifest.source import Document, display_name, read_yaml
from reconciler.manifest.write import audience_data, custom_property_data, flag_data, metric_data
from reconciler.manifest.write_experiments import experiment_data, holdout_data
from reconciler.model import FlagSet

SHARED_FILE = "audiences.yaml"
"""The new file imported custom properties and audiences go to."""
HOLDOUTS_FILE = "holdouts.yaml"
"""New holdouts (named, not keyed: a name is no file name) go to this file of the folder."""


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0


def write_imported(
    workspace: DeclaredManifests, flags: FlagSet, out_dir: Path | None, single_file: Path | None
) -> ImportResult:
    """Write `flags` (with its experiments, holdouts, custom properties and audiences) as
    manifests: rewritten in place where a manifest declares them already, else into
    `single_file`, or into `out_dir` (default: the workspace's first manifests folder): one new
    file per flag or experiment, new holdouts together in `holdouts.yaml`, new custom properties
    and audiences together in `audiences.yaml`, the metrics the flags use in `metrics.yaml`."""
    declared = _declarations(workspace)
    folder = out_dir or next((p for p in workspace.manifests if p.suffix == ""), None)
    items: list[tuple[str, str, str, dict[str, Any]]] = [
        ("custom_properties", key, SHARED_FILE, custom_property_data(prop))
        for key, prop in sorted(flags.custom_properties.items())
    ]
    items += [
        ("audiences", key, SHARED_FILE, audience_data(audience))
        for key, audience in sorted(flags.audiences.items())
    ]
    items += [
        ("flags", key, f"{key}.yaml", flag_data(flag, workspace.provider))
        for key, flag in sorted(flags.flags.items())
    ]
    # The metrics the imported flags measure (DevCycle), so the manifests validate.
    used = sorted({key for flag in flags.flags.values() for key in flag.metrics})
    items += [
        ("metrics", key, "metrics.yaml", metric_data(flags.metrics[key]))
        for key in used
        if key in flags.metrics
    ]
    items += [
        ("experiments", key, f"{key}.yaml", experiment_data(experiment))
        for key, experiment in sorted(flags.experiments.items())
    ]
    items += [
        ("holdouts", name, HOLDOUTS_FILE, holdout_data(holdout))
        for name, holdout in sorted(flags.holdouts.items())
    ]
    updates: dict[Path, dict[str, list[dict[str, Any]]]] = {}
    for section, identity, file_name, data in items:
        target = declared.get((section, identity)) or single_file
        if target is None:
            if folder is None:
                raise UsageError("--out FOLDER is needed: the workspace names no folder")
            target = folder / file_name
        updates.setdefault(target, {}).setdefault(section, []).append(data)
    result = ImportResult()
    for path, sections in updates.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            redact.write_text(path, update_sections(path.read_text(encoding="utf-8"), sections))
            result.updated += 1
        else:
            schema = _schema_reference(path, workspace.file.parent)
            redact.write_text(path, render_sections(sections, schema=schema))
            result.created += 1
    return result


def _declarations(workspace: DeclaredManifests) -> dict[tuple[str, str], Path]:
    """(section, key or name) -> the manifest file that declares it (files that do not parse
    are skipped)."""
    files, _ = manifest_files(workspace)
    found: dict[tuple[str, str], Path] = {}
    for path in files:
        document = read_yaml(path, display_name(path))
        if not isinstance(document, Document) or not isinstance(document.data, dict):
            continue
        for section, identity in IDENTITY.items():
            for entry in document.data.get(section) or []:
                if isinstance(entry, dict) and isinstance(entry.get(identity), str):
                    found.setdefault((section, entry[identity]), path)
    return found


def _schema_reference(path: Path, workspace_dir: Path) -> str:
    """The editor modeline's schema, always relative (the files are meant for Git, where a
    machine-local absolute path means nothing): the project's `schemas/` folder when there is
    one above the file, else a copy of flagsync's schema written beside the workspace file."""
    for parent in path.resolve().parents:
        candidate = parent / "schemas" / "manifest.schema.json"
        if candidate.exists():
            return os.path.relpath(candidate, path.resolve().parent)
    copy = workspace_dir.resolve() / "schemas" / "manifest.schema.json"
    copy.parent.mkdir(parents=True, exist_ok=True)
    shipped = resources.files("reconciler").joinpath("schemas", "manifest.schema.json")
    copy.write_text(shipped.read_text(encoding="utf-8"), encoding="utf-8")
    return os.path.relpath(copy, path.resolve().parent)
