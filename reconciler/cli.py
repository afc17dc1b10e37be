"""The `flagsync` command: validate, plan, apply, emulator.

Exit codes (as Terraform's -detailed-exitcode): 0 success / no changes, 1 error, 2 `plan` found
changes. Every expected failure is a `FlagsyncError`, printed as one clear message with exit 1.
"""

from __future__ import annotations

import inspect
import json
import os
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from reconciler import __version__, redact
from reconciler.apply import PAST_TENSE, apply_plan
from reconciler.deadline import DEFAULT_TIMEOUT, deadline
from reconciler.emulator.command import emulator as emulator_command
from reconciler.errors import (
    ApplyError,
    FlagsyncError,
    SavedPlanError,
    UsageError,
    ValidationFailed,
)
from reconciler.exits import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, F, reports_errors
from reconciler.exits import notes as _notes
from reconciler.fmt_command import fmt as fmt_command
from reconciler.gc_pause import gc_paused
from reconciler.manifest.importing import write_imported
from reconciler.manifest.loader import PendingManifests, load_flags
from reconciler.options import workspace_option
from reconciler.plan import Plan
from reconciler.policy import evaluate as evaluate_policy
from reconciler.policy import policy_problems
from reconciler.policy.evaluate import enforce as enforce_policy
from reconciler.policy.evaluate import policy_warnings, with_policy
from reconciler.promote_command import promote_command
from reconciler.providers.base import Provider
from reconciler.providers.registry import VENDORS, provider_class
from reconciler.reconcile import (
    PlanOptions,
    beyond_fresh,
    load_saved_plan,
    make_plan,
    moved_since,
    open_provider,
    saved_options,
)
from reconciler.refs_command import refs_command
from reconciler.render import RENDERERS, render_json, render_text
from reconciler.render.problems import PROBLEM_RENDERERS
from reconciler.render.warnings import warnings_text, with_warnings
from reconciler.render.words import counted
from reconciler.safety import check_safety
from reconciler.workspace import Workspace, display_name, load_workspace
from reconciler.workspace_write import write_section

quiet_option = click.option(
    "--quiet", "-q", is_flag=True, help="Print only the plan and the outcome, not every request."
)


class Progress:
    """One self-updating line on a terminal ("Applying: 120/1000 flags"), instead of a line per
    request; nothing in CI, in a pipe, or with --quiet, where the plain log is more useful."""

    def __init__(self, quiet: bool) -> None:
        self.enabled = not quiet and sys.stderr.isatty() and not os.environ.get("CI")

    def update(self, done: int, total: int) -> None:
        click.echo(f"\r  {done}/{total} flags done", nl=False, err=True)
        if done == total:
            click.echo("", err=True)


def _retry_note(quiet: bool) -> Callable[[str], None] | None:
    """Retries are reported on stderr as they happen (unless --quiet)."""
    if quiet:
        return None
    return _notes.note


class Commands(click.Group):
    """click exits 2 on a usage error (a misspelt command or option, a bad value), but 2 is
    the code that means "changes pending" (plan) or "drift found" (drift): in CI a typo would
    read as changes. Usage errors exit 1, like every other error."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as error:
            error.exit_code = EXIT_ERROR  # type: ignore[misc]  # per instance, on purpose
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as error:
            error.exit_code = EXIT_ERROR  # type: ignore[misc]  # per instance, on purpose
            raise

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The help names the registered vendors and their credentials (`vendor_help`), read
        when the help is shown: no vendor is imported for any other command."""
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(vendor_help(inspect.cleandoc(self.help or "")))


