"""`flagsync apply [PLAN_FILE]`: plan (or load a saved plan), confirm, and make the live state
match. A saved plan is applied only while it is what a fresh plan would do and nothing it
read has changed since."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from reconciler.apply import PAST_TENSE, apply_plan
from reconciler.commands.options import (
    plan_options,
    quiet_option,
    retry_note,
    selection_options,
    workspace_option,
)
from reconciler.commands.plan import plan_manifests
from reconciler.errors import ApplyError, SavedPlanError, UsageError
from reconciler.exits import reports_errors
from reconciler.policy import evaluate as evaluate_policy
from reconciler.policy.evaluate import enforce as enforce_policy
from reconciler.reconcile import (
    beyond_fresh,
    load_saved_plan,
    moved_since,
    open_provider,
    saved_options,
    typed_like,
)
from reconciler.render import render_text
from reconciler.render.words import counted
from reconciler.safety import check_safety
from reconciler.workspace import load_workspace


class Progress:
    """One self-updating line on a terminal ("Applying: 120/1000 flags"), instead of a line per
    request; nothing in CI, in a pipe, or with --quiet, where the plain log is more useful."""

    def __init__(self, quiet: bool) -> None:
        self.enabled = not quiet and sys.stderr.isatty() and not os.environ.get("CI")

    def update(self, done: int, total: int) -> None:
        click.echo(f"\r  {done}/{total} flags done", nl=False, err=True)
        if done == total:
            click.echo("", err=True)


@click.command()
@workspace_option
@click.argument(
    "plan_file", required=False, type=click.Path(path_type=Path, dir_okay=False, exists=True)
)
@click.option("--yes", "-y", is_flag=True, help="Apply without asking for confirmation.")
@click.option("--force", is_flag=True, help="Apply even above the safety thresholds.")
@click.option(
    "--override-policy",
    "override_policy",
    metavar="REASON",
    default=None,
    help="Apply even though the workspace's policy fails; REASON is printed in the log.",
)
@selection_options
@quiet_option
@reports_errors
def apply(
    workspace_path: Path | None,
    plan_file: Path | None,
    yes: bool,
    force: bool,
    flag_patterns: tuple[str, ...],
    environments: tuple[str, ...],
    prune: bool | None,
    adopt: bool,
    cancel_stale: bool,
    quiet: bool,
    override_policy: str | None = None,
) -> None:
    """Plan (or load PLAN_FILE from `plan --out`), confirm, and make the live state match."""
    workspace = load_workspace(workspace_path)
    if plan_file is not None and (flag_patterns or environments or prune or adopt or cancel_stale):
        raise UsageError("a saved plan is applied as it is: drop --flag/--env/--prune/--adopt")
    provider = open_provider(workspace, retry_note(quiet))
    try:
        if plan_file is not None:
            the_plan = load_saved_plan(plan_file, workspace)
            moved = moved_since(the_plan, provider)
            if moved:
                raise SavedPlanError(
                    f"{plan_file} is stale: {', '.join(moved)} changed since it was planned. "
                    "Nothing was applied; run `flagsync plan` again."
                )
            default = plan_options(workspace, (), (), None, False)
            fresh = plan_manifests(workspace, provider, saved_options(the_plan, default))
            extra = beyond_fresh(the_plan, fresh)
            if extra:
                raise SavedPlanError(
                    f"{plan_file} does what a fresh plan of the manifests would not: "
                    f"{'; '.join(extra[:10])}{' ...' if len(extra) > 10 else ''}. Nothing was "
                    "applied; run `flagsync plan --out` again (a plan file is never edited)."
                )
            the_plan = typed_like(the_plan, fresh)
        else:
            options = plan_options(
                workspace, flag_patterns, environments, prune, adopt, cancel_stale
            )
            the_plan = plan_manifests(workspace, provider, options)
        click.echo(render_text(the_plan), nl=False)
        if not the_plan.has_changes:
            return
        if not force:
            check_safety(the_plan, workspace.safety)
        if override_policy is not None and not override_policy.strip():
            raise UsageError(
                "--override-policy needs a reason, e.g. --override-policy 'incident 42'"
            )
        policy_report = evaluate_policy(workspace, the_plan)
        click.echo(policy_report.text(), nl=False)
        overridden = enforce_policy(policy_report, override_policy)
        if overridden:
            click.echo(click.style(overridden, fg="yellow", bold=True))
        if not yes:
            if not sys.stdin.isatty():
                raise UsageError(
                    "refusing to apply without --yes: there is no terminal to confirm on"
                )
            click.confirm("Apply these changes?", abort=True)
            moved = moved_since(the_plan, provider)  # time passed at the prompt
            if moved:
                raise SavedPlanError(
                    f"{', '.join(moved)} changed while waiting for confirmation. Nothing was "
                    "applied; run `flagsync plan` again."
                )
        if not quiet:
            click.echo("Applying:")
        bar = Progress(quiet)
        report = (lambda line: None) if quiet or bar.enabled else click.echo
        result = apply_plan(
            the_plan,
            provider,
            report,
            workers=workspace.concurrency,
            progress=bar.update if bar.enabled else None,
        )
        retries = len(provider.client.stats.retries)
    finally:
        provider.close()
    counts = result.counts()
    done = ", ".join(f"{counts[a]} {PAST_TENSE[a]}" for a in ("create", "update", "delete"))
    if counts["change_request"]:
        done += f", {counted(counts['change_request'], 'change request')} awaiting review"
    if not result.ok:
        failed = result.failed.key if result.failed else "?"
        raise ApplyError(
            f"apply stopped at {failed}: {result.error}\n"
            f"{done} before the failure; {result.remaining} not attempted. "
            "Run `flagsync plan` to see what is left.",
            cause=result.error,
        )
    if retries:
        done += f" ({retries} request{'s' if retries != 1 else ''} retried)"
    click.echo(click.style(f"Apply complete: {done}.", bold=True))
