"""Command-line options several commands share, defined once so that each command module reads
and documents them alike: `--workspace` (every command that reads a workspace), `--quiet`, and
the selection and ownership switches of `plan` and `apply`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click

from reconciler.errors import FlagsyncError
from reconciler.exits import F
from reconciler.exits import notes as _notes
from reconciler.manifest.loader import load_flags
from reconciler.reconcile import PlanOptions
from reconciler.render import RENDERERS
from reconciler.workspace import Workspace, load_workspace

workspace_option = click.option(
    "--workspace",
    "-w",
    "workspace_path",
    type=click.Path(path_type=Path),
    default=None,
    envvar="FLAGSYNC_WORKSPACE",
    help="The workspace file or its folder (default: ./flagsync.yaml).",
)


def output_option(
    help: str, choices: Iterable[str] | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`--output/-o`: how a command prints what it found (text by default); the choices are the
    plan renderers unless the command prints something else (problems, for `validate`)."""
    return click.option(
        "--output",
        "-o",
        type=click.Choice(sorted(RENDERERS if choices is None else choices)),
        default="text",
        show_default=True,
        help=help,
    )


quiet_option = click.option(
    "--quiet", "-q", is_flag=True, help="Print only the plan and the outcome, not every request."
)


def retry_note(quiet: bool) -> Callable[[str], None] | None:
    """Retries are reported on stderr as they happen (unless --quiet)."""
    if quiet:
        return None
    return _notes.note


def _completion_workspace(ctx: click.Context) -> Workspace | None:
    """The workspace a command line being completed names (None when it cannot be read:
    completion then offers nothing rather than an error)."""
    try:
        return load_workspace(ctx.params.get("workspace_path"))
    except (FlagsyncError, OSError):
        return None


def _complete_environments(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[str]:
    workspace = _completion_workspace(ctx)
    names = workspace.environment_names if workspace else []
    return [name for name in names if name.startswith(incomplete)]


def _complete_flag_keys(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    workspace = _completion_workspace(ctx)
    if workspace is None:
        return []
    try:
        flags = load_flags(workspace)
    except (FlagsyncError, OSError):
        return []
    keys = [*flags.flags, *flags.experiments]
    return sorted(key for key in keys if key.startswith(incomplete))


def selection_options(command: F) -> F:
    """Options shared by plan and apply: what to include, and the ownership switches."""
    options = [
        click.option(
            "--flag",
            "flag_patterns",
            multiple=True,
            metavar="PATTERN",
            help="Only flags whose key matches (shell pattern, e.g. 'checkout-*'); repeatable.",
            shell_complete=_complete_flag_keys,
        ),
        click.option(
            "--env",
            "environments",
            multiple=True,
            metavar="NAME",
            help="Only this environment's targeting; repeatable.",
            shell_complete=_complete_environments,
        ),
        click.option(
            "--prune/--no-prune",
            default=None,
            help="Delete flags flagsync created that are gone from the manifests "
            "(default: the workspace's `prune`, else no).",
        ),
        click.option(
            "--adopt", is_flag=True, help="Take over existing flags flagsync did not create."
        ),
        click.option(
            "--cancel-stale",
            is_flag=True,
            help="Cancel change requests flagsync opened for changes the manifests no longer want.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def plan_options(
    workspace: Workspace,
    flag_patterns: tuple[str, ...],
    environments: tuple[str, ...],
    prune: bool | None,
    adopt: bool,
    cancel_stale: bool = False,
) -> PlanOptions:
    """What the selection options ask, with the workspace's `prune` as the default."""
    return PlanOptions(
        prune=workspace.prune if prune is None else prune,
        adopt=adopt,
        cancel_stale=cancel_stale,
        flag_patterns=flag_patterns,
        environments=environments,
    )
