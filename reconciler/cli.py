"""The `flagsync` command group: its global options, and the registration of each command.

Each command is a module of `reconciler.commands` named after it (`flagsync plan` is
`commands/plan.py`). Exit codes (as Terraform's -detailed-exitcode): 0 success / no changes,
1 error, 2 `plan` found changes. Every expected failure is a `FlagsyncError`, printed as one
clear message with exit 1.
"""

from __future__ import annotations

import inspect
import textwrap
from typing import Any

import click

from reconciler import __version__, redact
from reconciler.commands.apply import apply
from reconciler.commands.drift import drift
from reconciler.commands.eval import eval_
from reconciler.commands.fmt import fmt
from reconciler.commands.import_ import import_
from reconciler.commands.plan import plan
from reconciler.commands.promote import promote_command
from reconciler.commands.refs import refs_command
from reconciler.commands.test import test_
from reconciler.commands.validate import validate
from reconciler.deadline import DEFAULT_TIMEOUT, deadline
from reconciler.emulator.command import emulator as emulator_command
from reconciler.exits import EXIT_ERROR
from reconciler.exits import notes as _notes
from reconciler.providers.registry import VENDORS, provider_class


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


for command in (
    validate,
    plan,
    import_,
    drift,
    apply,
    fmt,
    promote_command,
    refs_command,
    eval_,
    test_,
    emulator_command,
):
    main.add_command(command)
