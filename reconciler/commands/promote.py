"""`flagsync promote --from ENV --to ENV [--flag PATTERN]`: copy targeting between environments.

The manifests are rewritten (see `reconciler.promote`), then the plan that would follow is
printed for the promoted flags in the target environment, as `flagsync plan --env TO` would
show it. `--offline` asks no vendor and prints the diff of the files instead; `--dry-run`
writes nothing and prints the diff.

Exit 1 when something cannot be promoted as it is (then nothing is written), unless
`--partial`: the rest is promoted and the unpromotable flags are listed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from reconciler.commands.options import output_option, workspace_option
from reconciler.errors import FlagsyncError, WorkspaceError
from reconciler.exits import reports_errors
from reconciler.gc_pause import gc_paused
from reconciler.manifest.loader import load_flags
from reconciler.promote import ChecksPromotion, Promotion, as_json, promote, summary
from reconciler.reconcile import PlanOptions, make_plan, open_provider
from reconciler.render import RENDERERS
from reconciler.workspace import Workspace, load_workspace


def _plan_text(workspace: Workspace, provider: Any, promotion: Promotion, output: str) -> str:
    with gc_paused():
        desired = load_flags(workspace)
        options = PlanOptions(
            flag_patterns=tuple(promotion.promoted), environments=(promotion.target,)
        )
        plan = make_plan(workspace, desired, provider, options)
    return RENDERERS[output](plan)


def run_promote(
    workspace_path: Path | None,
    source: str,
    target: str,
    patterns: tuple[str, ...],
    offline: bool,
    dry_run: bool,
    partial: bool,
    allow_change_requests: bool,
    output: str,
) -> int:
    """Promote, print, and return the exit code."""
    workspace = load_workspace(workspace_path)
    try:
        provider = None if offline else open_provider(workspace)
    except FlagsyncError as error:
        raise WorkspaceError(f"{error} (`--offline` promotes without asking the vendor)") from None
    try:
        checker = provider if isinstance(provider, ChecksPromotion) else None
        promotion = promote(workspace, source, target, patterns, checker, allow_change_requests)
        blocked = bool(promotion.named) and not partial
        write = bool(promotion.edits) and not blocked and not dry_run
        if write:
            promotion.write()
        if output == "json":
            data = {**as_json(promotion), "written": write}
            if offline or dry_run or not write:
                data["diff"] = promotion.diff()
            elif provider is not None:
                data["plan"] = json.loads(_plan_text(workspace, provider, promotion, "json"))
            click.echo(json.dumps(data, indent=2))
            return 1 if blocked else 0
        click.echo(summary(promotion), nl=False)
        if blocked:
            click.echo(
                "Nothing was written: fix what is named above, or pass --partial to promote "
                "the rest.",
                err=True,
            )
            return 1
        if offline and checker is None and promotion.edits:
            click.echo(
                f"Offline: the vendor was not asked whether {target} has everything the "
                "promoted targets name (cohorts, group types, flags)."
            )
        if not promotion.edits:
            return 0
        if offline or dry_run:
            if dry_run:
                click.echo("Dry run: nothing was written. The edit:")
            click.echo(promotion.diff(), nl=False)
            return 0
        assert provider is not None
        click.echo(f"The plan that follows (`flagsync plan --env {target}`):")
        click.echo(_plan_text(workspace, provider, promotion, output), nl=False)
        return 0
    finally:
        if provider is not None:
            provider.close()


@click.command()
@workspace_option
@click.option("--from", "source", required=True, metavar="ENV", help="Copy targeting from here.")
@click.option("--to", "target", required=True, metavar="ENV", help="...to this environment.")
@click.option(
    "--flag",
    "patterns",
    multiple=True,
    metavar="PATTERN",
    help="Only flags whose key matches (shell pattern); repeatable. Default: every flag.",
)
@click.option(
    "--offline", is_flag=True, help="Ask no vendor: check the manifests only, print the diff."
)
@click.option("--dry-run", is_flag=True, help="Write nothing; print the diff of the files.")
@click.option(
    "--partial",
    is_flag=True,
    help="Promote what can be even when some flags cannot be (they are listed); exit 0.",
)
@click.option(
    "--allow-change-requests",
    is_flag=True,
    help="Promote into an environment that takes changes as change requests.",
)
@output_option("How to print the plan that follows (json: the whole outcome as JSON).")
@reports_errors
def promote_command(**options: Any) -> None:
    """Make TO's targeting equal FROM's in the manifests, comments and layout kept.

    \b
    Then prints the plan that would follow (offline: the diff of the files).
    Exit 1 when a flag cannot be promoted as it is (a cohort the target lacks,
    a change-request environment): it is named and nothing is written.
    """
    sys.exit(run_promote(**options))


promote_command.name = "promote"
