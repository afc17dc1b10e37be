"""`flagsync test`: run the workspace's flag tests offline (`reconciler.flag_tests`).
Exit 1 when one fails."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from reconciler.commands.options import workspace_option
from reconciler.exits import EXIT_ERROR, EXIT_OK, reports_errors
from reconciler.gc_pause import gc_paused
from reconciler.manifest.loader import load_flags
from reconciler.workspace import load_workspace


@click.command(name="test")
@workspace_option
@click.option("--output", "-o", type=click.Choice(["text", "json", "markdown"]), default="text")
@reports_errors
def test_(workspace_path: Path | None, output: str) -> None:
    """Run the workspace's flag tests offline. Exit 1 when one fails."""
    from reconciler import flag_tests

    workspace = load_workspace(workspace_path)
    with gc_paused():
        flags = load_flags(workspace)
        report = flag_tests.run_tests(workspace, flags)
    if output == "json":
        click.echo(json.dumps(flag_tests.report_json(report), indent=2))
    elif output == "markdown":
        click.echo(flag_tests.render_markdown(report), nl=False)
    else:
        click.echo(flag_tests.render_text(report), nl=False)
    sys.exit(EXIT_ERROR if report.failed else EXIT_OK)
