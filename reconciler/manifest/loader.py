"""Load every manifest of a workspace into one validated `FlagSet`, or report every problem."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from reconciler.errors import Problem, ValidationFailed
from reconciler.manifest import audiences, experiments, holdouts, metrics, schema_check
from reconciler.manifest.build import build_flag
from reconciler.manifest.declared import DeclaredManifests
from reconciler.manifest.lean_load import LeanLoad
from reconciler.manifest.provider_rules import foreign_settings, rules_for
from reconciler.manifest.reading import PendingReads, Read
from reconciler.manifest.rules import check_all, flag_sites
from reconciler.manifest.source import Document, display_name, read_yaml
from reconciler.model import EnvironmentConfig, Flag, FlagSet

MANIFEST_SUFFIXES = (".yaml", ".yml")


def manifest_files(workspace: DeclaredManifests) -> tuple[list[Path], list[Problem]]:
    """The manifest files the workspace names, sorted, folders searched recursively."""
    files: list[Path] = []
    problems: list[Problem] = []
    workspace_name = display_name(workspace.file)
    for entry in workspace.manifests:
        if entry.is_dir():
            files.extend(
                sorted(p for p in entry.rglob("*") if p.suffix in MANIFEST_SUFFIXES and p.is_file())
            )
        elif entry.is_file():
            files.append(entry)
        else:
            line, col = _manifests_position(workspace.file)
            default = "" if line > 1 or col > 1 else " (the default when `manifests:` is not set)"
            problems.append(
                Problem(
                    workspace_name,
                    line,
                    col,
                    f"manifests: '{display_name(entry)}' does not exist{default}; create it, "
                    "or point `manifests:` at your manifest folder or files",
                )
            )
    unique = list(dict.fromkeys(path.resolve() for path in files))
    return [path for path in unique if path != workspace.file.resolve()], problems


def _manifests_position(file: Path) -> tuple[int, int]:
    """Where the workspace file sets `manifests:` (its value), or 1:1 when it does not."""
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except OSError:
        return 1, 1
    for number, line in enumerate(lines, start=1):
        found = re.match(r"manifests\s*:\s*", line)
        if found:
            return number, found.end() + 1
    return 1, 1


class PendingManifests:
    """A workspace's manifests, being read (in worker processes when large) while the caller
    does other work; `load_flags` takes it. Start it before starting threads: see `reading`."""

    def __init__(self, workspace: DeclaredManifests) -> None:
        files, self.problems = manifest_files(workspace)
        self.files = [(path, display_name(path)) for path in files]
        self.reads = PendingReads(self.files)

    def close(self) -> None:
        """Stop reading (when the command fails before it needs the manifests)."""
        self.reads.close()


def _build_early(
    document: Document,
    workspace: DeclaredManifests,
    shared: dict[str, EnvironmentConfig] | None = None,
) -> Iterator[tuple[tuple[str, int], Flag]]:
    """The flags of a document that passed the schema, built while worker processes still
    read the other files: building is most of a large load's own work. The rules across
    files have not run yet, so a flag they would refuse may fail to build here; it is simply
    left out, and built again (or refused) once the rules have run."""
    for index, data in enumerate(document.data.get("flags") or []):
        try:
            flag = build_flag(data, workspace.environment_names, workspace.provider, shared)
        except Exception:  # noqa: BLE001 - any failure is reported by the rules or the rebuild
            continue
        yield (document.name, index), flag


def load_flags(workspace: DeclaredManifests, pending: PendingManifests | None = None) -> FlagSet:
    """Parse, schema-check, rule-check and build every manifest; raise `ValidationFailed` with
    every problem found when anything is wrong, so the user fixes them in one pass.

    `pending`: the reading already started by `PendingManifests(workspace)`."""
    pending = pending or PendingManifests(workspace)
    lean = LeanLoad(workspace, ready=not pending.problems)
    kept: list[Read | tuple[Path, str]] = []  # a file let go of: its path and name
    for source, parsed in zip(pending.files, pending.reads.results(), strict=True):
        kept.append(source if lean.take(parsed) else parsed)
        del parsed  # (the file's data goes now, not when the next one arrives)
    if lean.finish():
        return audiences.with_declared_types(FlagSet(flags={f.key: f for f in lean.flags}))
    reads = (read_yaml(*item) if isinstance(item, tuple) else item for item in kept)
    return _check_and_build(workspace, pending.problems, reads)


def _check_and_build(
    workspace: DeclaredManifests, file_problems: list[Problem], reads: Iterable[Read]
) -> FlagSet:
    """Every rule over every file at once: for a workspace with a problem, or with sections
    checked against its flags, where each message must be found exactly as it always was."""
    problems = list(file_problems)
    documents: list[Document] = []
    skipped: set[tuple[str, str, int]] = set()  # (file, section, index) the schema refused
    early: dict[tuple[str, int], Flag] = {}
    shared: dict[str, EnvironmentConfig] = {}  # environments configured alike: one model
    for parsed in reads:
        if isinstance(parsed, Problem):
            problems.append(parsed)
            continue
        if parsed.data is None:
            # An empty file is almost always a mistake (a save that went wrong, a template
            # never filled in): said, not silently read as "no flags".
            problems.append(
                Problem(
                    parsed.name,
                    1,
                    1,
                    "the file is empty (or only comments): declare `flags:` in it, or delete it",
                )
            )
            continue
        errors = schema_check.located_errors(parsed, "manifest")
        problems.extend(problem for _, problem in errors)
        if any(len(path) < 2 for path, _ in errors):
            continue  # the file's shape is wrong: nothing in it can be checked further
        documents.append(parsed)
        skipped.update((parsed.name, path[0], path[1]) for path, _ in errors)
        if not problems:
            early.update(_build_early(parsed, workspace, shared))
    # Flags that passed the schema get the semantic checks too, so one run reports everything.
    sites = [s for s in flag_sites(documents) if (s.document.name, "flags", s.index) not in skipped]
    found = [
        s
        for s in experiments.experiment_sites(documents)
        if (s.document.name, experiments.SECTION, s.index) not in skipped
    ]
    held = [
        s
        for s in holdouts.holdout_sites(documents)
        if (s.document.name, holdouts.SECTION, s.index) not in skipped
    ]
    metric_sites = [
        s
        for s in metrics.metric_sites(documents)
        if (s.document.name, metrics.SECTION, s.index) not in skipped
    ]
    vendor = rules_for(workspace.provider)
    problems.extend(check_all(sites, workspace.environment_names, workspace.provider))
    problems.extend(vendor.check_metrics(metric_sites, sites))
    problems.extend(vendor.check_flags(sites))
    problems.extend(foreign_settings(sites, workspace.provider))
    problems.extend(vendor.check_experiments(found, sites, workspace.environment_names))
    problems.extend(vendor.check_holdouts(held, found, workspace.environment_names))
    declared_audiences, declared_properties = (
        [
            s
            for s in audiences.section_sites(documents, section)
            if (s.document.name, section, s.index) not in skipped
        ]
        for section in (audiences.AUDIENCES, audiences.CUSTOM_PROPERTIES)
    )
    problems.extend(vendor.check_audiences(declared_audiences, declared_properties, sites))
    if problems:
        raise ValidationFailed(problems)
    flags = [
        early.get((site.document.name, site.index))
        or build_flag(site.data, workspace.environment_names, workspace.provider)
        for site in sites
    ]
    built = [experiments.build_experiment(site.data) for site in found]
    flag_set = FlagSet(
        flags={flag.key: flag for flag in flags},
        experiments={experiment.key: experiment for experiment in built},
        holdouts={h.name: h for h in (holdouts.build_holdout(site.data) for site in held)},
        audiences={
            site.data["key"]: audiences.build_reusable_audience(site.data)
            for site in declared_audiences
        },
        custom_properties={
            site.data["key"]: audiences.build_custom_property(site.data)
            for site in declared_properties
        },
        metrics={m.key: m for m in (metrics.build_metric(site.data) for site in metric_sites)},
    )
    return audiences.with_declared_types(flag_set)


def locate_audience_reference(
    workspace: DeclaredManifests, flag_key: str, environment: str, audience_key: str
) -> str | None:
    """`file:line:col` of the first reference to reusable audience `audience_key` in flag
    `flag_key`'s targets for `environment`: for an error found only at plan time, when the
    models no longer know where they were written. None when it cannot be found."""
    files, _ = manifest_files(workspace)
    for path in files:
        document = read_yaml(path, display_name(path))
        if not isinstance(document, Document) or not isinstance(document.data, dict):
            continue
        for index, flag in enumerate(document.data.get("flags") or []):
            if not isinstance(flag, dict) or flag.get("key") != flag_key:
                continue
            config = (flag.get("environments") or {}).get(environment)
            targets = config.get("targets") if isinstance(config, dict) else None
            for number, target in enumerate(targets or []):
                found = _audience_path(target, audience_key) if isinstance(target, dict) else None
                if found is not None:
                    path_in: list[str | int] = ["flags", index, "environments"]
                    path_in += [environment, "targets", number]
                    line, col = document.locate([*path_in, *found])
                    return f"{document.name}:{line}:{col}"
    return None


def _audience_path(node: Any, audience_key: str) -> list[str | int] | None:
    """The path within `node` to an `audience:` filter naming `audience_key`."""
    if isinstance(node, dict):
        for name, value in node.items():
            names = value if isinstance(value, list) else [value]
            if name == "audience" and audience_key in names and not isinstance(value, dict):
                return [name]
            inner = _audience_path(value, audience_key)
            if inner is not None:
                return [name, *inner]
    elif isinstance(node, list):
        for number, item in enumerate(node):
            inner = _audience_path(item, audience_key)
            if inner is not None:
                return [number, *inner]
    return None
