"""The `flagsync` command group: its global options, and the registration of each command.

Each command is a module of `reconciler.commands` named after it (`flagsync plan` is
`commands/plan.py`). Exit codes (as Terraform's -detailed-exitcode): 0 success / no changes,
1 error, 2 `plan` found changes. Every expected failure is a `FlagsyncError`, printed as one
clear message with exit 1.
"""

from __future__ import annotations

from pathlib import Path
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
from reconciler.errors import UsageError
from reconciler.exits import EXIT_ERROR, reports_errors
from reconciler.exits import notes as _notes


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
    """Feature flags as code: validate manifests, plan and apply them to DevCycle or PostHog.

    \b
    Exit codes: 0 success (plan: no changes), 1 error, 2 plan found changes.
    Credentials come from the environment only: DEVCYCLE_CLIENT_ID and
    DEVCYCLE_CLIENT_SECRET (or DEVCYCLE_API_TOKEN) for DevCycle,
    POSTHOG_PERSONAL_API_KEY for PostHog.
    """
    _notes.closed = False
    redact.install()  # everything printed from here on: see `redact`
    if ctx.invoked_subcommand != "emulator":
        ctx.with_resource(deadline(timeout))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--state",
    "state_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Keep the emulator's state in this JSON file (default: in memory).",
)
@click.option("--client-id", default="emulator", show_default=True, help="OAuth client id.")
@click.option(
    "--client-secret", default="emulator-secret", show_default=True, help="OAuth client secret."
)
@click.option("--latency-ms", type=float, default=0.0, help="Delay every request (fault).")
@click.option("--latency-jitter-ms", type=float, default=0.0, help="Random extra delay (fault).")
@click.option("--error-rate", type=float, default=0.0, help="Share of requests answered 5xx.")
@click.option("--throttle-rate", type=float, default=0.0, help="Share of requests answered 429.")
@click.option(
    "--retry-after",
    type=click.Choice(["always", "never", "random"]),
    default="always",
    show_default=True,
    help="Whether 429 answers carry Retry-After.",
)
@click.option("--retry-after-seconds", type=float, default=1.0, show_default=True)
@click.option("--rate-limit-per-minute", type=int, default=None, help="e.g. 480 (PostHog).")
@click.option("--rate-limit-per-hour", type=int, default=None, help="e.g. 4800 (PostHog).")
@click.option(
    "--drop-after-write-rate",
    type=float,
    default=0.0,
    help="Share of writes committed whose answer is then lost (the connection drops).",
)
@click.option("--fault-seed", type=int, default=None, help="Make injected faults reproducible.")
@click.option(
    "--posthog-validation",
    type=click.Choice(["strict", "lenient"]),
    default="strict",
    show_default=True,
    help="lenient: accept the flag filter mistakes PostHog rejects only where a deployment "
    "setting enables the check.",
)
@reports_errors
def emulator(
    host: str,
    port: int,
    state_file: Path | None,
    client_id: str,
    client_secret: str,
    posthog_validation: str,
    **faults: Any,
) -> None:
    """Serve local emulators of DevCycle's and PostHog's management APIs.

    Try flagsync without an account. Fault options make the emulator misbehave the way real
    networks and vendors do (latency, 5xx, 429, lost answers), to see flagsync cope.
    """
    from reconciler.emulator import EmulatorConfig, FaultConfig, serve_forever
    from reconciler.emulator.posthog import PERSONAL_API_KEY

    faults["seed"] = faults.pop("fault_seed")
    try:
        fault_config = FaultConfig(**faults)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    config = EmulatorConfig(
        state_file=state_file,
        client_id=client_id,
        client_secret=client_secret,
        faults=fault_config,
        posthog_validation=posthog_validation,
    )

    def ready(bound: int) -> None:
        click.echo(
            f"Emulators on http://{host}:{bound}\n"
            f"  DevCycle: OAuth client '{client_id}' (token endpoint /oauth/token), "
            "project 'demo'\n"
            f"  PostHog:  personal API key '{PERSONAL_API_KEY}', projects 1 and 2\n"
            "Ctrl-C stops them.",
            err=True,
        )

    try:
        serve_forever(config, host=host, port=port, on_ready=ready)
    except (ValueError, OSError) as error:
        raise UsageError(f"the emulator did not start: {error}") from None


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
):
    main.add_command(command)
