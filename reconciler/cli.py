"""The `flagsync` command group: its global options, and the registration of each command.

Each command is a module of `reconciler.commands` named after it (`flagsync plan` is
`commands/plan.py`). Exit codes (as Terraform's -detailed-exitcode): 0 success / no changes,
1 error, 2 `plan` found changes. Every expected failure is a `FlagsyncError`, printed as one
clear message with exit 1.
"""

from __future__ import annotations

import importlib
import inspect
import textwrap
from typing import Any

import click

from reconciler import __version__, redact
from reconciler.deadline import DEFAULT_TIMEOUT, deadline
from reconciler.exits import EXIT_ERROR
from reconciler.exits import notes as _notes
from reconciler.providers.registry import VENDORS, provider_class

COMMANDS = {
    "validate": ("reconciler.commands.validate", "validate"),
    "plan": ("reconciler.commands.plan", "plan"),
    "import": ("reconciler.commands.import_", "import_"),
    "drift": ("reconciler.commands.drift", "drift"),
    "apply": ("reconciler.commands.apply", "apply"),
    "fmt": ("reconciler.commands.fmt", "fmt"),
    "promote": ("reconciler.commands.promote", "promote_command"),
    "refs": ("reconciler.commands.refs", "refs_command"),
    "eval": ("reconciler.commands.eval", "eval_"),
    "test": ("reconciler.commands.test", "test_"),
    "emulator": ("reconciler.emulator.command", "emulator"),
}
"""Each command's name, module and attribute: a command's module is imported when the command
runs (or the help lists it), so `flagsync plan` does not import what `refs` or `promote` need
(about 0.07 s of every start)."""


class Commands(click.Group):
    """click exits 2 on a usage error (a misspelt command or option, a bad value), but 2 is
    the code that means "changes pending" (plan) or "drift found" (drift): in CI a typo would
    read as changes. Usage errors exit 1, like every other error.

    The commands of `COMMANDS` are registered when first asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            module, attribute = COMMANDS[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)

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
