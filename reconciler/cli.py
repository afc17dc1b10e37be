"""The `flagsync` command: validate, plan, apply, emulator.

Exit codes (as Terraform's -detailed-exitcode): 0 success / no changes, 1 error, 2 `plan` found
changes. Every expected failure is a `FlagsyncError`, printed as one clear message with exit 1.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler import __version__
from reconciler.apply import PAST_TENSE, apply_plan
from reconciler.errors import FlagsyncError, ValidationFailed
from reconciler.manifest.loader import load_flags
from reconciler.plan import Plan
from reconciler.reconcile import make_plan, open_provider
from reconciler.render import RENDERERS, render_text
from reconciler.workspace import Workspace, load_workspace

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2
F = TypeVar("F", bound=Callable[..., Any])

workspace_option = click.option(
    "--workspace",
    "-w",
    "workspace_path",
    type=click.Path(path_type=Path),
    default=None,
    envvar="FLAGSYNC_WORKSPACE",
    help="The workspace file or its folder (default: ./flagsync.yaml).",
)


def reports_errors(command: F) -> F:
    """Print a `FlagsyncError` as its message and exit 1, never as a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ValidationFailed as error:
            click.echo(str(error), err=True)
            sys.exit(EXIT_ERROR)
        except FlagsyncError as error:
            click.echo(click.style("Error: ", fg="red", bold=True) + str(error), err=True)
            sys.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="flagsync")
def main() -> None:
    """Feature flags as code: validate manifests, plan and apply them to DevCycle.

    \b
    Exit codes: 0 success (plan: no changes), 1 error, 2 plan found changes.
    Credentials come from the environment only: DEVCYCLE_CLIENT_ID and
    DEVCYCLE_CLIENT_SECRET, or DEVCYCLE_API_TOKEN.
    """


@main.command()
@workspace_option
@reports_errors
def validate(workspace_path: Path | None) -> None:
    """Check the workspace and every manifest; report all problems as file:line:col."""
    workspace = load_workspace(workspace_path)
    flags = load_flags(workspace)
    count = len(flags.flags)
    click.echo(f"OK: {count} flag{'s' if count != 1 else ''} valid ({workspace.file}).")


def _plan(workspace: Workspace) -> tuple[Plan, Any]:
    desired = load_flags(workspace)
    provider = open_provider(workspace)
    try:
        return make_plan(workspace, desired, provider), provider
    except BaseException:
        provider.close()
        raise


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
@reports_errors
def plan(workspace_path: Path | None, output: str) -> None:
    """Show what apply would change. Exit 0: no changes, 2: changes, 1: error."""
    workspace = load_workspace(workspace_path)
    the_plan, provider = _plan(workspace)
    provider.close()
    click.echo(RENDERERS[output](the_plan), nl=False)
    sys.exit(EXIT_CHANGES if the_plan.has_changes else EXIT_OK)


@main.command()
@workspace_option
@click.option("--yes", "-y", is_flag=True, help="Apply without asking for confirmation.")
@reports_errors
def apply(workspace_path: Path | None, yes: bool) -> None:
    """Plan, confirm, and make the live state match the manifests."""
    workspace = load_workspace(workspace_path)
    the_plan, provider = _plan(workspace)
    try:
        click.echo(render_text(the_plan), nl=False)
        if not the_plan.has_changes:
            return
        if not yes:
            if not sys.stdin.isatty():
                raise FlagsyncError(
                    "refusing to apply without --yes: there is no terminal to confirm on"
                )
            click.confirm("Apply these changes?", abort=True)
        click.echo("Applying:")
        result = apply_plan(the_plan, provider, click.echo)
    finally:
        provider.close()
    counts = result.counts()
    done = ", ".join(f"{counts[a]} {PAST_TENSE[a]}" for a in ("create", "update", "delete"))
    if not result.ok:
        raise FlagsyncError(
            f"apply stopped: {done} before the failure; {result.remaining} not attempted. "
            "Run `flagsync plan` to see what is left."
        )
    click.echo(click.style(f"Apply complete: {done}.", bold=True))


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
@reports_errors
def emulator(
    host: str, port: int, state_file: Path | None, client_id: str, client_secret: str
) -> None:
    """Serve a local emulator of DevCycle's Management API (try flagsync without an account)."""
    from reconciler.emulator import EmulatorConfig, serve_forever

    config = EmulatorConfig(state_file=state_file, client_id=client_id, client_secret=client_secret)
    click.echo(
        f"DevCycle emulator on http://{host}:{port} (token endpoint /oauth/token, "
        f"client id '{client_id}'). Ctrl-C stops it.",
        err=True,
    )
    try:
        serve_forever(config, host=host, port=port)
    except ValueError as error:
        raise FlagsyncError(str(error)) from None
