"""`flagsync emulator`: serve the emulators of the vendors' management APIs in the foreground.

Registered by `reconciler.cli`; like the rest of `reconciler.emulator` it imports nothing else
from flagsync (its failures are click's: `Error: ...`, exit 1).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click


@click.command()
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
    # Imported here: `flagsync` loads this module for every command, the servers only for this.
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
        raise click.ClickException(f"the emulator did not start: {error}") from None
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