def vendor_help(text: str) -> str:
    """`text` with `{vendors}` (the vendors' labels) and `{credentials}` (a sentence naming
    each vendor's credential variables, `Provider.CREDENTIALS`) filled in from the registry."""
    providers = [provider_class(name) for name in VENDORS]
    labels = [provider.LABEL for provider in providers]
    vendors = " or ".join([", ".join(labels[:-1]), labels[-1]] if len(labels) > 1 else labels)
    sources = [f"{p.CREDENTIALS} for {p.LABEL}" for p in providers if p.CREDENTIALS]
    named = f": {', '.join(sources)}" if sources else ""
    credentials = textwrap.fill(f"Credentials come from the environment only{named}.", width=70)
    return text.format(vendors=vendors, credentials=credentials)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="flagsync")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=DEFAULT_TIMEOUT,
    envvar="FLAGSYNC_TIMEOUT",
    show_default=True,
    metavar="SECONDS",
    help="Stop a command that runs longer than this (0: never; not the emulator).",
)
@click.pass_context
def main(ctx: click.Context, timeout: float) -> None:
    """Feature flags as code: validate manifests, plan and apply them to {vendors}.

    \b
    Exit codes: 0 success (plan: no changes), 1 error, 2 plan found changes.
    {credentials}
    """
    _notes.closed = False
    redact.install()  # everything printed from here on: see `redact`
    if ctx.invoked_subcommand != "emulator":
        ctx.with_resource(deadline(timeout))


@main.command()
@workspace_option
@click.option(
    "--output",
    "-o",
    type=click.Choice(sorted(PROBLEM_RENDERERS)),
    default="text",
    show_default=True,
    help="How to print problems: github = workflow commands (annotations), sarif = SARIF 2.1.0.",
)
@reports_errors
def validate(workspace_path: Path | None, output: str = "text") -> None:
    """Check the workspace and every manifest; report all problems as file:line:col."""
    try:
        workspace = load_workspace(workspace_path)
        with gc_paused():
            flags = load_flags(workspace)
        policy_failures = policy_problems(workspace)
        if policy_failures:
            raise ValidationFailed(policy_failures)
        tested = _flag_tests(workspace, flags)
    except ValidationFailed as failed:
        if output == "text":
            raise
        click.echo(PROBLEM_RENDERERS[output](failed.problems), nl=False)
        click.echo(f"{len(failed.problems)} problem(s) found", err=True)
        sys.exit(EXIT_ERROR)
    warnings = policy_warnings(workspace)
    if output != "text":
        click.echo(with_warnings(PROBLEM_RENDERERS[output]([]), output, warnings), nl=False)
    else:
        click.echo(warnings_text(warnings), nl=False, err=True)
    count = len(flags.flags)
    what = f"{count} flag{'s' if count != 1 else ''}"
    if flags.experiments:
        what += (
            f" and {len(flags.experiments)} experiment{'s' if len(flags.experiments) != 1 else ''}"
        )
    click.echo(f"OK: {what} valid ({workspace.file}).{tested}", err=output != "text")


def _flag_tests(workspace: Workspace, flags: Any) -> str:
    """validate runs the flag tests too: failures are problems at their expectation."""
    from reconciler import flag_tests

    report = flag_tests.run_tests(workspace, flags)
    if report.failed:
        raise ValidationFailed(flag_tests.as_problems(report))
    return f" {report.summary()}" if report.outcomes else ""


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


def _options(
    workspace: Workspace,
    flag_patterns: tuple[str, ...],
    environments: tuple[str, ...],
    prune: bool | None,
    adopt: bool,
    cancel_stale: bool = False,
) -> PlanOptions:
    return PlanOptions(
        prune=workspace.prune if prune is None else prune,
        adopt=adopt,
        cancel_stale=cancel_stale,
        flag_patterns=flag_patterns,
        environments=environments,
    )


@main.command()
@workspace_option
@click.option(
    "--output",
    "-o",
    type=click.Choice(sorted(RENDERERS)),
    default="text",
    show_default=True,
    help="How to print the plan.",
)
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
    options = _options(workspace, flag_patterns, environments, prune, adopt, cancel_stale)
    the_plan = _read_only_plan(workspace, options, quiet)
    if out_file is not None:
        redact.write_text(out_file, render_json(the_plan))
    policy_report = evaluate_policy(workspace, the_plan)
    click.echo(with_policy(RENDERERS[output](the_plan), output, policy_report), nl=False)
    if out_file is not None and output == "text":
        click.echo(f"Saved the plan to {out_file}; `flagsync apply {out_file}` applies exactly it.")
    # Exit 2 also when nothing may be applied but the manifests and live state differ (a
    # declared flag not adopted, or another workspace's): "no changes" would mislead CI.
    sys.exit(EXIT_CHANGES if the_plan.differs else EXIT_OK)


