"""`flagsync plan`: show what apply would change. Exit 0: no changes, 2: changes, 1: error.

Also how the manifests are planned for every command that plans (`drift`, `apply`): the
manifests start loading before the live state is downloaded, so both proceed together.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from reconciler import redact
from reconciler.commands.options import (
    output_option,
    plan_options,
    quiet_option,
    retry_note,
    selection_options,
    workspace_option,
)
from reconciler.errors import FlagsyncError
from reconciler.exits import EXIT_CHANGES, EXIT_OK, reports_errors
from reconciler.gc_pause import gc_paused
from reconciler.manifest.loader import PendingManifests, load_flags
from reconciler.plan import Plan
from reconciler.policy import evaluate as evaluate_policy
from reconciler.policy.evaluate import with_policy
from reconciler.providers.base import Provider
from reconciler.reconcile import PlanOptions, make_plan, open_provider
from reconciler.render import RENDERERS, render_json
from reconciler.workspace import Workspace, load_workspace


@click.command()
@workspace_option
@output_option("How to print the plan.")
@click.option(
    "--out",
    "out_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also save the plan (JSON) to this file, for `flagsync apply FILE`.",
)
@selection_options
@quiet_option
@reports_errors
def plan(
    workspace_path: Path | None,
    output: str,
    out_file: Path | None,
    flag_patterns: tuple[str, ...],
    environments: tuple[str, ...],
    prune: bool | None,
    adopt: bool,
    cancel_stale: bool,
    quiet: bool,
) -> None:
    """Show what apply would change. Exit 0: no changes, 2: changes, 1: error."""
    workspace = load_workspace(workspace_path)
    options = plan_options(workspace, flag_patterns, environments, prune, adopt, cancel_stale)
    the_plan = read_only_plan(workspace, options, quiet)
    if out_file is not None:
        redact.write_text(out_file, render_json(the_plan))
    policy_report = evaluate_policy(workspace, the_plan)
    click.echo(with_policy(RENDERERS[output](the_plan), output, policy_report), nl=False)
    if out_file is not None and output == "text":
        click.echo(f"Saved the plan to {out_file}; `flagsync apply {out_file}` applies exactly it.")
    # Exit 2 also when nothing may be applied but the manifests and live state differ (a
    # declared flag not adopted, or another workspace's): "no changes" would mislead CI.
    sys.exit(EXIT_CHANGES if the_plan.differs else EXIT_OK)


def read_only_plan(workspace: Workspace, options: PlanOptions, quiet: bool) -> Plan:
    """Load the manifests, read live state and compute the plan, for commands that only show
    it (plan, drift); `apply` keeps its provider open to execute the plan."""
    pending = PendingManifests(workspace)
    try:
        try:
            provider = open_provider(workspace, retry_note(quiet))
        except FlagsyncError:
            with gc_paused():
                load_flags(workspace, pending)  # problems in the manifests are reported first
            raise
        try:
            return plan_manifests(workspace, provider, options, pending)
        finally:
            provider.close()
    finally:
        pending.close()


def plan_manifests(
    workspace: Workspace,
    provider: Provider[Any],
    options: PlanOptions,
    pending: PendingManifests | None = None,
) -> Plan:
    """Load the manifests and plan them; a provider that can downloads the live state
    meanwhile (for 10,000 flags both take seconds). The manifests start being read first:
    large ones are parsed in forked processes, and forking must come before the download
    threads start."""
    pending = pending or PendingManifests(workspace)
    try:
        if provider.SUPPORTS_PREFETCH:
            provider.prefetch()
        with gc_paused():
            desired = load_flags(workspace, pending)
            return make_plan(workspace, desired, provider, options)
    finally:
        pending.close()
