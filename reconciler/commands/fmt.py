"""`flagsync fmt [--check] [PATH...]`: rewrite manifests in the canonical layout.

Without PATH it formats the workspace's manifests; a folder is searched for `.yaml`/`.yml`
files. `--check` changes nothing: it lists the files that are not formatted, with a diff, and
exits 1 (for CI and the pre-commit hook). The workspace file is left as it is written.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

import click

from reconciler.errors import Problem, ValidationFailed
from reconciler.exits import reports_errors
from reconciler.manifest.format import FormatError, format_text
from reconciler.manifest.loader import MANIFEST_SUFFIXES, manifest_files
from reconciler.workspace import display_name, load_workspace


def _files(paths: tuple[Path, ...], workspace_path: Path | None) -> list[Path]:
    if not paths:
        files, problems = manifest_files(load_workspace(workspace_path))
        if problems:
            raise ValidationFailed(problems)
        return files
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                p for p in path.rglob("*") if p.suffix in MANIFEST_SUFFIXES and p.is_file()
            )
        elif path.is_file():
            found.append(path)
        else:
            raise ValidationFailed([Problem(str(path), 1, 1, "no such file or folder")])
    return list(dict.fromkeys(found))


def run_fmt(paths: tuple[Path, ...], check: bool, workspace_path: Path | None) -> int:
    """Format (or check) the files; the exit code."""
    problems: list[Problem] = []
    changed: list[str] = []
    for path in _files(paths, workspace_path):
        name = display_name(path)
        try:
            text = path.read_text(encoding="utf-8")
            formatted = format_text(text)
        except FormatError as error:
            problems.append(Problem(name, error.line, error.column, str(error)))
            continue
        except (OSError, UnicodeDecodeError) as error:
            problems.append(Problem(name, 1, 1, f"cannot read: {error}"))
            continue
        if formatted == text:
            continue
        changed.append(name)
        if check:
            diff = difflib.unified_diff(
                text.splitlines(keepends=True),
                formatted.splitlines(keepends=True),
                f"{name} (as written)",
                f"{name} (formatted)",
            )
            click.echo("".join(diff), nl=False)
        else:
            path.write_text(formatted, encoding="utf-8")
    if problems:
        raise ValidationFailed(problems)
    if check and changed:
        click.echo(f"{len(changed)} file(s) not formatted: {', '.join(changed)}", err=True)
        click.echo("Run `flagsync fmt` to format them.", err=True)
        return 1
    if not check:
        click.echo(
            f"Formatted {len(changed)} file(s)" + (f": {', '.join(changed)}" if changed else ".")
        )
    return 0


@click.command("fmt")
@click.option(
    "--workspace",
    "-w",
    "workspace_path",
    type=click.Path(path_type=Path),
    default=None,
    envvar="FLAGSYNC_WORKSPACE",
    help="The workspace whose manifests to format when no PATH is given.",
)
@click.option("--check", is_flag=True, help="Change nothing; exit 1 listing unformatted files.")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def fmt(workspace_path: Path | None, check: bool, paths: tuple[Path, ...]) -> None:
    """Rewrite manifests in one canonical layout (key order, indentation, quoting), keeping
    comments. --check: exit 1 with a diff when a file is not formatted."""
    sys.exit(reports_errors(run_fmt)(paths, check, workspace_path))