@main.command("import")
@workspace_option
@click.option(
    "--flag",
    "flag_patterns",
    multiple=True,
    metavar="PATTERN",
    help="Only flags (and experiments, holdouts: by name) matching (a shell pattern); "
    "repeatable. Default: everything.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder for new manifest files (default: the workspace's first manifests folder).",
)
@click.option(
    "--single-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Put every new flag into this one file instead of one file per flag.",
)
@quiet_option
@reports_errors
def import_(
    workspace_path: Path | None,
    flag_patterns: tuple[str, ...],
    out_dir: Path | None,
    single_file: Path | None,
    quiet: bool,
) -> None:
    """Write manifests from the live state (a whole project, or the flags --flag selects).

    Experiments, holdouts and other project objects the vendor has are written too (an
    experiment's flag as part of its experiment). A flag a manifest already declares is
    rewritten in its file, keeping the file's comments; other flags get new files. Afterwards
    `flagsync plan` shows no changes; what flagsync did not create is taken over with
    `flagsync apply --adopt`.
    """
    workspace = load_workspace(workspace_path)
    provider = open_provider(workspace, _retry_note(quiet))
    try:
        everything = provider.read(set())
        options = PlanOptions(flag_patterns=flag_patterns)
        keys = {k for k in [*everything.owned, *everything.others] if options.selects(k)}
        live = provider.read(keys)
        imported = live.flags
        policy_entries = _approval_policy_entries(provider, flag_patterns)
        if provider.SUPPORTS_AUDIENCES and not flag_patterns:
            objects = provider.read_project_objects()
            imported = imported.model_copy(
                update={
                    "audiences": objects.audiences,
                    "custom_properties": objects.custom_properties,
                }
            )
    finally:
        provider.close()
    found, notes = provider.for_import(live, imported, options.selects)
    result = write_imported(workspace, found, out_dir, single_file)
    counts = (
        (len(found.experiments), "experiment"),
        (len(found.holdouts), "holdout"),
        (len(found.custom_properties), "custom property"),
        (len(found.audiences), "audience"),
    )
    extras = "".join(f", {counted(count, noun)}" for count, noun in counts if count)
    click.echo(
        f"Imported {counted(len(found.flags), 'flag')}{extras}: "
        f"{counted(result.created, 'new file')}, {result.updated} updated (comments kept)."
    )
    for note in notes:
        click.echo(f"Note: {note}")
    if policy_entries is not None:
        write_section(workspace.file, "approval_policies", policy_entries)
        click.echo(
            f"Wrote {counted(len(policy_entries), 'approval policy')} to "
            f"{display_name(workspace.file)} (approval_policies)."
        )
    if found.flags and not set(found.flags) <= live.owned:
        click.echo("Flags flagsync did not create are taken over with `flagsync apply --adopt`.")


def _approval_policy_entries(
    provider: Provider[Any], flag_patterns: tuple[str, ...]
) -> list[dict[str, Any]] | None:
    """The live approval policies to write into the workspace file (a whole import only)."""
    if flag_patterns or not provider.SUPPORTS_APPROVAL_POLICIES:
        return None
    return provider.approval_policy_entries()


def _read_only_plan(workspace: Workspace, options: PlanOptions, quiet: bool) -> Plan:
    """Load the manifests, read live state and compute the plan, for commands that only show
    it (plan, drift); `apply` keeps its provider open to execute the plan."""
    pending = PendingManifests(workspace)
    try:
        try:
            provider = open_provider(workspace, _retry_note(quiet))
        except FlagsyncError:
            with gc_paused():
                load_flags(workspace, pending)  # problems in the manifests are reported first
            raise
        try:
            return _plan_manifests(workspace, provider, options, pending)
        finally:
            provider.close()
    finally:
        pending.close()


