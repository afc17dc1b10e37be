"""`flagsync drift`: where the live state differs from Git, for a scheduled job.
Exit 2: drift, 0: none, 1: error."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from reconciler.commands.options import output_option, quiet_option, workspace_option
from reconciler.commands.plan import read_only_plan
from reconciler.exits import EXIT_CHANGES, EXIT_OK, reports_errors
from reconciler.reconcile import PlanOptions
from reconciler.render import RENDERERS, render_json
from reconciler.workspace import load_workspace


@click.command()
@workspace_option
@output_option("How to print the report (json for alerting).")
@quiet_option
@reports_errors
def drift(workspace_path: Path | None, output: str, quiet: bool) -> None:
    """Report where live state differs from Git (for a scheduled job). Exit 2: drift, 0: none.

    The report is the plan that would undo the drift, plus the flags nobody declared: those
    in the project but in no manifest (unmanaged), flagsync's own flags gone from the
    manifests, and existing flags the manifests declare that flagsync never took over.
    """
    workspace = load_workspace(workspace_path)
    the_plan = read_only_plan(workspace, PlanOptions(), quiet)
    drifted = bool(the_plan.changes or the_plan.orphans or the_plan.adoptable or the_plan.blocked)
    if output == "json":
        report = json.loads(render_json(the_plan))
        report = {"drift": drifted, **report}
        click.echo(json.dumps(report, indent=2))
    else:
        heading = (
            "Drift: the live state differs from the manifests."
            if drifted
            else ("No drift: the live state matches the manifests.")
        )
        if output == "markdown":
            click.echo(f"**{heading}**\n")
        else:
            click.echo(click.style(heading, bold=True))
        click.echo(RENDERERS[output](the_plan), nl=False)
    sys.exit(EXIT_CHANGES if drifted else EXIT_OK)
