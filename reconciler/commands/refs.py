"""`flagsync refs [PATH...]`: where code names the workspace's flags.

Reports declared flags no code references (candidates for removal), keys code uses that no
manifest declares, and every reference to an expired flag, as text, JSON or Markdown.
Exit 0 (a report, not a check), 1 on bad input.
"""

from __future__ import annotations

import time
from importlib import import_module
from pathlib import Path

import click

from reconciler.code_patterns import Pattern
from reconciler.commands.options import output_option, workspace_option
from reconciler.errors import UsageError
from reconciler.exits import reports_errors
from reconciler.gc_pause import gc_paused
from reconciler.lifecycle import today
from reconciler.manifest.loader import load_flags
from reconciler.manifest.metadata import flag_metadata
from reconciler.providers.registry import VENDORS
from reconciler.refs.config import load_refs_config
from reconciler.refs.files import source_files
from reconciler.refs.report import RENDERERS, RefsReport, build_report, declared_flag
from reconciler.refs.scan import scan
from reconciler.workspace import Workspace, load_workspace


def default_patterns(vendor: str) -> list[Pattern]:
    """The vendor's SDK calls: by convention its package's `code_refs.patterns()` (none when
    the vendor's package has no such module)."""
    name = f"{VENDORS[vendor]}.code_refs"
    try:
        module = import_module(name)
    except ModuleNotFoundError as missing:
        if missing.name != name:
            raise
        return []
    patterns: list[Pattern] = module.patterns()
    return patterns


def run_refs(workspace: Workspace, paths: tuple[Path, ...]) -> RefsReport:
    config = load_refs_config(workspace)
    patterns: list[Pattern] = list(config.patterns)
    if config.default_patterns:
        patterns = default_patterns(workspace.provider) + patterns
    with gc_paused():
        flags = load_flags(workspace)
    metadata = flag_metadata(workspace)
    declared = [
        declared_flag(key, metadata.get(key, {}), tuple(flag.variables))
        for key, flag in flags.flags.items()
    ] + [declared_flag(key, metadata.get(key, {}), ()) for key in flags.experiments]
    started = time.perf_counter()
    for path in paths:
        if not path.exists():
            raise UsageError(f"{path}: no such file or folder")
    root, files = source_files(
        workspace.file.resolve().parent, paths or config.paths, config.exclude
    )
    scanned, references = scan(root, files, patterns)
    report = build_report(declared, references, scanned, today())
    report.seconds = time.perf_counter() - started
    return report


@click.command("refs")
@workspace_option
@output_option("How to print the report (markdown: for a pull request comment).")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@reports_errors
def refs_command(workspace_path: Path | None, output: str, paths: tuple[Path, ...]) -> None:
    """Find where code names the flags: unreferenced flags, undeclared keys, expired flags.

    \b
    Scans PATHs, else the workspace's `refs.paths`, else the Git repository around the
    workspace (.gitignore honoured), for the vendor SDKs' flag calls and `refs.patterns`.
    """
    report = run_refs(load_workspace(workspace_path), paths)
    click.echo(RENDERERS[output](report), nl=False)
