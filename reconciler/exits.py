"""Exit codes, and how a command prints an expected failure (for every `flagsync` command).

Exit codes (as Terraform's -detailed-exitcode): 0 success / no changes, 1 error, 2 `plan` found
changes. A module apart from `cli`, so that commands defined in their own modules (`fmt`) use
the same printing without importing the command group that imports them.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import click

from reconciler.errors import FlagsyncError, ValidationFailed

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2
F = TypeVar("F", bound=Callable[..., Any])


class Notes:
    """Lines other threads print while the command runs (retries). Once the command's outcome
    is printed, they are dropped: the `Error:` line stays the last thing a user reads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.closed = False

    def note(self, text: str) -> None:
        with self._lock:
            if not self.closed:
                click.echo(f"  {text}", err=True)

    def close(self) -> None:
        with self._lock:
            self.closed = True


notes = Notes()


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
            notes.close()
            click.echo(click.style("Error: ", fg="red", bold=True) + str(error), err=True)
            sys.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]