def _plan_manifests(
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


@main.command()
@workspace_option
@click.option(
    "--output",
    "-o",
    type=click.Choice(sorted(RENDERERS)),
    default="text",
    show_default=True,
    help="How to print the report (json for alerting).",
)
@quiet_option
@reports_errors
def drift(workspace_path: Path | None, output: str, quiet: bool) -> None:
    """Report where live state differs from Git (for a scheduled job). Exit 2: drift, 0: none.

    The report is the plan that would undo the drift, plus the flags nobody declared: those
    in the project but in no manifest (unmanaged), flagsync's own flags gone from the
    manifests, and existing flags the manifests declare that flagsync never took over.
    """
    workspace = load_workspace(workspace_path)
    the_plan = _read_only_plan(workspace, PlanOptions(), quiet)
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


@main.command()
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
    provider = open_provider(workspace, _retry_note(quiet))
    try:
        if plan_file is not None:
            the_plan = load_saved_plan(plan_file, workspace)
            moved = moved_since(the_plan, provider)
            if moved:
                raise SavedPlanError(
                    f"{plan_file} is stale: {', '.join(moved)} changed since it was planned. "
                    "Nothing was applied; run `flagsync plan` again."
                )
            default = _options(workspace, (), (), None, False)
            fresh = _plan_manifests(workspace, provider, saved_options(the_plan, default))
            extra = beyond_fresh(the_plan, fresh)
            if extra:
                raise SavedPlanError(
                    f"{plan_file} does what a fresh plan of the manifests would not: "
                    f"{'; '.join(extra[:10])}{' ...' if len(extra) > 10 else ''}. Nothing was "
                    "applied; run `flagsync plan --out` again (a plan file is never edited)."
                )
        else:
            options = _options(workspace, flag_patterns, environments, prune, adopt, cancel_stale)
            the_plan = _plan_manifests(workspace, provider, options)
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


main.add_command(emulator_command)
main.add_command(fmt_command)
main.add_command(promote_command)
main.add_command(refs_command)


@main.command(name="eval")
@workspace_option
@click.option("--env", "environment", required=True, help="The environment to evaluate in.")
@click.option("--user", "user_json", metavar="JSON", help="One user context, a JSON object.")
@click.option(
    "--users",
    "users_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="User contexts, one JSON object per line.",
)
@click.option("--flag", "flag_patterns", multiple=True, metavar="PATTERN", help="Only these.")
@click.option("--live", is_flag=True, help="Evaluate the live state instead of the manifests.")
@click.option("--output", "-o", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--summary", is_flag=True, help="How many users get each variation, instead of each answer."
)
@reports_errors
def eval_(
    workspace_path: Path | None,
    environment: str,
    user_json: str | None,
    users_file: Path | None,
    flag_patterns: tuple[str, ...],
    live: bool,
    output: str,
    summary: bool = False,
) -> None:
    """Which variation each user gets from each flag, and why (offline, from the manifests)."""
    from reconciler import eval_commands
    from reconciler.evaluation import bulk
    from reconciler.evaluation.parallel import write_users
    from reconciler.evaluation.users import parse_user, read_users

    if (user_json is None) == (users_file is None):
        raise UsageError("give one of --user JSON or --users FILE.jsonl")
    users = [parse_user(user_json)] if user_json is not None else read_users(Path(str(users_file)))
    workspace = load_workspace(workspace_path)
    with gc_paused():
        desired = load_flags(workspace)
    evaluator, flags = eval_commands.build_evaluator(workspace, desired, environment, live)
    keys = eval_commands.flag_keys(flags, environment, flag_patterns)
    if flag_patterns and not keys:
        raise UsageError(f"--flag {' '.join(flag_patterns)}: no flag in {environment} matches")
    if summary:
        from reconciler.evaluation import summary as summaries

        with gc_paused():
            people = list(users)
            variations = summaries.variations(evaluator, keys, environment)
            counts = summaries.summarise(variations, people, len(keys))
        found = summaries.report(keys, environment, len(people), counts)
        render = summaries.render_json if output == "json" else summaries.render_text
        click.echo(render(found), nl=False)
        return
    answer = bulk.answerer(evaluator, keys, environment)
    produce = bulk.json_lines(answer) if output == "json" else eval_commands.text(answer)
    # each user's answers are freed by reference counting once printed: no cycles to collect
    with gc_paused():
        write_users(produce, list(users), len(keys), sys.stdout)


@main.command(name="test")
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
