"""Command-line options every command shares, defined once so that each command module (the
core commands in `cli.py`, `fmt`, `promote`, `refs`) reads and documents them alike."""

from __future__ import annotations

from pathlib import Path

import click

workspace_option = click.option(
    "--workspace",
    "-w",
    "workspace_path",
    type=click.Path(path_type=Path),
    default=None,
    envvar="FLAGSYNC_WORKSPACE",
    help="The workspace file or its folder (default: ./flagsync.yaml).",
)
